"""Bad reports: kept raw in quarantine with every reason, never half-written, the run goes on."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from tests.workers.obv_archiver.conftest import Harness, SeededApp

from ff_workers.obv_archiver.fetch import Fetched


async def _report(harness: Harness, app: SeededApp) -> dict[str, Any]:
    fetched = await harness.fetch(app.reference)
    assert isinstance(fetched, Fetched)
    body: dict[str, Any] = msgspec.json.decode(fetched.raw)
    return body


async def _quarantine(harness: Harness, app: SeededApp) -> list[Any]:
    return await harness.fetch_rows(
        "select * from obv.quarantine where application_id = $1 order by quarantine_id",
        app.application_id,
    )


async def _state(harness: Harness, app: SeededApp) -> Any:
    rows = await harness.fetch_rows(
        "select pending, last_outcome, current_version from obv.applications"
        " where application_id = $1",
        app.application_id,
    )
    return rows[0]


async def test_a_report_failing_the_rules_is_quarantined_whole_and_the_run_carries_on(
    harness: Harness,
) -> None:
    [good, bad, also_good] = await harness.seed(3)
    body = await _report(harness, bad)
    transactions = body["Data"]["Transaction"]
    transactions[0]["TransactionId"] = transactions[1]["TransactionId"]
    transactions[2]["Amount"]["Currency"] = "EUR"
    transactions[3]["BookingDateTime"] = "2999-01-01T09:00:00+00:00"
    raw = msgspec.json.encode(body)
    await harness.obv_sim.put_report(bad.reference, raw)

    summary = await harness.run()

    assert (summary.status, summary.archived, summary.quarantined, summary.failed) == (
        "succeeded",
        2,
        1,
        0,
    )
    [entry] = await _quarantine(harness, bad)
    assert bytes(entry["payload"]) == raw
    assert entry["payload_sha256"] == hashlib.sha256(raw).hexdigest()
    reasons = msgspec.json.decode(entry["reasons"])
    assert {(r["code"], r["path"]) for r in reasons} >= {
        ("duplicate_transaction_id", "transactions[0].transaction_id"),
        ("currency_mismatch", "transactions[2].currency"),
        ("impossible_date", "transactions[3].booked_at"),
    }
    assert entry["obv_reference"] == bad.reference
    assert await harness.versions(bad) == []
    state = await _state(harness, bad)
    assert (state["pending"], state["last_outcome"], state["current_version"]) == (
        True,
        "quarantined",
        None,
    )
    assert len(await harness.versions(good)) == len(await harness.versions(also_good)) == 1
    quarantined = [i for i in summary.items if i.outcome == "quarantined"]
    assert quarantined[0].application_id == bad.application_id
    assert "duplicate_transaction_id" in summary.render()


async def test_a_schema_error_is_quarantined_with_its_path(harness: Harness) -> None:
    [app] = await harness.seed(1)
    body = await _report(harness, app)
    body["Data"]["Transaction"][4]["Amount"]["Amount"] = 12.5
    await harness.obv_sim.put_report(app.reference, msgspec.json.encode(body))

    summary = await harness.run()

    assert summary.quarantined == 1
    [entry] = await _quarantine(harness, app)
    [reason] = msgspec.json.decode(entry["reasons"])
    assert reason == {
        "code": "schema",
        "path": "$.Data.Transaction[4].Amount.Amount",
        "message": "Expected `str`, got `float`",
    }


async def test_a_report_the_platform_cannot_read_is_quarantined(harness: Harness) -> None:
    [app] = await harness.seed(1)
    body = await _report(harness, app)
    body["Data"]["Summary"]["MonthsAnalysed"] = 0
    await harness.obv_sim.put_report(app.reference, msgspec.json.encode(body))

    await harness.run()

    [entry] = await _quarantine(harness, app)
    [reason] = msgspec.json.decode(entry["reasons"])
    assert (reason["code"], reason["path"]) == ("invalid_content", "Data.Summary.MonthsAnalysed")


async def test_a_report_about_another_consent_is_never_filed_under_this_application(
    harness: Harness,
) -> None:
    [app, other] = await harness.seed(2)
    fetched = await harness.fetch(other.reference)
    assert isinstance(fetched, Fetched)
    await harness.obv_sim.put_report(app.reference, fetched.raw)

    await harness.run()

    [entry] = await _quarantine(harness, app)
    assert [r["code"] for r in msgspec.json.decode(entry["reasons"])] == ["reference_mismatch"]
    assert await harness.versions(app) == []
    assert len(await harness.versions(other)) == 1


async def test_the_same_bad_payload_seen_again_is_counted_not_stored_twice(
    harness: Harness,
) -> None:
    [app] = await harness.seed(1)
    body = await _report(harness, app)
    body["Data"]["Account"][0]["Currency"] = "gbp"
    await harness.obv_sim.put_report(app.reference, msgspec.json.encode(body))

    await harness.run()
    second = await harness.run()

    assert (second.found, second.quarantined) == (1, 1)
    [entry] = await _quarantine(harness, app)
    assert entry["seen_count"] == 2
    assert entry["last_run_id"] == second.run_id


async def test_a_corrected_report_is_archived_and_resolves_its_quarantine(
    harness: Harness,
) -> None:
    [app] = await harness.seed(1)
    body = await _report(harness, app)
    body["Data"]["Balance"][0]["Amount"]["Amount"] = "10.001"
    await harness.obv_sim.put_report(app.reference, msgspec.json.encode(body))
    await harness.run()
    await harness.obv_sim.complete(app.reference, seed=2)

    # No change in Dynamics: the application stayed pending after its quarantine.
    summary = await harness.run()

    assert (summary.found, summary.archived) == (1, 1)
    [version] = await harness.versions(app)
    [entry] = await _quarantine(harness, app)
    assert entry["resolved_by_version_id"] == version["version_id"]
    assert entry["resolved_at"] is not None
    state = await _state(harness, app)
    assert (state["pending"], state["last_outcome"]) == (False, "archived")


async def test_a_body_cut_short_once_is_fetched_again_and_archived(harness: Harness) -> None:
    [app] = await harness.seed(1)
    await harness.obv_sim.fault(
        "malformed", body="truncated", times=1, path_contains=f"/v1/reports/{app.reference}"
    )

    summary = await harness.run()

    assert (summary.archived, summary.quarantined) == (1, 0)
    assert await _quarantine(harness, app) == []
    assert [r["fault"] for r in await harness.report_requests(app)] == ["malformed", None]


async def test_a_body_that_stays_malformed_is_quarantined_until_obv_recovers(
    harness: Harness,
) -> None:
    [app, fine] = await harness.seed(2)
    await harness.obv_sim.fault(
        "malformed", body="html", times=None, path_contains=f"/v1/reports/{app.reference}"
    )

    first = await harness.run()

    assert (first.archived, first.quarantined) == (1, 1)
    [entry] = await _quarantine(harness, app)
    assert bytes(entry["payload"]).startswith(b"<html>")
    assert [r["code"] for r in msgspec.json.decode(entry["reasons"])] == ["malformed_json"]
    await harness.obv_sim.clear_faults()

    second = await harness.run()

    assert (second.found, second.archived) == (1, 1)
    assert len(await harness.versions(app)) == len(await harness.versions(fine)) == 1
    [entry] = await _quarantine(harness, app)
    assert entry["resolved_at"] is not None
