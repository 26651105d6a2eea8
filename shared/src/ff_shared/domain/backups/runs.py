"""A backup's steps, the states each step moves through, and what a run of them comes to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

import msgspec


class Step(StrEnum):
    FETCH = "fetch"
    ARCHIVE_ORIGINAL = "archive_original"
    CONVERT = "convert"
    ARCHIVE_CONVERTED = "archive_converted"
    RESTORE = "restore"
    VERIFY = "verify"
    SWITCH = "switch"


STEPS: tuple[Step, ...] = tuple(Step)
"""The steps in the order a backup goes through them."""

RESTORE_STEPS: tuple[Step, ...] = (Step.RESTORE, Step.VERIFY, Step.SWITCH)
"""Steps that put a backup into service; only the newest backup of a run takes them."""


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_CONFIGURED = "not_configured"
    SKIPPED = "skipped"


_TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.PENDING: frozenset({StepStatus.RUNNING, StepStatus.SKIPPED}),
    # RUNNING -> RUNNING: a later run takes over a step whose run was killed.
    StepStatus.RUNNING: frozenset(
        {
            StepStatus.RUNNING,
            StepStatus.SUCCEEDED,
            StepStatus.FAILED,
            StepStatus.NOT_CONFIGURED,
            StepStatus.PENDING,
        }
    ),
    StepStatus.FAILED: frozenset({StepStatus.RUNNING, StepStatus.PENDING, StepStatus.SKIPPED}),
    StepStatus.NOT_CONFIGURED: frozenset(
        {StepStatus.RUNNING, StepStatus.PENDING, StepStatus.SKIPPED}
    ),
    StepStatus.SKIPPED: frozenset({StepStatus.PENDING}),
    # Only an operator's "restore this backup again" sends a finished step back to pending.
    StepStatus.SUCCEEDED: frozenset({StepStatus.PENDING}),
}


class IllegalStepTransition(ValueError):
    pass


def check_transition(step: Step, current: StepStatus, to: StepStatus) -> None:
    if to not in _TRANSITIONS[current]:
        raise IllegalStepTransition(f"step {step} cannot go from {current} to {to}")


class StepState(msgspec.Struct, frozen=True, kw_only=True):
    step: Step
    status: StepStatus = StepStatus.PENDING
    attempts: int = 0


class NextStep(msgspec.Struct, frozen=True, kw_only=True):
    """What a run does next with a backup: run ``step``, or stop (``step`` is None) and why."""

    step: Step | None
    reason: str


def next_step(
    states: Mapping[Step, StepState],
    *,
    max_attempts: int,
    operator: bool = False,
    include_restore: bool = True,
) -> NextStep:
    """The first step not yet done, unless an earlier one blocks the way.

    A failed step is retried by automatic runs until it has had ``max_attempts`` tries; after
    that only an operator (``operator=True``) may run it again. A step reported
    ``not_configured`` is tried again on every run (the host may have been configured since),
    but nothing after it runs until it succeeds.
    """
    for step in STEPS:
        if not include_restore and step in RESTORE_STEPS:
            return NextStep(step=None, reason="archived; a newer backup is restored instead")
        state = states.get(step, StepState(step=step))
        if state.status == StepStatus.SUCCEEDED:
            continue
        if state.status == StepStatus.SKIPPED:
            return NextStep(step=None, reason=f"{step} skipped")
        if state.status == StepStatus.FAILED and not operator and state.attempts >= max_attempts:
            return NextStep(
                step=None,
                reason=f"{step} failed {state.attempts} times; an operator must re-run it",
            )
        return NextStep(step=step, reason=f"{step} is {state.status}")
    return NextStep(step=None, reason="every step succeeded")


def steps_from(step: Step) -> tuple[Step, ...]:
    """``step`` and every step after it (what a re-run of ``step`` resets)."""
    return STEPS[STEPS.index(step) :]


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INCOMPLETE = "incomplete"
    """Nothing failed, but a step is not configured on this host (no converter, no SQL Server)."""
    NOTHING_TO_DO = "nothing_to_do"
    BUSY = "busy"
    """Another run held the lock."""


class RunMode(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    RERUN_STEP = "rerun_step"
    RESTORE_BACKUP = "restore_backup"


def run_outcome(step_results: Iterable[StepStatus]) -> RunStatus:
    results = list(step_results)
    if not results:
        return RunStatus.NOTHING_TO_DO
    if StepStatus.FAILED in results:
        return RunStatus.FAILED
    if StepStatus.NOT_CONFIGURED in results:
        return RunStatus.INCOMPLETE
    return RunStatus.SUCCEEDED
