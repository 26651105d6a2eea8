"""Amazon RDS native restore: a restore task's lifecycle and what each state it reports means."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class RdsLifecycle(StrEnum):
    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCELLED = "CANCELLED"


class RdsOutcome(StrEnum):
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


_RDS_OUTCOMES = {
    RdsLifecycle.CREATED: RdsOutcome.WAITING,
    RdsLifecycle.IN_PROGRESS: RdsOutcome.WAITING,
    RdsLifecycle.CANCEL_REQUESTED: RdsOutcome.WAITING,
    RdsLifecycle.SUCCESS: RdsOutcome.SUCCEEDED,
    RdsLifecycle.ERROR: RdsOutcome.FAILED,
    RdsLifecycle.CANCELLED: RdsOutcome.CANCELLED,
}

_RDS_NEXT: dict[RdsLifecycle, frozenset[RdsLifecycle]] = {
    RdsLifecycle.CREATED: frozenset(
        {
            RdsLifecycle.CREATED,
            RdsLifecycle.IN_PROGRESS,
            RdsLifecycle.SUCCESS,
            RdsLifecycle.ERROR,
            RdsLifecycle.CANCEL_REQUESTED,
            RdsLifecycle.CANCELLED,
        }
    ),
    RdsLifecycle.IN_PROGRESS: frozenset(
        {
            RdsLifecycle.IN_PROGRESS,
            RdsLifecycle.SUCCESS,
            RdsLifecycle.ERROR,
            RdsLifecycle.CANCEL_REQUESTED,
            RdsLifecycle.CANCELLED,
        }
    ),
    RdsLifecycle.CANCEL_REQUESTED: frozenset(
        {RdsLifecycle.CANCEL_REQUESTED, RdsLifecycle.CANCELLED, RdsLifecycle.ERROR}
    ),
    RdsLifecycle.SUCCESS: frozenset({RdsLifecycle.SUCCESS}),
    RdsLifecycle.ERROR: frozenset({RdsLifecycle.ERROR}),
    RdsLifecycle.CANCELLED: frozenset({RdsLifecycle.CANCELLED}),
}


class UnexpectedRdsState(ValueError):
    pass


def rds_outcome(previous: RdsLifecycle | None, current: str) -> tuple[RdsLifecycle, RdsOutcome]:
    """Read one ``rds_task_status`` lifecycle value, checking it follows from the previous one."""
    try:
        lifecycle = RdsLifecycle(current.strip().upper())
    except ValueError as exc:
        raise UnexpectedRdsState(f"unknown RDS task lifecycle {current!r}") from exc
    if previous is not None and lifecycle not in _RDS_NEXT[previous]:
        raise UnexpectedRdsState(f"RDS task went from {previous} to {lifecycle}")
    return lifecycle, _RDS_OUTCOMES[lifecycle]


def rds_s3_arn(bucket: str, keys: Sequence[str], prefix: str) -> str:
    """One file: its ARN; a striped set: the set's prefix and ``*``."""
    if len(keys) == 1:
        return f"arn:aws:s3:::{bucket}/{keys[0]}"
    if not all(k.startswith(prefix) for k in keys):
        raise ValueError("every file of a striped set must share the prefix")
    return f"arn:aws:s3:::{bucket}/{prefix}*"


RDS_MAX_FILES = 10


# Verification
