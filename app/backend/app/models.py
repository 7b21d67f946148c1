"""Tables (Task, Conversation, Message) and the request/response shapes of the REST API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PField
from sqlalchemy import Column, DateTime, String, Text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, **kw))


class Task(SQLModel, table=True):
    __tablename__ = "task"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(sa_column=Column(String(255), nullable=False, index=True))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    completed: bool = Field(default=False, nullable=False)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(sa_column=Column(String(255), nullable=False, index=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Message(SQLModel, table=True):
    __tablename__ = "message"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(sa_column=Column(String(255), nullable=False, index=True))
    conversation_id: int = Field(foreign_key="conversation.id", nullable=False, index=True, ondelete="CASCADE")
    role: str = Field(sa_column=Column(String(16), nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()


TITLE_MAX = 200
DESCRIPTION_MAX = 1000
MESSAGE_MAX = 4000
USER_ID_MAX = 255  # the user_id columns are varchar(255)
ID_MAX = 2**31 - 1  # ids are PostgreSQL serials (int4): 1 .. 2147483647

# What str.strip() removes, spelled as a regex class every engine reads alike (Python re, Rust regex, ECMAScript),
# so the patterns published in the OpenAPI document accept exactly what the validators below accept.
_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_WS_CLASS = "".join(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}" for ch in _WHITESPACE)
# PostgreSQL text cannot hold NUL; psycopg refuses to send it.
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_PATTERN = rf"^[^\x00]*[^\x00{_WS_CLASS}][^\x00]*$"


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (\\u0000)")
    return value


def _clean_title(value: str) -> str:
    value = no_nul(value).strip()
    if not value:
        raise ValueError("title must not be empty")
    return value


def _not_null(name: str):
    """A field that may be left out but not sent as null (the column is NOT NULL)."""

    def check(value: Any) -> Any:
        if value is None:
            raise ValueError(f"{name} must not be null")
        return value

    return field_validator(name, mode="before")(check)


def _omit_default(schema: dict[str, Any]) -> None:
    # Optional-but-not-nullable fields default to "unchanged", not to null: do not publish `default: null`.
    schema.pop("default", None)


def _title_field(*, optional: bool = False) -> Any:
    def extra(schema: dict[str, Any]) -> None:
        schema["pattern"] = NOT_BLANK_PATTERN
        if optional:
            _omit_default(schema)

    kw: dict[str, Any] = {"default": None} if optional else {}
    return PField(min_length=1, max_length=TITLE_MAX, json_schema_extra=extra, **kw)


def _description_field() -> Any:
    return PField(default=None, max_length=DESCRIPTION_MAX, json_schema_extra={"pattern": NO_NUL_PATTERN})


# Request bodies are strict: JSON `0` is not `false` and `"7"` is not `7`, as the published schema says.
class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: str = _title_field()
    description: str | None = _description_field()

    _title = field_validator("title")(_clean_title)
    _description = field_validator("description")(lambda v: None if v is None else no_nul(v))


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"minProperties": 1})
    # Left out = unchanged. Typed without None so the published schema says what is accepted: null is refused.
    title: str = _title_field(optional=True)
    description: str | None = _description_field()
    completed: bool = PField(default=None, json_schema_extra=_omit_default)

    _title_not_null = _not_null("title")
    _completed_not_null = _not_null("completed")
    _title = field_validator("title")(_clean_title)
    _description = field_validator("description")(lambda v: None if v is None else no_nul(v))

    @model_validator(mode="after")
    def _something(self) -> TaskUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of title, description, completed")
        return self


class TaskComplete(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    completed: bool | None = None


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    conversation_id: int | None = PField(default=None, ge=1, le=ID_MAX)
    message: str = PField(min_length=1, max_length=MESSAGE_MAX, json_schema_extra={"pattern": NOT_BLANK_PATTERN})

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        if not no_nul(value).strip():
            raise ValueError("message must not be empty")
        return value.strip()


class ToolCall(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: Any = None


class ChatResponse(BaseModel):
    conversation_id: int
    response: str
    tool_calls: list[ToolCall]


class ConversationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    updated_at: datetime


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    conversation_id: int
    role: str
    content: str
    created_at: datetime
