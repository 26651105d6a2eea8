"""One run of the nightly loan-book backup: fetch, archive, convert, archive, restore, verify,
switch, for each backup that needs it, under a lock so only one run works at a time.

Every step's start and end is written to the catalogue before and after its work, and each step
is idempotent, so a run killed anywhere leaves a step ``running`` that the next run (holding the
lock, so knowing nobody else is at it) simply does again. Only the newest backup is restored;
older ones that arrive together are archived and marked superseded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import msgspec
import structlog

from ff_shared.clock import now_utc
from ff_shared.domain.backups.runs import (
    RESTORE_STEPS,
    RunMode,
    RunStatus,
    Step,
    StepState,
    StepStatus,
    next_step,
    run_outcome,
)
from ff_shared.errors import IllegalTransition
from ff_shared.logging import scrub_text
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres import transaction
from ff_shared.stores.postgres.lms import BackupRecord, RunRecord, StepRecord
from ff_workers.lms_restorer import archive, convert, fetch, restore, switch, verify
from ff_workers.lms_restorer.alerts import alert
from ff_workers.lms_restorer.context import Clients, StepDone, StepFailed, StepNotConfigured
from ff_workers.lms_restorer.retention import apply_retention

log = structlog.get_logger()

LOCK_KEY = 0x4C4D_5352  # "LMSR"

StepFunction = Callable[[Clients, BackupRecord, dict[Step, StepRecord], str], Awaitable[StepDone]]


def _database(states: dict[Step, StepRecord]) -> str:
    database = states[Step.RESTORE].detail.get("database")
    if not isinstance(database, str):
        raise StepFailed("the restore step recorded no database name")
    return database


async def _fetch(c: Clients, b: BackupRecord, s: dict[Step, StepRecord], r: str) -> StepDone:
    return await fetch.fetch(c, b)


async def _archive_original(
    c: Clients, b: BackupRecord, s: dict[Step, StepRecord], r: str
) -> StepDone:
    return await archive.archive_original(c, b)


async def _convert(c: Clients, b: BackupRecord, s: dict[Step, StepRecord], r: str) -> StepDone:
    return await convert.convert(c, b)


async def _archive_converted(
    c: Clients, b: BackupRecord, s: dict[Step, StepRecord], r: str
) -> StepDone:
    return await archive.archive_converted(c, b)


async def _restore(c: Clients, b: BackupRecord, s: dict[Step, StepRecord], r: str) -> StepDone:
    return await restore.restore(c, b, s[Step.RESTORE])


async def _verify(c: Clients, b: BackupRecord, s: dict[Step, StepRecord], r: str) -> StepDone:
    return await verify.verify(c, b, _database(s))


async def _switch(c: Clients, b: BackupRecord, s: dict[Step, StepRecord], r: str) -> StepDone:
    return await switch.switch(c, b, _database(s), r)


STEP_FUNCTIONS: dict[Step, StepFunction] = {
    Step.FETCH: _fetch,
    Step.ARCHIVE_ORIGINAL: _archive_original,
    Step.CONVERT: _convert,
    Step.ARCHIVE_CONVERTED: _archive_converted,
    Step.RESTORE: _restore,
    Step.VERIFY: _verify,
    Step.SWITCH: _switch,
}


class StepOutcome(msgspec.Struct, frozen=True, kw_only=True):
    backup_id: str
    file_name: str
    step: Step
    status: StepStatus
    error: str | None = None


class RunReport(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str
    status: RunStatus
    summary: str
    outcomes: list[StepOutcome] = msgspec.field(default_factory=list)
    growing: list[str] = msgspec.field(default_factory=list)
    problems: list[str] = msgspec.field(default_factory=list)
    expired_backups: list[str] = msgspec.field(default_factory=list)
    alert_message_id: str | None = None


async def request_run(
    clients: Clients,
    *,
    mode: RunMode,
    trigger: str,
    requested_by: str | None = None,
    backup_id: str | None = None,
    step: Step | None = None,
) -> RunRecord:
    async with clients.pg.acquire() as conn:
        return await catalogue.create_run(
            conn,
            mode=mode,
            trigger=trigger,
            now=now_utc(),
            requested_by=requested_by,
            backup_id=backup_id,
            step=step,
        )


async def execute_run(clients: Clients, run_id: str) -> RunReport:
    """Run ``run_id`` (created by :func:`request_run` or the API) to its end."""
    async with clients.pg.acquire() as lock:
        if not await lock.fetchval("select pg_try_advisory_lock($1)", LOCK_KEY):
            summary = "another run is in progress; this one did nothing"
            async with clients.pg.acquire() as conn:
                await catalogue.finish_run(
                    conn, run_id, status=RunStatus.BUSY, now=now_utc(), summary=summary
                )
            log.info("lms_run_busy", run_id=run_id)
            return RunReport(run_id=run_id, status=RunStatus.BUSY, summary=summary)
        try:
            return await _locked_run(clients, run_id)
        finally:
            await lock.execute("select pg_advisory_unlock($1)", LOCK_KEY)


class _Run:
    def __init__(self, clients: Clients, run: RunRecord) -> None:
        self.clients = clients
        self.run = run
        self.outcomes: list[StepOutcome] = []
        self.problems: list[str] = []


async def _locked_run(clients: Clients, run_id: str) -> RunReport:
    async with clients.pg.acquire() as conn:
        run = await catalogue.get_run(conn, run_id)
        await catalogue.start_run(conn, run_id, now=now_utc())
        abandoned = await catalogue.close_abandoned_runs(conn, keep=run_id, now=now_utc())
    structlog.contextvars.bind_contextvars(lms_run_id=run_id)
    log.info("lms_run_started", mode=run.mode.value, trigger=run.trigger, abandoned=abandoned)
    state = _Run(clients, run)
    growing: list[str] = []
    expired: list[str] = []
    if run.mode in (RunMode.SCHEDULED, RunMode.MANUAL):
        growing = await _discover(state)
        async with clients.pg.acquire() as conn:
            backups = await catalogue.unfinished_backups(conn)
            newest = await catalogue.list_backups(conn, limit=1)
        newest_id = newest[0].id if newest else None
        for backup in backups:
            await _advance(state, backup, operator=False, include_restore=backup.id == newest_id)
        if not state.problems:
            expired = (await apply_retention(clients)).expired_backups
    else:
        await _operator_run(state)
    status = run_outcome(o.status for o in state.outcomes)
    if state.problems:
        status = RunStatus.FAILED
    summary = _summary(state, growing, expired)
    async with clients.pg.acquire() as conn:
        await catalogue.finish_run(
            conn,
            run_id,
            status=status,
            now=now_utc(),
            summary=summary,
            error="; ".join(state.problems)[:4000] or None,
        )
    log.info("lms_run_finished", status=status.value, steps=len(state.outcomes))
    alert_id: str | None = None
    if status == RunStatus.FAILED:
        alert_id = await alert(
            clients,
            run_id=run_id,
            subject="the loan-book backup run failed",
            lines=[
                "The nightly loan-book backup run failed. The loan book in service is unchanged.",
                "",
                *state.problems,
            ],
        )
        if alert_id is not None:
            async with clients.pg.acquire() as conn:
                await catalogue.set_run_alert(conn, run_id, alert_id)
    return RunReport(
        run_id=run_id,
        status=status,
        summary=summary,
        outcomes=state.outcomes,
        growing=growing,
        problems=state.problems,
        expired_backups=expired,
        alert_message_id=alert_id,
    )


async def _discover(state: _Run) -> list[str]:
    try:
        discovery = await fetch.discover(state.clients)
    except StepFailed as exc:
        state.problems.append(str(exc))
        return []
    await fetch.catalogue_new(state.clients, discovery)
    return discovery.growing


async def _reset_steps(conn: asyncpg.Connection, run: RunRecord, backup: BackupRecord) -> None:
    """The steps an operator's run carries out again, reset before it starts."""
    if run.mode == RunMode.RERUN_STEP:
        if run.step is None:
            raise StepFailed("the run names no step to re-run")
        await catalogue.reset_steps(conn, backup.id, [run.step], allow_succeeded=False)
        return
    steps = await catalogue.get_steps(conn, backup.id)
    if steps[Step.ARCHIVE_CONVERTED].status != StepStatus.SUCCEEDED:
        raise StepFailed(f"{backup.file_name} has no archived converted backup to restore")
    await catalogue.reset_steps(conn, backup.id, RESTORE_STEPS, allow_succeeded=True)


async def _operator_run(state: _Run) -> None:
    run = state.run
    if run.backup_id is None:
        state.problems.append("the run names no backup")
        return
    async with transaction(state.clients.pg) as conn:
        backup = await catalogue.get_backup(conn, run.backup_id)
        if run.status == RunStatus.RUNNING:
            # Handed back mid-run (a deploy, a lost worker): carry on from the last completed
            # step instead of starting the restore again.
            log.info("lms_run_resumed", run_id=run.id, backup_id=backup.id)
        else:
            try:
                await _reset_steps(conn, run, backup)
            except (StepFailed, IllegalTransition) as exc:
                state.problems.append(f"{backup.file_name}: {exc}")
                return
    await _advance(state, backup, operator=True, include_restore=True)


async def _advance(
    state: _Run, backup: BackupRecord, *, operator: bool, include_restore: bool
) -> None:
    clients, run_id = state.clients, state.run.id
    max_attempts = clients.lms.max_step_attempts
    while True:
        async with clients.pg.acquire() as conn:
            states = await catalogue.get_steps(conn, backup.id)
            backup = await catalogue.get_backup(conn, backup.id)
        plan = next_step(
            {s: StepState(step=s, status=r.status, attempts=r.attempts) for s, r in states.items()},
            max_attempts=max_attempts,
            operator=operator,
            include_restore=include_restore,
        )
        if plan.step is None:
            if not include_restore and states[Step.ARCHIVE_CONVERTED].status == (
                StepStatus.SUCCEEDED
            ):
                async with clients.pg.acquire() as conn:
                    await catalogue.skip_steps(
                        conn, backup.id, RESTORE_STEPS, reason="superseded by a newer backup"
                    )
            elif plan.reason.endswith("an operator must re-run it"):
                state.problems.append(f"{backup.file_name}: {plan.reason}")
            return
        step = plan.step
        async with transaction(clients.pg) as conn:
            run_step_id = await catalogue.start_step(
                conn, backup.id, step, run_id=run_id, now=now_utc()
            )
        # The step function sees the record as it was before this attempt started (the RDS
        # task a killed run left behind), with this run's id.
        previous = msgspec.structs.replace(states[step], run_id=run_id)
        log.info("lms_step_started", backup_id=backup.id, step=step.value, why=plan.reason)
        status, done, error, detail = await _attempt(clients, backup, states, previous, run_id)
        async with transaction(clients.pg) as conn:
            await catalogue.finish_step(
                conn,
                backup.id,
                step,
                run_step_id=run_step_id,
                status=status,
                now=now_utc(),
                detail=done.detail if done else detail,
                error=error,
                size_bytes=done.size_bytes if done else None,
            )
        state.outcomes.append(
            StepOutcome(
                backup_id=backup.id,
                file_name=backup.file_name,
                step=step,
                status=status,
                error=error,
            )
        )
        log.info("lms_step_finished", backup_id=backup.id, step=step.value, status=status.value)
        if status == StepStatus.FAILED:
            state.problems.append(f"{backup.file_name}: {step.value} failed: {error}")
            return
        if status == StepStatus.NOT_CONFIGURED:
            return


async def _attempt(
    clients: Clients,
    backup: BackupRecord,
    states: dict[Step, StepRecord],
    previous: StepRecord,
    run_id: str,
) -> tuple[StepStatus, StepDone | None, str | None, dict[str, object]]:
    states = {**states, previous.step: previous}
    try:
        done = await STEP_FUNCTIONS[previous.step](clients, backup, states, run_id)
    except StepNotConfigured as exc:
        return StepStatus.NOT_CONFIGURED, None, str(exc), {}
    except StepFailed as exc:
        return StepStatus.FAILED, None, str(exc), dict(exc.detail)
    except Exception as exc:  # the step's edge: an unexpected failure is recorded, not lost
        log.exception("lms_step_crashed", backup_id=backup.id, step=previous.step.value)
        message = scrub_text(f"{type(exc).__name__}: {exc}")[:1000]
        return StepStatus.FAILED, None, f"unexpected error: {message}", {}
    return StepStatus.SUCCEEDED, done, None, {}


def _summary(state: _Run, growing: list[str], expired: list[str]) -> str:
    counts: dict[str, int] = {}
    for outcome in state.outcomes:
        counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
    parts = [f"{n} step(s) {status}" for status, n in sorted(counts.items())] or ["no steps run"]
    not_configured = sorted(
        {o.step.value for o in state.outcomes if o.status == StepStatus.NOT_CONFIGURED}
    )
    if not_configured:
        parts.append(f"not configured here: {', '.join(not_configured)}")
    if growing:
        parts.append(f"still being written (left for the next run): {', '.join(growing)}")
    if expired:
        parts.append(f"{len(expired)} expired backup(s) deleted from the archive")
    return "; ".join(parts)
