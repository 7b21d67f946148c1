"""Liveness and readiness for the kubelet."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from ..db import DatabaseNotConfigured

router = APIRouter(tags=["health"])
log = logging.getLogger("app.health")


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process serves requests. Never touches the database, so a database outage restarts nothing."""
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str
    database: str
    reason: str | None = None


def _short_reason(exc: Exception) -> str:
    """What /ready tells anyone who can reach it: a category, never the database's host, port, user or name."""
    if isinstance(exc, DatabaseNotConfigured):
        return "DATABASE_URL is not set"
    if isinstance(exc, OperationalError):
        return "cannot connect to the database"
    return "the database check failed"


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness, "description": "Not ready"}})
def ready(request: Request) -> JSONResponse:
    """Readiness: the database answers. Until it does the pod gets no traffic."""
    try:
        request.app.state.database.ping()
    except Exception as exc:
        # The full error (it names the server and user, never the password) goes to the log, for operators.
        detail = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        log.warning("not ready: database unreachable", extra={"reason": detail})
        body = {"status": "unavailable", "database": "unreachable", "reason": _short_reason(exc)}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
