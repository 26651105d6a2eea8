"""The AI analyst over the API, against the Messages API simulator on a real socket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.analyst import ClaudeSimulator
from tests.fixtures.reports import with_published_portfolio
from tests.fixtures.staff import ApplicantFactory, StaffFactory, SubmitFactory

from ff_api.app import create_app
from ff_shared.clock import now_utc
from ff_shared.settings import load_settings

Client = AsyncTestClient[Litestar]
ASK = "/v1/staff/analyst/conversations"


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """Server-sent events as (event, decoded data); asserts every block is well formed."""
    events: list[tuple[str, Any]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, sep, value = line.partition(":")
            assert sep == ":", f"not an SSE field line: {line!r}"
            fields[name] = value.removeprefix(" ")
        assert set(fields) == {"event", "data"}, fields
        events.append((fields["event"], json.loads(fields["data"])))
    return events


@pytest.fixture(scope="module")
async def applications(applicant: ApplicantFactory, submit_application: SubmitFactory) -> list[Any]:
    """Five customers who applied, so the last month's figures are not suppressed."""
    made = []
    for _ in range(5):
        who = await applicant()
        await submit_application(who)
        made.append(who)
    return made


def _quote(value: Any) -> str:
    return "(not available)" if value is None else json.dumps(value)


def quoted_answer(figures: dict[str, Any]) -> str:
    """The simulator's scripted answer for an approval question, quoting the tool result."""
    q = {k: _quote(v) for k, v in figures.items()}
    return (
        f"In the last {q['days']} days {q['submitted']} applications were submitted: "
        f"{q['approved']} approved, {q['referred']} referred and {q['declined']} declined "
        f"(approval rate {q['approval_rate']})."
    )


async def _expected_outcomes(mongo_db: Any, days: int) -> int:
    since = now_utc() - timedelta(days=days)
    return int(await mongo_db["applications"].count_documents({"submitted_at": {"$gte": since}}))


async def test_a_question_is_answered_from_tool_results_quoted_exactly(
    client: Client,
    staff_as: StaffFactory,
    applications: list[Any],
    mongo_db: Any,
    claude_sim: ClaudeSimulator,
) -> None:
    analyst = await staff_as("analyst")
    response = await client.post(
        ASK, json={"question": "Why did the approval rate move?"}, headers=analyst.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "conversation"
    assert kinds[-1] == "done"
    assert kinds.index("tool_call") < kinds.index("tool_result") < len(kinds) - 1
    result = next(data for kind, data in events if kind == "tool_result")["call"]
    assert result["name"] == "application_outcomes"
    figures = result["result"]
    assert figures["submitted"] == await _expected_outcomes(mongo_db, 30)
    done = events[-1][1]
    assert done["outcome"] == "answered"
    assert done["answer"] == quoted_answer(figures)
    streamed = "".join(data["delta"] for kind, data in events if kind == "text")
    assert streamed.startswith("Let me look at the figures.")
    assert streamed.endswith(done["answer"])
    assert [c["name"] for c in done["tool_calls"]] == ["application_outcomes"]
    assert done["usage"]["input_tokens"] > 0
    assert done["cost_pence"] > 0

    stored = await client.get(f"{ASK}/{events[0][1]['conversation_id']}", headers=analyst.headers)
    assert stored.status_code == 200
    assert stored.json()["exchanges"][0]["tool_calls"][0]["result"] == figures


async def test_a_conversation_continues_with_what_was_said_before(
    tracker_client: Client,
    staff_as: StaffFactory,
    staff_member: StaffFactory,
    claude_sim: ClaudeSimulator,
) -> None:
    client = tracker_client
    analyst = await staff_as("analyst")
    first = parse_sse(
        (
            await client.post(
                ASK,
                json={"question": "Which source brings most journeys?"},
                headers=analyst.headers,
            )
        ).text
    )
    conversation_id = first[0][1]["conversation_id"]
    before = len(await claude_sim.bodies())
    follow = await client.post(
        f"{ASK}/{conversation_id}/questions",
        json={"question": "And the approval picture?"},
        headers=analyst.headers,
    )
    assert follow.status_code == 200
    assert parse_sse(follow.text)[-1][1]["outcome"] == "answered"
    sent = (await claude_sim.bodies())[before]
    questions = [m["content"] for m in sent["messages"] if isinstance(m["content"], str)]
    assert questions == ["Which source brings most journeys?", "And the approval picture?"]

    view = (await client.get(f"{ASK}/{conversation_id}", headers=analyst.headers)).json()
    assert [e["question"] for e in view["exchanges"]] == [
        "Which source brings most journeys?",
        "And the approval picture?",
    ]
    listed = (await client.get(ASK, headers=analyst.headers)).json()
    assert conversation_id in [c["id"] for c in listed["items"]]
    someone_else = await staff_member("analyst")
    assert (
        await client.get(f"{ASK}/{conversation_id}", headers=someone_else.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    "question",
    [
        "How many loans does jo.bloggs@example.com have?",
        "Call 07700 900123 about arrears",
        "What about the customer at SW1A 1AA?",
        "Account 12-34-56 31926819 is in arrears, why?",
        "Someone born 14/05/1990 applied, what happened?",
        "Explain application FF-ABCDEFGH",
    ],
)
async def test_a_question_with_personal_data_is_refused_before_anything_is_sent(
    client: Client, staff_as: StaffFactory, claude_sim: ClaudeSimulator, question: str
) -> None:
    analyst = await staff_as("analyst")
    before = len(await claude_sim.bodies())
    response = await client.post(ASK, json={"question": question}, headers=analyst.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "personal_data_refused"
    assert len(await claude_sim.bodies()) == before


async def test_naming_an_applicant_is_refused(
    client: Client, staff_as: StaffFactory, applications: list[Any], claude_sim: ClaudeSimulator
) -> None:
    analyst = await staff_as("analyst")
    who = applications[0].personal
    before = len(await claude_sim.bodies())
    response = await client.post(
        ASK,
        json={"question": f"Why was {who['first_name']} {who['last_name']} not approved?"},
        headers=analyst.headers,
    )
    assert response.status_code == 422
    assert "customer name" in response.json()["detail"]
    assert len(await claude_sim.bodies()) == before


async def test_rate_limits_and_overload_are_retried_with_backoff(
    client: Client, staff_as: StaffFactory, claude_sim: ClaudeSimulator
) -> None:
    analyst = await staff_as("analyst")
    await claude_sim.fault("rate_limit", times=1, path_contains="/v1/messages", retry_after="0")
    await claude_sim.fault("status", status=529, times=1, path_contains="/v1/messages")
    seq = await claude_sim.last_seq()
    response = await client.post(
        ASK, json={"question": "approval rate please"}, headers=analyst.headers
    )
    assert parse_sse(response.text)[-1][1]["outcome"] == "answered"
    statuses = [r["status"] for r in await claude_sim.requests(after=seq)]
    assert statuses[:3] == [429, 529, 200]


async def test_an_outage_past_the_retries_ends_the_stream_with_a_clear_error(
    client: Client, staff_as: StaffFactory, claude_sim: ClaudeSimulator
) -> None:
    analyst = await staff_as("analyst")
    await claude_sim.fault("status", status=529, times=None, path_contains="/v1/messages")
    try:
        response = await client.post(
            ASK, json={"question": "approval rate please"}, headers=analyst.headers
        )
    finally:
        await claude_sim.clear_faults()
    events = parse_sse(response.text)
    error = next(data for kind, data in events if kind == "error")
    assert error["code"] == "dependency_unavailable"
    assert "claude" in error["detail"]
    assert events[-1][1]["outcome"] == "failed"


@pytest.fixture
async def tight_budget_client(base_env: dict[str, str]) -> AsyncIterator[Client]:
    app = create_app(
        load_settings(
            {
                **base_env,
                "FF_ANALYST_QUESTION_TOKEN_BUDGET": "50",
                "FF_ANALYST_USER_DAILY_TOKEN_BUDGET": "600",
            }
        )
    )
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def test_budgets_stop_a_question_and_then_refuse_the_next(
    tight_budget_client: Client, staff_member: StaffFactory
) -> None:
    analyst = await staff_member("analyst")
    first = await tight_budget_client.post(
        ASK, json={"question": "approval rate please"}, headers=analyst.headers
    )
    events = parse_sse(first.text)
    assert ("error", "analyst_budget_exhausted") in [
        (kind, data.get("code")) for kind, data in events
    ]
    assert events[-1][1]["outcome"] == "budget_exhausted"
    refused = None
    for _ in range(5):
        refused = await tight_budget_client.post(
            ASK, json={"question": "approval rate please"}, headers=analyst.headers
        )
        if refused.status_code == 429:
            break
    assert refused is not None
    assert refused.status_code == 429
    assert refused.json()["code"] == "analyst_budget_exhausted"


async def test_every_question_is_audited_with_its_tool_calls_and_tokens(
    client: Client, staff_as: StaffFactory, claude_sim: ClaudeSimulator
) -> None:
    analyst = await staff_as("analyst")
    admin = await staff_as("admin")
    response = await client.post(
        ASK, json={"question": "approval numbers?"}, headers=analyst.headers
    )
    conversation_id = parse_sse(response.text)[0][1]["conversation_id"]
    audit = await client.get(
        "/v1/staff/audit",
        params={"target": conversation_id},
        headers=admin.headers,
    )
    assert audit.status_code == 200, audit.text
    entries = audit.json()["items"]
    assert [e["action"] for e in entries] == ["analyst.question"]
    after = entries[0]["after"]
    assert after["tool_calls"] == [{"name": "application_outcomes", "input": {"days": 30}}]
    assert after["input_tokens"] > 0
    assert after["output_tokens"] > 0


async def test_only_analytics_readers_may_ask(client: Client, staff_as: StaffFactory) -> None:
    underwriter = await staff_as("underwriter")
    response = await client.post(
        ASK, json={"question": "approval rate?"}, headers=underwriter.headers
    )
    assert response.status_code == 403


async def test_the_openapi_document_describes_the_analyst_and_marketing_routes(
    client: Client,
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    ask = document["paths"]["/v1/staff/analyst/conversations"]["post"]
    assert ask["operationId"] == "staff_analyst_ask"
    assert "text/event-stream" in ask["responses"]["200"]["content"]
    assert {"401", "403", "422"} <= ask["responses"].keys()
    follow_up = document["paths"]["/v1/staff/analyst/conversations/{conversation_id}/questions"]
    assert follow_up["post"]["operationId"] == "staff_analyst_continue"
    marketing = document["paths"]["/v1/staff/marketing/{report}"]["get"]
    assert marketing["operationId"] == "staff_marketing_report"
    assert {"200", "401", "403", "422"} <= marketing["responses"].keys()


@pytest.fixture(scope="module")
async def reports_client(base_env: dict[str, str]) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(with_published_portfolio(base_env))) as test_client:
        yield test_client


async def test_business_figures_come_from_the_data_platform_and_are_quoted_exactly(
    reports_client: Client, staff_as: StaffFactory, claude_sim: ClaudeSimulator
) -> None:
    analyst = await staff_as("analyst")
    june = {"from": "2026-06-01", "to": "2026-06-30"}
    kpis = (
        await reports_client.get("/v1/staff/reports/kpis", params=june, headers=analyst.headers)
    ).json()
    names = [row[0] for row in kpis["table"]["rows"]]
    funded = names.index("funded_count")
    await claude_sim.script(
        {
            "match": "loans were funded in june",
            "rounds": [
                [
                    {
                        "name": "business_report",
                        "input": {
                            "report": "kpis",
                            "period_from": "2026-06-01",
                            "period_to": "2026-06-30",
                        },
                    }
                ]
            ],
            "answer": f"{{{{business_report.rows.{funded}.2}}}} loans were funded in June.",
        }
    )
    response = await reports_client.post(
        ASK, json={"question": "How many loans were funded in June?"}, headers=analyst.headers
    )
    events = parse_sse(response.text)
    result = next(data for kind, data in events if kind == "tool_result")["call"]
    assert result["is_error"] is False
    assert result["result"]["rows"] == kpis["table"]["rows"]
    assert (
        events[-1][1]["answer"] == f"{kpis['table']['rows'][funded][2]} loans were funded in June."
    )
    assert kpis["table"]["rows"][funded][2] == 6
