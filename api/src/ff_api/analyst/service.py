"""Asking the AI analyst: guard, budgets, the tool-use loop, the stream, the record.

Before anything is sent: the question is checked for personal data (patterns, dates of birth,
applicants' names) and the asker's and the platform's daily token budgets are checked; either
refusal is a problem document, not a stream. Then each model turn streams its text to the
caller; tool calls run the platform's aggregate queries and go back as tool results; the loop
ends at an answer, at the question's token budget or at the most tool rounds allowed. Every
request to the model passes the client's guard as well, so a tool result that somehow carried
personal data would stop the answer rather than leave the platform. Each question is stored
with its tool calls and token counts, and audited.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
import structlog

from ff_api.analyst import tools
from ff_api.analyst.schemas import (
    ConversationStarted,
    FailedEvent,
    TextEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from ff_api.audit.service import record_staff
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.analyst import (
    Budgets,
    Conversation,
    Exchange,
    TokenUsage,
    ToolCallRecord,
    cost_pence,
    spent_budget,
    title_of,
)
from ff_shared.domain.audit import Target
from ff_shared.domain.personal_data import (
    PersonalDataFound,
    dates_of_birth,
    find_personal_data,
    name_candidates,
    scan_request,
)
from ff_shared.errors import DomainError, NotFound, RateLimited
from ff_shared.integrations.claude.client import TextDelta, TurnDone, Usage
from ff_shared.integrations.errors import IntegrationError
from ff_shared.stores.mongo.analyst import ConversationRepository, is_customer_name

log = structlog.get_logger()

SYSTEM = (
    "You are the analyst of a UK social lender's platform. Answer staff questions about the "
    "business using only the figures the tools return; call a tool for every figure you use and "
    "quote figures exactly as the tool returned them. A null figure was suppressed because fewer "
    "than five people are behind it: say so, never estimate it. You have no access to any "
    "individual customer and must not speculate about one. Be brief and plain."
)

Event = ConversationStarted | TextEvent | ToolCallEvent | ToolResultEvent | Exchange | FailedEvent


class PersonalDataRefused(DomainError):
    status = 422
    code = "personal_data_refused"
    title = "The request would send personal data to the AI analyst"


class AnalystBudgetExhausted(RateLimited):
    code = "analyst_budget_exhausted"
    title = "The AI analyst's token budget is spent"


def refuse_personal_data(request: dict[str, Any]) -> None:
    """The Claude client's guard: every outgoing request passes here first."""
    found = scan_request(request)
    if found:
        _refuse(found)


def _refuse(found: list[PersonalDataFound]) -> None:
    kinds = sorted({f.kind for f in found})
    # The kinds only: the values are exactly what must not be written anywhere.
    log.warning("analyst_request_refused", kinds=kinds)
    raise PersonalDataRefused(
        "the analyst answers from aggregate figures only; remove "
        + ", ".join(k.replace("_", " ") for k in kinds)
        + " from the question"
    )


def budgets_of(services: Services) -> Budgets:
    a = services.settings.analyst
    return Budgets(
        question_tokens=a.question_token_budget,
        user_daily_tokens=a.user_daily_token_budget,
        platform_daily_tokens=a.platform_daily_token_budget,
    )


def _ledger_keys(staff_id: str, now: datetime) -> tuple[str, str]:
    day = now.date().isoformat()
    return f"analyst:tokens:{day}:staff:{staff_id}", f"analyst:tokens:{day}:platform"


async def tokens_used(services: Services, staff_id: str, now: datetime) -> tuple[int, int]:
    user_key, platform_key = _ledger_keys(staff_id, now)
    user, platform = await services.redis.mget([user_key, platform_key])
    return int(user or 0), int(platform or 0)


async def _spend(services: Services, staff_id: str, tokens: int, now: datetime) -> None:
    async with services.redis.pipeline(transaction=True) as pipe:
        for key in _ledger_keys(staff_id, now):
            pipe.incrby(key, tokens)
            pipe.expire(key, 2 * 86_400)
        await pipe.execute()


def _budget_refusal(which: str) -> AnalystBudgetExhausted:
    what = {
        "platform_daily": "the platform's tokens for today are spent",
        "user_daily": "your tokens for today are spent",
        "question": "this question has used all the tokens one question may",
    }[which]
    return AnalystBudgetExhausted(f"{what}; the budget turns at midnight UTC")


async def check_question(services: Services, staff: StaffPrincipal, question: str) -> None:
    """Refuse, before anything is sent, a question that names or identifies a customer, or one
    asked when the budgets are spent."""
    now = now_utc()
    found = find_personal_data(question, where="question")
    found += dates_of_birth(question, today=now.date())
    db = services.mongo[services.settings.mongo.database]
    if await is_customer_name(db, name_candidates(question)):
        found.append(PersonalDataFound(kind="customer_name", where="question"))
    if found:
        await record_staff(
            staff,
            "analyst.question_refused",
            Target(type="analyst", id="question"),
            now=now,
            customer_id=None,
            after={"kinds": sorted({f.kind for f in found})},
            seal=False,
        )
        _refuse(found)
    user, platform = await tokens_used(services, staff.staff_id, now)
    which = spent_budget(
        budgets_of(services), question_used=0, user_used=user, platform_used=platform
    )
    if which is not None:
        raise _budget_refusal(which)


async def open_conversation(
    services: Services, staff: StaffPrincipal, conversation_id: str | None, question: str
) -> Conversation:
    repo = ConversationRepository(services.mongo[services.settings.mongo.database])
    if conversation_id is not None:
        found = await repo.get(conversation_id, staff_id=staff.staff_id)
        if found is None:
            raise NotFound(f"conversation {conversation_id} not found")
        return found
    now = now_utc()
    conversation = Conversation(
        id=str(uuid.uuid4()),
        staff_id=staff.staff_id,
        title=title_of(question),
        created_at=now,
        updated_at=now,
        messages=[],
    )
    await repo.create(conversation)
    return conversation


class _Turns:
    """What one question has done so far: messages, tool calls, text, tokens."""

    def __init__(self, conversation: Conversation, question: str) -> None:
        self.messages: list[dict[str, Any]] = [
            *conversation.messages,
            {"role": "user", "content": question},
        ]
        self.calls: list[ToolCallRecord] = []
        self.text: list[str] = []
        """The latest model turn's text: the answer, once a turn ends without tool calls."""
        self.usage = Usage()


async def _run_tools(
    services: Services, content: list[dict[str, Any]], turns: _Turns
) -> AsyncIterator[Event]:
    results: list[dict[str, Any]] = []
    for block in content:
        if block.get("type") != "tool_use":
            continue
        yield ToolCallEvent(id=block["id"], name=block["name"], input=block.get("input") or {})
        tool = tools.TOOLS.get(block["name"])
        is_error = False
        result: Any
        if tool is None:
            result, is_error = {"error": f"no tool named {block['name']}"}, True
        else:
            try:
                result = await tool.call(services, block.get("input") or {})
            except msgspec.ValidationError as exc:
                result, is_error = {"error": f"invalid input: {exc}"}, True
            except (asyncpg.PostgresError, IntegrationError, DomainError) as exc:
                # The model is told the figure is unavailable and says so; the answer goes on.
                log.warning("analyst_tool_failed", tool=block["name"], error=type(exc).__name__)
                result, is_error = {"error": "this figure is unavailable right now"}, True
        record = ToolCallRecord(
            id=block["id"],
            name=block["name"],
            input=block.get("input") or {},
            result=result,
            is_error=is_error,
        )
        turns.calls.append(record)
        yield ToolResultEvent(call=record)
        results.append(
            {
                "type": "tool_result",
                "tool_use_id": block["id"],
                "content": json.dumps(result, default=str),
                "is_error": is_error,
            }
        )
    turns.messages.append({"role": "user", "content": results})


async def _model_turn(
    services: Services, staff: StaffPrincipal, turns: _Turns
) -> AsyncIterator[TextEvent | TurnDone]:
    turns.text = []
    async for part in services.claude.turn(
        system=SYSTEM, messages=turns.messages, tools=tools.definitions()
    ):
        if isinstance(part, TextDelta):
            turns.text.append(part.text)
            yield TextEvent(delta=part.text)
        else:
            turns.usage.add(part.usage)
            await _spend(services, staff.staff_id, part.usage.total, now_utc())
            yield part


async def answer(
    services: Services, staff: StaffPrincipal, conversation: Conversation, question: str
) -> AsyncIterator[Event]:
    """The answer stream; the exchange is stored and audited however the stream ends."""
    asked_at = now_utc()
    turns = _Turns(conversation, question)
    outcome = "tool_rounds_exhausted"
    yield ConversationStarted(conversation_id=conversation.id)
    try:
        for _round in range(services.settings.analyst.max_tool_rounds + 1):
            user, platform = await tokens_used(services, staff.staff_id, now_utc())
            which = spent_budget(
                budgets_of(services),
                question_used=turns.usage.total,
                user_used=user,
                platform_used=platform,
            )
            if which is not None:
                outcome = "budget_exhausted"
                refusal = _budget_refusal(which)
                yield FailedEvent(
                    status=refusal.status,
                    code=refusal.code,
                    title=refusal.title,
                    detail=refusal.detail,
                )
                break
            done: TurnDone | None = None
            async for part in _model_turn(services, staff, turns):
                if isinstance(part, TurnDone):
                    done = part
                else:
                    yield part
            assert done is not None
            turns.messages.append({"role": "assistant", "content": done.content})
            if done.stop_reason != "tool_use":
                outcome = "answered"
                break
            async for event in _run_tools(services, done.content, turns):
                yield event
    except (DomainError, IntegrationError) as exc:
        outcome = "failed"
        yield _failure(exc)
    exchange = await _record(services, staff, conversation, turns, question, asked_at, outcome)
    yield exchange


def _failure(exc: DomainError | IntegrationError) -> FailedEvent:
    if isinstance(exc, DomainError):
        return FailedEvent(status=exc.status, code=exc.code, title=exc.title, detail=exc.detail)
    log.warning("analyst_model_failed", error=exc.summary())
    return FailedEvent(
        status=503,
        code="dependency_unavailable",
        title="A service the platform depends on is unavailable",
        detail=f"claude is unavailable ({exc.kind}); try again shortly",
    )


async def _record(
    services: Services,
    staff: StaffPrincipal,
    conversation: Conversation,
    turns: _Turns,
    question: str,
    asked_at: datetime,
    outcome: str,
) -> Exchange:
    settings = services.settings.analyst
    usage = TokenUsage(
        input_tokens=turns.usage.input_tokens, output_tokens=turns.usage.output_tokens
    )
    now = now_utc()
    exchange = Exchange(
        question=question,
        answer="".join(turns.text) if outcome == "answered" else "",
        tool_calls=tuple(turns.calls),
        usage=usage,
        cost_pence=cost_pence(
            usage,
            input_per_mtok_pence=settings.input_price_per_mtok_pence,
            output_per_mtok_pence=settings.output_price_per_mtok_pence,
        ),
        model=settings.model,
        outcome=outcome,  # type: ignore[arg-type]
        asked_at=asked_at,
        answered_at=now,
    )
    # A failed turn leaves the conversation as it was before the question.
    messages = turns.messages if outcome == "answered" else conversation.messages
    repo = ConversationRepository(services.mongo[services.settings.mongo.database])
    await repo.save_exchanges(
        conversation.id,
        messages=messages,
        exchanges=(*conversation.exchanges, exchange),
        now=now,
    )
    await record_staff(
        staff,
        "analyst.question",
        Target(type="analyst_conversation", id=conversation.id),
        now=now,
        customer_id=None,
        after={
            "question": question,
            "tool_calls": [{"name": c.name, "input": c.input} for c in turns.calls],
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "outcome": outcome,
        },
        seal=False,
    )
    log.info(
        "analyst_question_answered",
        conversation_id=conversation.id,
        outcome=outcome,
        tool_calls=len(turns.calls),
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
    )
    return exchange
