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


def _clean_title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("title must not be empty")
    return value


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = PField(max_length=TITLE_MAX)
    description: str | None = PField(default=None, max_length=DESCRIPTION_MAX)

    _title = field_validator("title")(_clean_title)


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = PField(default=None, max_length=TITLE_MAX)
    description: str | None = PField(default=None, max_length=DESCRIPTION_MAX)
    completed: bool | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        return None if value is None else _clean_title(value)

    @model_validator(mode="after")
    def _something(self) -> TaskUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of title, description, completed")
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title must not be null")
        return self


class TaskComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")
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
    model_config = ConfigDict(extra="forbid")
    conversation_id: int | None = None
    message: str = PField(min_length=1, max_length=4000)

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        if not value.strip():
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
