"""An archive run against the simulators and PostgreSQL: what it stores, exactly once."""

from __future__ import annotations

import msgspec
from tests.workers.obv_archiver.conftest import Harness

from ff_shared.domain.obv_archive.payloads import payload_digest
from ff_shared.integrations.obv import schemas as wire
from ff_workers.obv_archiver.fetch import Fetched
from ff_workers.obv_archiver.summary import Progress


async def test_a_run_archives_each_application_with_every_row_of_its_report(
    harness: Harness,
) -> None:
    apps = await harness.seed(3)

    summary = await harness.run()

    assert (summary.status, summary.discovered, summary.found) == ("succeeded", 3, 3)
    assert (summary.archived, summary.unchanged, summary.quarantined, summary.failed) == (
        3,
        0,
        0,
        0,
    )
    total = 0
    for app in apps:
        fetched = await harness.fetch(app.reference)
        assert isinstance(fetched, Fetched)
        report = msgspec.json.decode(fetched.raw, type=wire.Report).data
        total += len(report.transaction)
        canonical, digest = payload_digest(fetched.raw)
        [version] = await harness.versions(app)
        assert (version["version"], version["obv_reference"]) == (1, app.reference)
        assert (version["payload_sha256"], bytes(version["payload"])) == (digest, canonical)
        assert version["transaction_count"] == len(report.transaction)
        assert version["run_id"] == summary.run_id
        counts = await harness.fetch_rows(
            """
            select (select count(*) from obv.accounts where version_id = $1) as accounts,
                   (select count(*) from obv.balances where version_id = $1) as balances,
                   (select count(*) from obv.transactions where version_id = $1) as transactions,
                   (select count(*) from obv.analysis where version_id = $1) as analysis
            """,
            version["version_id"],
        )
        assert dict(counts[0]) == {
            "accounts": len(report.account),
            "balances": len(report.balance),
            "transactions": len(report.transaction),
            "analysis": 1,
        }
        first = report.transaction[0]
        row = await harness.fetch_rows(
            "select amount_pence, booked_at, currency from obv.transactions"
            " where version_id = $1 and account_id = $2 and transaction_id = $3",
            version["version_id"],
            first.account_id,
            first.transaction_id,
        )
        sign = 1 if first.credit_debit_indicator == "Credit" else -1
        assert row[0]["amount_pence"] == sign * round(float(first.amount.amount) * 100)
        assert row[0]["booked_at"] == first.booking_date_time
        income = await harness.fetchval(
            "select monthly_income_pence from obv.analysis where version_id = $1",
            version["version_id"],
        )
        assert income == round(float(report.summary.income.monthly_average.amount) * 100)
    assert summary.transactions_archived == total


async def test_the_watermark_moves_to_the_newest_change_once_the_run_is_done(
    harness: Harness,
) -> None:
    apps = await harness.seed(2)
    before = await harness.fetchval("select modified_on from obv.watermark")

    summary = await harness.run()

    newest = await harness.fetchval(
        "select max(dynamics_modified_on) from obv.applications where application_id = any($1)",
        [a.application_id for a in apps],
    )
    after = await harness.fetchval("select modified_on from obv.watermark")
    assert after == newest > before
    assert (summary.watermark_before, summary.watermark_after) == (before, after)
    run = await harness.fetch_rows(
        "select * from obv.archive_runs where run_id = $1", summary.run_id
    )
    assert (run[0]["status"], run[0]["archived"], run[0]["found"]) == ("succeeded", 2, 2)
    assert run[0]["watermark_after"] == after


async def test_a_second_run_with_nothing_changed_finds_nothing_to_do(harness: Harness) -> None:
    await harness.seed(2)
    await harness.run()

    again = await harness.run()

    assert (again.discovered, again.found, again.archived) == (0, 0, 0)
    assert await harness.fetchval("select count(*) from obv.report_versions") == 2


async def test_an_unchanged_report_of_a_changed_application_changes_nothing(
    harness: Harness,
) -> None:
    apps = await harness.seed(2)
    await harness.run()
    before = await harness.fetch_rows(
        "select version_id, payload_sha256 from obv.report_versions order by version_id"
    )
    transactions = await harness.fetchval("select count(*) from obv.transactions")
    for app in apps:
        await harness.touch(app)

    summary = await harness.run()

    assert (summary.discovered, summary.unchanged, summary.archived) == (2, 2, 0)
    after = await harness.fetch_rows(
        "select version_id, payload_sha256 from obv.report_versions order by version_id"
    )
    assert after == before
    assert await harness.fetchval("select count(*) from obv.transactions") == transactions
    pending = await harness.fetchval("select count(*) from obv.applications where pending")
    assert pending == 0


async def test_a_changed_report_is_a_new_version_and_the_old_one_is_kept(harness: Harness) -> None:
    [app, other] = await harness.seed(2)
    await harness.run()
    [first] = await harness.versions(app)
    old_rows = await harness.fetchval(
        "select count(*) from obv.transactions where version_id = $1", first["version_id"]
    )
    await harness.obv_sim.complete(app.reference, seed=7)
    await harness.touch(app)

    summary = await harness.run()

    assert (summary.archived, summary.unchanged) == (1, 0)
    [kept, second] = await harness.versions(app)
    assert dict(kept) == dict(first)
    assert second["version"] == 2
    assert second["payload_sha256"] != first["payload_sha256"]
    still = await harness.fetchval(
        "select count(*) from obv.transactions where version_id = $1", first["version_id"]
    )
    assert still == old_rows
    current = await harness.fetchval(
        "select current_version from obv.applications where application_id = $1",
        app.application_id,
    )
    assert current == 2
    assert len(await harness.versions(other)) == 1


async def test_the_same_report_sent_with_its_keys_reordered_is_unchanged(harness: Harness) -> None:
    [app] = await harness.seed(1)
    await harness.run()
    fetched = await harness.fetch(app.reference)
    assert isinstance(fetched, Fetched)
    reordered = msgspec.json.encode(_reverse_keys(msgspec.json.decode(fetched.raw)))
    assert reordered != fetched.raw
    await harness.obv_sim.put_report(app.reference, reordered)

    summary = await harness.run(reference=app.reference)

    assert (summary.unchanged, summary.archived) == (1, 0)
    assert len(await harness.versions(app)) == 1


def _reverse_keys(value: object) -> object:
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


async def test_a_dry_run_reports_what_it_would_do_and_writes_nothing(harness: Harness) -> None:
    [archived, changed, fresh] = await harness.seed(3)
    await harness.run()
    await harness.obv_sim.complete(changed.reference, seed=3)
    for app in (archived, changed):
        await harness.touch(app)
    tables = ("applications", "report_versions", "transactions", "archive_runs", "watermark")
    before = {t: await harness.fetchval(f"select count(*) from obv.{t}") for t in tables}
    watermark = await harness.fetchval("select modified_on from obv.watermark")

    summary = await harness.run(dry_run=True)

    assert summary.dry_run
    assert (summary.unchanged, summary.archived) == (1, 1)
    outcomes = {i.application_id: (i.outcome, i.version) for i in summary.items}
    assert outcomes[archived.application_id] == ("unchanged", 1)
    assert outcomes[changed.application_id] == ("archived", 2)
    assert fresh.application_id not in outcomes
    after = {t: await harness.fetchval(f"select count(*) from obv.{t}") for t in tables}
    assert after == before
    assert await harness.fetchval("select modified_on from obv.watermark") == watermark


async def test_a_dry_run_counts_what_the_real_run_then_does(harness: Harness) -> None:
    [archived, changed, _fresh] = await harness.seed(3)
    await harness.run()
    await harness.obv_sim.complete(changed.reference, seed=3)
    await harness.touch(changed)
    await harness.seed(1)

    dry = await harness.run(dry_run=True)
    real = await harness.run()

    counts = ("found", "archived", "unchanged", "quarantined", "failed")
    assert [getattr(dry, c) for c in counts] == [getattr(real, c) for c in counts]
    assert (real.found, real.archived) == (2, 2)
    assert archived.application_id not in {i.application_id for i in dry.items}


async def test_a_reference_run_archives_that_application_alone_and_keeps_the_watermark(
    harness: Harness,
) -> None:
    [wanted, other] = await harness.seed(2)
    watermark = await harness.fetchval("select modified_on from obv.watermark")

    summary = await harness.run(reference=wanted.reference)

    assert (summary.found, summary.archived) == (1, 1)
    assert len(await harness.versions(wanted)) == 1
    assert await harness.versions(other) == []
    assert await harness.fetchval("select modified_on from obv.watermark") == watermark

    again = await harness.run(reference=wanted.reference)
    assert (again.found, again.unchanged, again.archived) == (1, 1, 0)


async def test_a_since_run_rediscovers_but_never_moves_the_watermark_over_a_gap(
    harness: Harness,
) -> None:
    [app] = await harness.seed(1)
    await harness.run()
    watermark = await harness.fetchval("select modified_on from obv.watermark")
    await harness.touch(app)
    touched = await harness.fetchval("select now()")

    later = await harness.run(since=touched)
    assert later.watermark_after == watermark

    earlier = await harness.run(since=watermark)
    assert earlier.discovered == 1
    assert earlier.watermark_after is not None
    assert earlier.watermark_after > watermark


async def test_the_overlap_rereads_recent_changes_without_archiving_them_twice(
    harness: Harness,
) -> None:
    apps = await harness.seed(2)
    await harness.run()
    ids = [a.application_id for a in apps]
    seen = "select max(last_seen_at) from obv.applications where application_id = any($1)"
    first_seen = await harness.fetchval(seen, ids)
    overlapping = msgspec.structs.replace(harness.settings, overlap_seconds=600.0)

    again = await harness.run(settings=overlapping)

    # Other tests' applications of the last ten minutes are new to this database; ours are not.
    assert await harness.fetchval(seen, ids) > first_seen
    assert not {i.application_id for i in again.items} & set(ids)
    for app in apps:
        assert len(await harness.versions(app)) == 1


async def test_progress_is_reported_for_every_application(harness: Harness) -> None:
    await harness.seed(3)
    seen: list[Progress] = []

    summary = await harness.run(on_progress=seen.append)

    assert [p.tally.done for p in seen] == [1, 2, 3]
    assert seen[-1].tally.archived == 3
    assert "progress 3/3 applications: archived 3" in seen[-1].line()
    assert "archived      3" in summary.render()
