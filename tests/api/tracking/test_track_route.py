"""``POST /v1/track`` and the Lambda gateway: one ingestion function onto moto's SQS FIFO."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.tracker import ENVIRONMENTS

from ff_shared.clock import now_utc
from ff_shared.settings import Settings
from ff_shared.tracking.lambda_handler import make_handler
from ff_shared.tracking.sqs import QueuePair

Client = AsyncTestClient[Litestar]


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def event(session_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": _id("evt"),
        "session_id": session_id,
        "anonymous_id": "anon-12345678",
        "type": "step_view",
        "form": "application",
        "step": "loan",
        "client_time": (now_utc() - timedelta(seconds=5)).isoformat(),
    }
    body.update(overrides)
    return body


async def drain_queue(sqs: Any, queue_url: str, session_id: str) -> list[dict[str, Any]]:
    """Every message of one session, in the order SQS hands them out (deleting them)."""
    found: list[dict[str, Any]] = []
    for _ in range(30):
        answer = await sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            break
        for m in messages:
            body = json.loads(m["Body"])
            if body["session_id"] == session_id:
                found.append({**body, "_attributes": m["Attributes"]})
                await sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            else:
                await sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
    return found


async def test_a_batch_is_partly_accepted_and_each_refusal_explained(
    tracker_client: Client, tracker_sqs: Any, tracker_queues: dict[str, QueuePair]
) -> None:
    session = _id("sess")
    good = event(session)
    skewed = event(session, client_time=(now_utc() + timedelta(hours=1)).isoformat())
    unknown_env = event(session, environment="qa")
    clear_email = event(session, identity_hashes={"email": "jo@example.com"})
    response = await tracker_client.post(
        "/v1/track", json={"events": [good, skewed, unknown_env, clear_email, {"type": 3}]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == [good["event_id"]]
    assert [(r["index"], r["event_id"], r["reason"]) for r in body["rejected"]] == [
        (1, skewed["event_id"], "clock_skew"),
        (2, unknown_env["event_id"], "unknown_environment"),
        (3, clear_email["event_id"], "invalid_event"),
        (4, None, "invalid_event"),
    ]
    assert "identity_hashes.email" in body["rejected"][2]["detail"]
    queued = await drain_queue(tracker_sqs, tracker_queues["production"].queue_url, session)
    assert [m["event_id"] for m in queued] == [good["event_id"]]
    assert queued[0]["environment"] == "production"
    assert queued[0]["received_at"]


async def test_events_go_to_their_environments_queue_grouped_by_session(
    tracker_client: Client, tracker_sqs: Any, tracker_queues: dict[str, QueuePair]
) -> None:
    session = _id("sess")
    events = [event(session, environment=env) for env in ENVIRONMENTS] + [event(session)]
    response = await tracker_client.post("/v1/track", json={"events": events})
    assert response.status_code == 200
    assert response.json() == {"accepted": [e["event_id"] for e in events], "rejected": []}
    for env in ENVIRONMENTS:
        queued = await drain_queue(tracker_sqs, tracker_queues[env].queue_url, session)
        expected = [e["event_id"] for e in events if e.get("environment", "production") == env]
        assert [m["event_id"] for m in queued] == expected
        for m in queued:
            assert m["_attributes"]["MessageGroupId"] == session
            assert m["_attributes"]["MessageDeduplicationId"] == m["event_id"]


async def test_a_sessions_events_keep_their_order_across_requests(
    tracker_client: Client, tracker_sqs: Any, tracker_queues: dict[str, QueuePair]
) -> None:
    session = _id("sess")
    sent: list[str] = []
    for _ in range(3):
        batch = [event(session, environment="staging") for _ in range(25)]
        response = await tracker_client.post("/v1/track", json={"events": batch})
        assert len(response.json()["accepted"]) == 25
        sent += [e["event_id"] for e in batch]
    queued = await drain_queue(tracker_sqs, tracker_queues["staging"].queue_url, session)
    assert [m["event_id"] for m in queued] == sent


async def test_the_same_event_sent_twice_is_queued_once(
    tracker_client: Client, tracker_sqs: Any, tracker_queues: dict[str, QueuePair]
) -> None:
    session = _id("sess")
    once = event(session, environment="staging")
    for _ in range(2):
        response = await tracker_client.post("/v1/track", json={"events": [once]})
        assert response.json()["accepted"] == [once["event_id"]]
    queued = await drain_queue(tracker_sqs, tracker_queues["staging"].queue_url, session)
    assert [m["event_id"] for m in queued] == [once["event_id"]]


async def test_a_body_that_is_not_a_batch_is_refused_whole(tracker_client: Client) -> None:
    malformed = await tracker_client.post(
        "/v1/track", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "malformed_body"
    wrong = await tracker_client.post("/v1/track", json={"event": []})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["path"] == "events"
    too_many = await tracker_client.post(
        "/v1/track", json={"events": [event(_id("s")) for _ in range(101)]}
    )
    assert too_many.status_code == 422
    assert "at most 100" in too_many.json()["detail"]
    empty = await tracker_client.post("/v1/track", json={"events": []})
    assert empty.status_code == 422


async def test_cors_for_the_portal_and_no_cookies(
    tracker_client: Client, tracker_settings: Settings
) -> None:
    origin = tracker_settings.api.cors_origins.split(",")[0]
    preflight = await tracker_client.options(
        "/v1/track",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "access-control-allow-credentials" not in preflight.headers
    response = await tracker_client.post(
        "/v1/track",
        json={"events": [event(_id("sess"), environment="staging")]},
        headers={"Origin": origin, "Cookie": "session=abc"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert "set-cookie" not in response.headers
    stranger = await tracker_client.options(
        "/v1/track",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert stranger.headers.get("access-control-allow-origin") != "https://evil.example"


async def test_each_client_is_rate_limited(tracker_env: dict[str, str], tracker_pool: Any) -> None:
    from ff_api.app import create_app
    from ff_shared.settings import load_settings

    settings = load_settings(
        {**tracker_env, "FF_TRACKER_RATE_LIMIT_PER_MINUTE": "3", "FF_API_TRUSTED_PROXIES": "1"}
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        me = {"X-Forwarded-For": f"203.0.113.9, 10.0.{uuid.uuid4().int % 250}.7"}
        other = {"X-Forwarded-For": f"10.1.{uuid.uuid4().int % 250}.8"}
        statuses = []
        for _ in range(4):
            response = await client.post(
                "/v1/track", json={"events": [event(_id("s"), environment="staging")]}, headers=me
            )
            statuses.append(response.status_code)
        assert statuses[-1] == 429
        assert statuses.count(200) >= 2
        limited = response
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        fine = await client.post(
            "/v1/track", json={"events": [event(_id("s"), environment="staging")]}, headers=other
        )
        assert fine.status_code == 200


async def test_the_lambda_gateway_runs_the_same_ingestion(
    tracker_settings: Settings, tracker_sqs: Any, tracker_queues: dict[str, QueuePair]
) -> None:
    gateway = make_handler(tracker_settings)
    origin = tracker_settings.api.cors_origins.split(",")[0]
    session = _id("sess")
    good = event(session, environment="staging")
    bad = event(session, step="payslips")
    request = {
        "version": "2.0",
        "requestContext": {"http": {"method": "POST"}},
        "headers": {"content-type": "application/json", "origin": origin},
        "body": msgspec.json.encode({"events": [good, bad]}).decode(),
        "isBase64Encoded": False,
    }
    try:
        answer = await asyncio.to_thread(gateway, request, None)
        preflight = await asyncio.to_thread(
            gateway,
            {"requestContext": {"http": {"method": "OPTIONS"}}, "headers": {"origin": origin}},
            None,
        )
        broken = await asyncio.to_thread(gateway, {**request, "body": '{"events": 1}'}, None)
    finally:
        await asyncio.to_thread(gateway.close)
    assert answer["statusCode"] == 200
    assert answer["headers"]["Access-Control-Allow-Origin"] == origin
    assert "Set-Cookie" not in answer["headers"]
    body = json.loads(answer["body"])
    assert body["accepted"] == [good["event_id"]]
    assert [(r["index"], r["reason"]) for r in body["rejected"]] == [(1, "unknown_step")]
    assert preflight["statusCode"] == 204
    assert broken["statusCode"] == 422
    assert json.loads(broken["body"])["code"] == "validation_failed"
    queued = await drain_queue(tracker_sqs, tracker_queues["staging"].queue_url, session)
    assert [m["event_id"] for m in queued] == [good["event_id"]]
