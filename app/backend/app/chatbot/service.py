"""One chat turn, stateless: load the conversation from the database, run the agent, store both messages."""

from __future__ import annotations

import logging

import anyio
from sqlmodel import Session, col, select

from ..config import Settings
from ..db import Database
from ..mcp_server import build_mcp_server
from ..models import ChatResponse, Conversation, Message, utcnow
from . import deterministic
from .toolbox import Toolbox

log = logging.getLogger("app.chat")

HISTORY_LIMIT = 50  # messages replayed to the model; older ones stay stored


class ConversationNotFound(LookupError):
    pass


class AgentUnavailable(RuntimeError):
    pass


def conversation_for(session: Session, user_id: str, conversation_id: int | None) -> Conversation:
    if conversation_id is None:
        conversation = Conversation(user_id=user_id)
        session.add(conversation)
        session.commit()
        session.refresh(conversation)
        return conversation
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.user_id != user_id:
        raise ConversationNotFound(f"Conversation {conversation_id} not found")
    return conversation


def history_of(session: Session, conversation_id: int) -> list[dict[str, str]]:
    rows = session.exec(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(col(Message.id).desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return [{"role": m.role, "content": m.content} for m in reversed(rows)]


async def chat_turn(
    database: Database, settings: Settings, user_id: str, conversation_id: int | None, message: str
) -> ChatResponse:
    def load() -> tuple[int, list[dict[str, str]]]:
        with database.session() as session:
            conversation = conversation_for(session, user_id, conversation_id)
            history = history_of(session, conversation.id)
            session.add(Message(user_id=user_id, conversation_id=conversation.id, role="user", content=message))
            session.commit()
            return conversation.id, history

    def store(reply: str) -> None:
        with database.session() as session:
            session.add(Message(user_id=user_id, conversation_id=conv_id, role="assistant", content=reply))
            conversation = session.get(Conversation, conv_id)
            assert conversation is not None
            conversation.updated_at = utcnow()
            session.add(conversation)
            session.commit()

    # Database work runs in worker threads so a slow query never stalls the event loop.
    conv_id, history = await anyio.to_thread.run_sync(load)
    failure: Exception | None = None
    reply = ""
    async with Toolbox(build_mcp_server(database, user_id)) as tools:
        if settings.openai_api_key:
            from . import openai_agent  # imported lazily: the SDK is heavy and unused offline

            try:
                reply = await openai_agent.respond(message, history, tools, settings)
            except Exception as exc:  # raised below, outside the MCP session's task group that would wrap it
                log.error("language model call failed", exc_info=True)
                failure = exc
        else:
            reply = await deterministic.respond(message, history, tools)
    if failure is not None:
        raise AgentUnavailable(
            f"the language model could not answer ({failure.__class__.__name__}: {str(failure)[:200]}); "
            "check OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL"
        ) from failure
    await anyio.to_thread.run_sync(store, reply)
    log.info(
        "chat turn",
        extra={"conversation_id": conv_id, "tool_calls": ",".join(c.name for c in tools.calls) or "none"},
    )
    return ChatResponse(conversation_id=conv_id, response=reply, tool_calls=tools.calls)
