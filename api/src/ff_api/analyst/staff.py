"""Staff routes of the AI analyst (``analytics.read``: analysts and admins)."""

from __future__ import annotations

import binascii
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import msgspec
import structlog
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from ff_api import pagination
from ff_api.analyst import service
from ff_api.analyst.schemas import (
    ConversationPage,
    ConversationStarted,
    ConversationView,
    FailedEvent,
    QuestionRequest,
    TextEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.domain.analyst import Conversation, Exchange
from ff_shared.errors import NotFound
from ff_shared.stores.mongo.analyst import ConversationRepository

log = structlog.get_logger()

_EVENT_NAMES: dict[type, str] = {
    ConversationStarted: "conversation",
    TextEvent: "text",
    ToolCallEvent: "tool_call",
    ToolResultEvent: "tool_result",
    Exchange: "done",
    FailedEvent: "error",
}
STREAM_DESCRIPTION = (
    "The answer as server-sent events: `conversation` (its id), `text` (a piece of the answer), "
    "`tool_call` and `tool_result` (each figure the analyst asked the platform for, aggregates "
    "only), then `done` (the stored exchange: the answer, the tool calls it cites, tokens and "
    "cost) or `error` (a problem's status, code, title and detail). A question that carries "
    "personal data is refused with 422 `personal_data_refused`, and a spent budget with 429 "
    "`analyst_budget_exhausted`, before the stream starts."
)


class StreamEvent(msgspec.Struct, kw_only=True):
    """One server-sent event of the answer: its name and its data (a JSON document)."""

    event: str
    data: str
    id: str | None = None


STREAM_RESPONSE = {
    200: ResponseSpec(
        data_container=StreamEvent,
        description=STREAM_DESCRIPTION,
        media_type="text/event-stream",
        generate_examples=False,
    )
}


def _message(event: service.Event) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        event=_EVENT_NAMES[type(event)], data=msgspec.json.encode(event).decode()
    )


async def _messages(
    events: AsyncIterator[service.Event],
) -> AsyncIterator[ServerSentEventMessage]:
    try:
        async for event in events:
            yield _message(event)
    except Exception:  # the stream's edge: a bug must end it cleanly, not cut it off
        log.exception("analyst_stream_crashed")
        yield _message(
            FailedEvent(
                status=500,
                code="internal_error",
                title="The answer failed",
                detail="the answer stopped on an internal error; it has been logged",
            )
        )


async def _ask(
    services: Services, staff: StaffPrincipal, conversation_id: str | None, question: str
) -> ServerSentEvent:
    await service.check_question(services, staff, question)
    conversation = await service.open_conversation(services, staff, conversation_id, question)
    events = service.answer(services, staff, conversation, question)
    return ServerSentEvent(_messages(events), headers={"Cache-Control": "no-store"})


def _view(conversation: Conversation) -> ConversationView:
    return ConversationView(
        id=conversation.id,
        title=conversation.title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        exchanges=list(conversation.exchanges),
    )


def _before(cursor: str | None) -> datetime | None:
    if cursor is None:
        return None
    try:
        return datetime.fromisoformat(pagination.decode(cursor).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise pagination.invalid_cursor() from None


class AnalystController(Controller):
    path = "/analyst/conversations"
    tags = ["staff: analyst"]

    @post(
        operation_id="staff_analyst_ask",
        summary="Ask the AI analyst a question; the answer streams back",
        opt={"permission": "analytics.read"},
        responses=STREAM_RESPONSE,
        status_code=200,
    )
    async def ask(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        data: JSONBody[QuestionRequest],
    ) -> ServerSentEvent:
        return await _ask(services, staff, None, data.question)

    @post(
        "/{conversation_id:str}/questions",
        operation_id="staff_analyst_continue",
        summary="Ask a follow-up question in one of your conversations",
        opt={"permission": "analytics.read"},
        responses=STREAM_RESPONSE,
        status_code=200,
    )
    async def follow_up(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        conversation_id: FromPath[str],
        data: JSONBody[QuestionRequest],
    ) -> ServerSentEvent:
        return await _ask(services, staff, conversation_id, data.question)

    @get(
        operation_id="staff_analyst_conversations",
        summary="Your conversations with the analyst, most recent first",
        opt={"permission": "analytics.read"},
    )
    async def list_conversations(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the previous page")
        ] = None,
    ) -> ConversationPage:
        repo = ConversationRepository(services.mongo[services.settings.mongo.database])
        items = await repo.list_for(staff.staff_id, before=_before(cursor), limit=limit)
        next_cursor = (
            pagination.encode(items[-1].updated_at.isoformat().encode())
            if len(items) == limit
            else None
        )
        return ConversationPage(items=items, next_cursor=next_cursor)

    @get(
        "/{conversation_id:str}",
        operation_id="staff_analyst_conversation",
        summary="One of your conversations: every question, answer and the figures cited",
        opt={"permission": "analytics.read"},
    )
    async def get_conversation(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        conversation_id: FromPath[str],
    ) -> ConversationView:
        repo = ConversationRepository(services.mongo[services.settings.mongo.database])
        conversation = await repo.get(conversation_id, staff_id=staff.staff_id)
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} not found")
        return _view(conversation)
