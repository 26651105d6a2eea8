"""The analyst's request and response bodies, and the events of its answer stream."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from ff_shared.domain.analyst import ConversationSummary, Exchange, ToolCallRecord


class QuestionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    question: Annotated[
        str,
        msgspec.Meta(
            min_length=3,
            max_length=2000,
            description="A question about the business in plain English, about aggregates only",
            examples=["Why did approvals drop last month?"],
        ),
    ]


class ConversationView(msgspec.Struct, kw_only=True):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    exchanges: list[Exchange]
    """Each question with its answer, the tool calls it cites, tokens and cost."""


class ConversationPage(msgspec.Struct, kw_only=True):
    items: list[ConversationSummary]
    next_cursor: str | None


class ConversationStarted(msgspec.Struct, kw_only=True):
    """``event: conversation``: the conversation this answer belongs to."""

    conversation_id: str


class TextEvent(msgspec.Struct, kw_only=True):
    """``event: text``: the next piece of the answer."""

    delta: str


class ToolCallEvent(msgspec.Struct, kw_only=True):
    """``event: tool_call``: the analyst asked the platform for a figure."""

    id: str
    name: str
    input: dict[str, Any]


class ToolResultEvent(msgspec.Struct, kw_only=True):
    """``event: tool_result``: what the platform answered (aggregates only)."""

    call: ToolCallRecord


class FailedEvent(msgspec.Struct, kw_only=True):
    """``event: error``: the answer stopped; a problem document's fields."""

    status: int
    code: str
    title: str
    detail: str
