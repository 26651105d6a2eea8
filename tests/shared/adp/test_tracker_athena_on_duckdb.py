"""The journey tracker's Athena SQL, parsed as Trino and run on DuckDB over the lake's files.

Three sessions on 3 Dec 2026: one from Google (" Google " in its utm_source) that reached the
personal step with two errors on first_name; one from a moneysavingexpert.com link that
submitted; one that only landed, its page view stored twice (the lake is at-least-once).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
import sqlglot
from tests.fixtures.servers import REGION

from ff_shared.adp.lake import filesystem
from ff_shared.analytics.athena import field_errors_query, funnel_query
from ff_shared.analytics.athena.duckdb_lake import read_tracker_events, run_athena_sql
from ff_shared.domain.tracking.events import EventContext, StampedEvent
from ff_shared.settings import AwsSettings
from ff_shared.tracking.s3_lake import encode_batch

ENV = "analysis"
START = datetime(2026, 12, 3, 10, tzinfo=UTC)


def _event(session: str, n: int, type_: str, **fields: object) -> StampedEvent:
    at = START + timedelta(minutes=n)
    return StampedEvent(
        schema_version=1,
        event_id=f"{session}-event-{n:03d}",
        session_id=session,
        anonymous_id=f"anon-{session}",
        type=type_,  # type: ignore[arg-type]
        form="application",
        client_time=at,
        received_at=at + timedelta(seconds=2),
        environment=ENV,
        **fields,  # type: ignore[arg-type]
    )


def _events() -> list[StampedEvent]:
    google = EventContext(utm_source=" Google ", utm_medium="cpc", device_class="mobile")
    link = EventContext(referrer="https://www.moneysavingexpert.com/loans", device_class="desktop")
    steps = ("loan", "personal", "address", "employment", "expenditure", "bank", "declarations")
    s1 = [
        _event("session-one", 0, "page_view", context=google),
        _event("session-one", 1, "step_view", step="loan"),
        _event("session-one", 2, "step_view", step="personal"),
        _event(
            "session-one",
            3,
            "field_error",
            step="personal",
            field="first_name",
            error_code="pattern",
        ),
        _event(
            "session-one",
            4,
            "field_error",
            step="personal",
            field="first_name",
            error_code="pattern",
        ),
    ]
    s2 = [_event("session-two", 0, "page_view", context=link)]
    s2 += [_event("session-two", 1 + k, "step_view", step=s) for k, s in enumerate(steps)]
    s2.append(_event("session-two", 20, "form_submit"))
    s3 = [_event("session-three", 0, "page_view", context=google)]
    return [*s1, *s2, *s3]


@pytest.fixture(scope="module")
def lake_events(moto_url: str) -> pa.Table:
    fs = filesystem(AwsSettings(region=REGION, endpoint_url=moto_url))
    bucket = f"ff-tracker-{uuid.uuid4().hex[:8]}"
    fs.create_dir(bucket)
    events = _events()
    # The landed-only session's page view arrives twice, in two objects.
    for objects in (encode_batch(events), encode_batch(events[-1:] + events[:1])):
        for key, body in objects.items():
            with fs.open_output_stream(f"{bucket}/{key}") as stream:
                stream.write(body)
    return read_tracker_events(fs, bucket)


def test_the_tracker_queries_parse_as_trino() -> None:
    for sql in (funnel_query("application"), field_errors_query()):
        assert sqlglot.parse_one(sql, read="trino") is not None


def test_the_lake_reads_back_with_the_glue_columns(lake_events: pa.Table) -> None:
    assert lake_events.num_rows == len(_events()) + 2
    assert lake_events.column_names[-3:] == ["environment", "dt", "hour"]
    assert set(lake_events["dt"].to_pylist()) == {"2026-12-03"}


def test_the_athena_funnel_answers_on_duckdb(lake_events: pa.Table) -> None:
    rows = run_athena_sql(
        lake_events,
        funnel_query("application"),
        [ENV, "application", "2026-12-03", "2026-12-03", "2026-12-03", 30, 30],
    )
    assert [(r["source"], r["device"], r["stage"], r["sessions"]) for r in rows] == [
        ("google", "mobile", 0, 1),
        ("google", "mobile", 2, 1),
        ("moneysavingexpert.com", "desktop", 8, 1),
    ]


def test_the_athena_field_errors_answer_on_duckdb(lake_events: pa.Table) -> None:
    rows = run_athena_sql(
        lake_events,
        field_errors_query(),
        [ENV, "application", "2026-12-03", "2026-12-03", "2026-12-03"],
    )
    assert [(r["step"], r["field"], r["error_code"], r["errors"], r["sessions"]) for r in rows] == [
        ("personal", "first_name", "pattern", 2, 1)
    ]
