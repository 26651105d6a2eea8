"""Two archivers at once (operators scale the container): never the same application together."""

from __future__ import annotations

import asyncio

import asyncpg
from tests.workers.obv_archiver.conftest import Harness

from ff_shared.stores.postgres import obv as archive
from ff_workers.obv_archiver.run import ArchiveRequest, run_archive
from ff_workers.obv_archiver.verify import verify_archive


async def test_two_runs_at_once_archive_each_application_once_between_them(
    harness: Harness,
) -> None:
    apps = await harness.seed(10)
    seq = await harness.obv_sim.last_seq()
    await harness.obv_sim.fault("slow", delay_seconds=0.3, times=None, path_contains="/v1/reports/")
    other = await asyncpg.create_pool(harness.dsn, min_size=1, max_size=10)
    assert other is not None
    try:
        first, second = await asyncio.gather(
            harness.run(),
            run_archive(
                other,
                harness.dynamics,
                harness.fetch,
                harness.settings,
                ArchiveRequest(trigger="schedule"),
            ),
        )
    finally:
        await other.close()

    assert first.archived + second.archived == 10
    assert first.archived > 0
    assert second.archived > 0
    assert first.failed == second.failed == 0
    for app in apps:
        assert len(await harness.versions(app)) == 1
        # One archiver fetched it; the other saw the claim and left it alone.
        assert len(await harness.report_requests(app, seq)) == 1
    runs = {i.application_id: i.outcome for i in first.items}
    for item in second.items:
        if item.outcome == "archived":
            assert runs.get(item.application_id) in (None, "skipped")
    assert (await verify_archive(harness.pool)).ok


async def test_an_application_claimed_elsewhere_is_skipped_and_left_for_a_later_run(
    harness: Harness,
) -> None:
    [claimed, free] = await harness.seed(2)
    elsewhere = await asyncpg.connect(harness.dsn)
    try:
        # Another archiver's session holds the claim, as it does while it works on one.
        assert await archive.try_claim(elsewhere, claimed.application_id)

        first = await harness.run()

        outcomes = {i.application_id: (i.outcome, i.detail) for i in first.items}
        assert outcomes[claimed.application_id] == ("skipped", "claimed by another archiver")
        assert outcomes[free.application_id][0] == "archived"
        assert await harness.versions(claimed) == []
        pending = await harness.fetchval(
            "select pending from obv.applications where application_id = $1",
            claimed.application_id,
        )
        assert pending
    finally:
        await elsewhere.close()

    second = await harness.run()

    assert [(i.application_id, i.outcome) for i in second.items] == [
        (claimed.application_id, "archived")
    ]
