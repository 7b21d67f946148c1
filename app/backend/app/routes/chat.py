"""Phase III chat API, and the stored conversations for the chat UI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from sqlmodel import col, select

from ..auth import CurrentUser
from ..chatbot.service import AgentUnavailable, ConversationNotFound, chat_turn
from ..models import ID_MAX, ChatRequest, ChatResponse, Conversation, ConversationRead, Message, MessageRead
from .errors import API, CONFLICT, NOT_FOUND, ErrorDetail

router = APIRouter(prefix="/api/{user_id}", tags=["chat"], responses=API)
AGENT_FAILED = {502: {"model": ErrorDetail, "description": "The language model could not answer"}}


@router.post("/chat", response_model=ChatResponse, responses=NOT_FOUND | CONFLICT | AGENT_FAILED)
async def chat(body: ChatRequest, request: Request, user_id: str = CurrentUser) -> ChatResponse:
    try:
        return await chat_turn(
            request.app.state.database, request.app.state.settings, user_id, body.conversation_id, body.message
        )
    except ConversationNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except AgentUnavailable as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=str(exc)) from exc


@router.get("/conversations", response_model=list[ConversationRead])
def conversations(request: Request, user_id: str = CurrentUser):
    with request.app.state.database.session() as session:
        query = (
            select(Conversation).where(Conversation.user_id == user_id).order_by(col(Conversation.updated_at).desc())
        )
        return list(session.exec(query))


@router.get("/conversations/{conversation_id}/messages", response_model=list[MessageRead], responses=NOT_FOUND)
def messages(conversation_id: Annotated[int, Path(ge=1, le=ID_MAX)], request: Request, user_id: str = CurrentUser):
    with request.app.state.database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.user_id != user_id:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"Conversation {conversation_id} not found")
        query = select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.id))
        return list(session.exec(query))
