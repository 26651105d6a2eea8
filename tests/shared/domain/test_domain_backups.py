"""The backup rules with no I/O: headers, versions, steps, RDS lifecycles, checks, retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ff_shared.domain.backups.checks import CheckOutcome, check_freshness, check_row_counts
from ff_shared.domain.backups.files import (
    ArchivedBackup,
    backup_taken_at,
    parse_checksum_file,
    restore_database_name,
    select_expired,
)
from ff_shared.domain.backups.headers import (
    BackupTooNew,
    NotABackup,
    check_restorable,
    parse_backup_header,
)
from ff_shared.domain.backups.rds import (
    RdsLifecycle,
    RdsOutcome,
    UnexpectedRdsState,
    rds_outcome,
    rds_s3_arn,
)
from ff_shared.domain.backups.runs import (
    IllegalStepTransition,
    Step,
    StepState,
    StepStatus,
    check_transition,
    next_step,
)


def mtf(version: int, *, size_blocks: int = 8, msci_at: int = 1024) -> bytes:
    data = bytearray(512 * size_blocks)
    data[0:4] = b"TAPE"
    data[msci_at : msci_at + 4] = b"MSCI"
    data[msci_at + 0xAC : msci_at + 0xAE] = version.to_bytes(2, "little")
    data[-512:-508] = b"SFMB"
    return bytes(data)


def test_a_native_backup_header_gives_its_database_version() -> None:
    data = mtf(869)
    header = parse_backup_header(data[:65536], data[-4096:], len(data))
    assert header.database_version == 869
    assert header.product == "SQL Server 2017"


def test_a_file_not_starting_with_tape_is_not_a_backup() -> None:
    data = b"FFSQB1" + mtf(904)[6:]
    with pytest.raises(NotABackup, match="does not start with TAPE"):
        parse_backup_header(data, data[-4096:], len(data))


def test_a_backup_cut_short_is_refused() -> None:
    data = mtf(904)[:-512]
    with pytest.raises(NotABackup, match="truncated"):
        parse_backup_header(data, data[-4096:], len(data))
    ragged = mtf(904)[:-100]
    with pytest.raises(NotABackup, match="whole number"):
        parse_backup_header(ragged, ragged[-4096:], len(ragged))


def test_a_header_without_msci_is_refused() -> None:
    data = bytearray(mtf(904))
    data[1024:1028] = b"XXXX"
    with pytest.raises(NotABackup, match="MSCI"):
        parse_backup_header(bytes(data), bytes(data[-4096:]), len(data))


def test_a_backup_newer_than_the_target_is_refused_and_older_accepted() -> None:
    data = mtf(957)
    header = parse_backup_header(data, data[-4096:], len(data))
    with pytest.raises(BackupTooNew, match="SQL Server 2022"):
        check_restorable(header, 904)
    old = mtf(782)
    check_restorable(parse_backup_header(old, old[-4096:], len(old)), 904)


def test_steps_run_in_order_and_stop_at_a_failure_after_max_attempts() -> None:
    states = {
        Step.FETCH: StepState(step=Step.FETCH, status=StepStatus.SUCCEEDED, attempts=1),
        Step.ARCHIVE_ORIGINAL: StepState(
            step=Step.ARCHIVE_ORIGINAL, status=StepStatus.FAILED, attempts=3
        ),
    }
    assert next_step(states, max_attempts=3).step is None
    assert next_step(states, max_attempts=4).step == Step.ARCHIVE_ORIGINAL
    assert next_step(states, max_attempts=3, operator=True).step == Step.ARCHIVE_ORIGINAL
    assert next_step({}, max_attempts=3).step == Step.FETCH


def test_an_older_backup_stops_before_the_restore_steps() -> None:
    done = {
        s: StepState(step=s, status=StepStatus.SUCCEEDED, attempts=1)
        for s in (Step.FETCH, Step.ARCHIVE_ORIGINAL, Step.CONVERT, Step.ARCHIVE_CONVERTED)
    }
    assert next_step(done, max_attempts=3, include_restore=False).step is None
    assert next_step(done, max_attempts=3).step == Step.RESTORE


def test_step_transitions_refuse_skipping_the_running_state() -> None:
    check_transition(Step.FETCH, StepStatus.PENDING, StepStatus.RUNNING)
    check_transition(Step.FETCH, StepStatus.RUNNING, StepStatus.RUNNING)
    with pytest.raises(IllegalStepTransition):
        check_transition(Step.FETCH, StepStatus.PENDING, StepStatus.SUCCEEDED)
    with pytest.raises(IllegalStepTransition):
        check_transition(Step.FETCH, StepStatus.SUCCEEDED, StepStatus.RUNNING)


def test_rds_lifecycle_outcomes_and_order() -> None:
    assert rds_outcome(None, "CREATED") == (RdsLifecycle.CREATED, RdsOutcome.WAITING)
    assert rds_outcome(RdsLifecycle.IN_PROGRESS, "success")[1] == RdsOutcome.SUCCEEDED
    assert rds_outcome(RdsLifecycle.IN_PROGRESS, "ERROR")[1] == RdsOutcome.FAILED
    assert rds_outcome(RdsLifecycle.CANCEL_REQUESTED, "CANCELLED")[1] == RdsOutcome.CANCELLED
    with pytest.raises(UnexpectedRdsState):
        rds_outcome(RdsLifecycle.SUCCESS, "IN_PROGRESS")
    with pytest.raises(UnexpectedRdsState):
        rds_outcome(None, "PAUSED")


def test_rds_arn_is_the_file_or_the_set_prefix() -> None:
    assert rds_s3_arn("b", ["c/x.bak"], "c/x") == "arn:aws:s3:::b/c/x.bak"
    assert rds_s3_arn("b", ["c/x_01.bak", "c/x_02.bak"], "c/x") == "arn:aws:s3:::b/c/x*"


def test_backup_names_give_the_time_taken_and_a_dated_database() -> None:
    taken = backup_taken_at("FULL_AnchorLMS_20261127_013000.sqb", datetime(2026, 1, 1, tzinfo=UTC))
    assert taken == datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
    fallback = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    assert backup_taken_at("anchor.sqb", fallback) == fallback
    assert restore_database_name("loanbook", taken) == "loanbook_20261127_013000"
    assert restore_database_name("loanbook", taken, attempt=2) == "loanbook_20261127_013000_r2"


def test_checksum_files_in_sha256sum_form_or_bare() -> None:
    digest = "a" * 64
    assert parse_checksum_file(f"{digest}  x.sqb\n", "x.sqb", "sha256").hexdigest == digest
    assert parse_checksum_file(digest.upper(), "x.sqb", "sha256").hexdigest == digest
    with pytest.raises(ValueError, match="does not name"):
        parse_checksum_file(f"{digest}  y.sqb\n", "x.sqb", "sha256")
    with pytest.raises(ValueError, match="malformed"):
        parse_checksum_file("abc  x.sqb", "x.sqb", "sha256")


def test_row_counts_within_tolerance_pass_and_beyond_fail() -> None:
    assert check_row_counts(None, {"T": 1}, 10).outcome == CheckOutcome.NOT_APPLICABLE
    assert check_row_counts({"T": 100}, {"T": 109}, 10).outcome == CheckOutcome.PASSED
    failed = check_row_counts({"T": 100}, {"T": 80}, 10)
    assert failed.outcome == CheckOutcome.FAILED
    assert "T 100 -> 80 (20.0%)" in failed.detail


def test_freshness_counts_days() -> None:
    today = date(2026, 11, 28)
    assert check_freshness(today - timedelta(days=4), today, 4).outcome == CheckOutcome.PASSED
    assert check_freshness(today - timedelta(days=5), today, 4).outcome == CheckOutcome.FAILED
    assert check_freshness(None, today, 4).outcome == CheckOutcome.FAILED


def test_retention_keeps_the_newest_n_and_the_protected() -> None:
    now = datetime(2026, 11, 28, tzinfo=UTC)
    backups = [
        ArchivedBackup(backup_id=f"b{age}", taken_at=now - timedelta(days=age))
        for age in (1, 5, 40, 50, 60, 70)
    ]
    assert select_expired(backups, now=now, retention_days=35, keep_newest=2) == [
        "b70",
        "b60",
        "b50",
        "b40",
    ]
    assert select_expired(
        backups, now=now, retention_days=35, keep_newest=3, protected={"b60"}
    ) == ["b70", "b50"]
    assert select_expired(backups, now=now, retention_days=35, keep_newest=10) == []
