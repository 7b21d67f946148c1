"""Error responses as the OpenAPI document declares them; the handlers in main.py and auth.py produce these."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    message: str
    detail: list[ValidationIssue]


def _error(description: str, model: type[BaseModel] = ErrorDetail) -> dict[str, Any]:
    return {"model": model, "description": description}


# Every /api route: the token, the path's user, the input, the keys or database being unavailable.
API: dict[int | str, dict[str, Any]] = {
    400: _error("The request body could not be read (not UTF-8)"),
    401: _error("Missing, invalid or expired bearer token"),
    403: _error("The token belongs to another user than the path's user_id"),
    422: _error("Invalid input: wrong type, out of range, too long, empty, or containing NUL", ValidationErrorBody),
    503: _error("The authentication keys or the database are unavailable; retry shortly"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _error("No such task or conversation for this user")}
CONFLICT: dict[int | str, dict[str, Any]] = {409: _error("The change conflicts with the stored data")}
