"""The AI analyst's records and rules: conversations, what each answer cost, and the budgets.

The analyst answers staff questions from the platform's aggregate figures only. Each answer
cites the tool calls behind it; each question's tokens count against three budgets (the
question's, the asker's day and the platform's day), checked before a model turn is asked for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec


class ToolCallRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    input: dict[str, Any]
    result: Any
    is_error: bool = False


class TokenUsage(msgspec.Struct, frozen=True, kw_only=True):
    input_tokens: int
    output_tokens: int

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class Exchange(msgspec.Struct, frozen=True, kw_only=True):
    """One question and its answer."""

    question: str
    answer: str
    tool_calls: tuple[ToolCallRecord, ...]
    usage: TokenUsage
    cost_pence: float
    model: str
    outcome: Literal["answered", "budget_exhausted", "tool_rounds_exhausted", "failed"]
    asked_at: datetime
    answered_at: datetime


class Conversation(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    staff_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: list[dict[str, Any]]
    """The messages as the model saw them, for a continued conversation."""
    exchanges: tuple[Exchange, ...] = ()


class ConversationSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    questions: int


class Budgets(msgspec.Struct, frozen=True, kw_only=True):
    question_tokens: int
    user_daily_tokens: int
    platform_daily_tokens: int


BudgetName = Literal["question", "user_daily", "platform_daily"]


def spent_budget(
    budgets: Budgets, *, question_used: int, user_used: int, platform_used: int
) -> BudgetName | None:
    """The first budget that has no tokens left, or None when another model turn may run."""
    if platform_used >= budgets.platform_daily_tokens:
        return "platform_daily"
    if user_used >= budgets.user_daily_tokens:
        return "user_daily"
    if question_used >= budgets.question_tokens:
        return "question"
    return None


def cost_pence(
    usage: TokenUsage, *, input_per_mtok_pence: int, output_per_mtok_pence: int
) -> float:
    """What the tokens cost, in pence, to four decimal places (a question costs fractions)."""
    cost = (
        usage.input_tokens * input_per_mtok_pence + usage.output_tokens * output_per_mtok_pence
    ) / 1_000_000
    return round(cost, 4)


def title_of(question: str, *, width: int = 80) -> str:
    text = " ".join(question.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
