"""``obv-verify``: every stored payload re-hashed, every count, sum and balance re-checked."""

from __future__ import annotations

from tests.workers.obv_archiver.conftest import Harness

from ff_workers.obv_archiver.verify import verify_archive


async def _archived(harness: Harness, count: int = 2) -> int:
    await harness.seed(count)
    summary = await harness.run()
    assert summary.archived == count
    version_id: int = await harness.fetchval("select min(version_id) from obv.report_versions")
    return version_id


async def _checks(harness: Harness) -> set[str]:
    result = await verify_archive(harness.pool)
    assert not result.ok
    return {m.mismatch.check for m in result.mismatches}


async def test_an_intact_archive_verifies(harness: Harness) -> None:
    await _archived(harness, 3)

    result = await verify_archive(harness.pool)

    assert result.ok, result.render()
    assert (result.versions, result.applications) == (3, 3)
    assert result.transactions == await harness.fetchval("select count(*) from obv.transactions")
    assert "every payload hash, count, sum and balance matches" in result.render()


async def test_a_changed_payload_byte_fails_its_hash(harness: Harness) -> None:
    version_id = await _archived(harness)
    await harness.fetchval(
        "update obv.report_versions"
        " set payload = set_byte(payload, 200, get_byte(payload, 200) # 1)"
        " where version_id = $1",
        version_id,
    )

    result = await verify_archive(harness.pool)

    [mismatch] = result.mismatches
    assert (mismatch.version_id, mismatch.mismatch.check) == (version_id, "payload_sha256")


async def test_a_changed_transaction_amount_is_found(harness: Harness) -> None:
    version_id = await _archived(harness)
    await harness.fetchval(
        "update obv.transactions set amount_pence = amount_pence - 100 where version_id = $1"
        " and seq = (select max(seq) from obv.transactions where version_id = $1)",
        version_id,
    )

    checks = await _checks(harness)

    assert {"transaction.amount_pence", "running_balance"} <= checks
    assert checks & {"rows.credits_pence", "rows.debits_pence"}


async def test_a_deleted_transaction_is_found_by_its_count(harness: Harness) -> None:
    version_id = await _archived(harness)
    await harness.fetchval(
        "delete from obv.transactions where version_id = $1 and seq = 3", version_id
    )

    checks = await _checks(harness)

    assert {"rows.transaction_count", "transaction.present"} <= checks


async def test_a_changed_balance_is_found(harness: Harness) -> None:
    version_id = await _archived(harness)
    await harness.fetchval(
        "update obv.balances set amount_pence = amount_pence + 1"
        " where version_id = $1 and balance_type = 'InterimBooked'",
        version_id,
    )

    checks = await _checks(harness)

    assert {"rows.balances_pence", "booked_balance"} <= checks


async def test_a_changed_recorded_count_is_found(harness: Harness) -> None:
    version_id = await _archived(harness)
    await harness.fetchval(
        "update obv.report_versions set transaction_count = transaction_count + 1"
        " where version_id = $1",
        version_id,
    )
    await harness.fetchval(
        "update obv.accounts set debits_pence = debits_pence + 1 where version_id = $1",
        version_id,
    )

    checks = await _checks(harness)

    assert {"version.transaction_count", "recorded.debits_pence"} <= checks


async def test_a_current_version_pointing_at_the_wrong_version_is_found(harness: Harness) -> None:
    await _archived(harness, 1)
    await harness.fetchval("update obv.applications set current_version = 7")

    checks = await _checks(harness)

    assert checks == {"application.current_version"}


async def test_verification_can_be_limited_to_one_application(harness: Harness) -> None:
    version_id = await _archived(harness)
    tampered = await harness.fetchval(
        "select application_id from obv.report_versions where version_id = $1", version_id
    )
    clean = await harness.fetchval(
        "select application_id from obv.report_versions where version_id <> $1", version_id
    )
    await harness.fetchval(
        "delete from obv.transactions where version_id = $1 and seq = 0", version_id
    )

    assert (await verify_archive(harness.pool, application_id=clean)).ok
    result = await verify_archive(harness.pool, application_id=tampered)
    assert not result.ok
    assert {m.application_id for m in result.mismatches} == {tampered}
