"""Operations over the nightly loan-book backup: what was fetched, converted, restored and
verified, and the operator's levers (run now, re-run a failed step, restore an archived backup,
roll back the loan book). Runs are catalogued here and carried out by the lms-restorer worker;
every action is written to the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
import msgspec
import structlog
from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_api.staff.auditing import current_request_id, record
from ff_shared.clock import now_utc
from ff_shared.domain.audit import Target
from ff_shared.domain.backups import STEPS, RunMode, RunStatus, Step, StepStatus
from ff_shared.errors import DependencyUnavailable, FieldProblem, IllegalTransition, InvalidInput
from ff_shared.jobs import LMS_RUN
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres import transaction
from ff_shared.stores.postgres.lms import (
    BackupRecord,
    ConvertedFile,
    LoanBookPointer,
    RestoreRecord,
    RunRecord,
    RunStepRecord,
    StepRecord,
)

log = structlog.get_logger()

PERMISSION = {"permission": "ops.lms"}
RERUNNABLE = {StepStatus.FAILED, StepStatus.NOT_CONFIGURED, StepStatus.SKIPPED}


class StepView(msgspec.Struct, kw_only=True):
    step: str
    status: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    size_bytes: int | None
    error: str | None
    detail: dict[str, Any]


class BackupView(msgspec.Struct, kw_only=True):
    id: str
    file_name: str
    size_bytes: int
    taken_at: datetime
    discovered_at: datetime
    sha256: str | None
    published_checksum: str | None
    original_key: str | None
    converted_files: list[ConvertedFile]
    database_version: int | None
    archive_deleted_at: datetime | None
    steps: list[StepView]


class RunStepView(msgspec.Struct, kw_only=True):
    backup_id: str
    step: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    size_bytes: int | None
    error: str | None


class RunView(msgspec.Struct, kw_only=True):
    id: str
    mode: str
    status: str
    trigger: str
    requested_by: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    backup_id: str | None
    step: str | None
    summary: str | None
    error: str | None
    alert_message_id: str | None
    """The SES message id of the alert this run sent operations, if it failed."""
    steps: list[RunStepView]


class RestoreView(msgspec.Struct, kw_only=True):
    database_name: str
    mode: str
    restored_at: datetime
    verified: bool | None
    verified_at: datetime | None
    checks: list[dict[str, str]]
    row_counts: dict[str, int] | None


class BackupDetail(BackupView, kw_only=True):
    history: list[RunStepView]
    restores: list[RestoreView]


class BackupPage(msgspec.Struct, kw_only=True):
    items: list[BackupView]
    next_before: datetime | None


class RunPage(msgspec.Struct, kw_only=True):
    items: list[RunView]
    next_before: datetime | None


class LoanBookView(msgspec.Struct, kw_only=True):
    current_database: str | None
    previous_database: str | None
    switched_at: datetime | None
    switched_by: str | None


class RunRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    """Why the operator asks for this (kept in the audit log)."""


def _step_view(record: StepRecord) -> StepView:
    return StepView(
        step=record.step.value,
        status=record.status.value,
        attempts=record.attempts,
        started_at=record.started_at,
        finished_at=record.finished_at,
        duration_ms=record.duration_ms,
        size_bytes=record.size_bytes,
        error=record.error,
        detail=record.detail,
    )


def _backup_view(backup: BackupRecord, steps: dict[Step, StepRecord]) -> BackupView:
    return BackupView(
        id=backup.id,
        file_name=backup.file_name,
        size_bytes=backup.size_bytes,
        taken_at=backup.taken_at,
        discovered_at=backup.discovered_at,
        sha256=backup.sha256,
        published_checksum=backup.published_checksum,
        original_key=backup.original_key,
        converted_files=list(backup.converted_files),
        database_version=backup.database_version,
        archive_deleted_at=backup.archive_deleted_at,
        steps=[_step_view(steps[s]) for s in STEPS if s in steps],
    )


def _run_step_view(record: RunStepRecord) -> RunStepView:
    return RunStepView(
        backup_id=record.backup_id,
        step=record.step.value,
        status=record.status.value,
        started_at=record.started_at,
        finished_at=record.finished_at,
        duration_ms=record.duration_ms,
        size_bytes=record.size_bytes,
        error=record.error,
    )


def _run_view(run: RunRecord, steps: list[RunStepRecord]) -> RunView:
    return RunView(
        id=run.id,
        mode=run.mode.value,
        status=run.status.value,
        trigger=run.trigger,
        requested_by=run.requested_by,
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        backup_id=run.backup_id,
        step=run.step.value if run.step else None,
        summary=run.summary,
        error=run.error,
        alert_message_id=run.alert_message_id,
        steps=[_run_step_view(s) for s in steps if s.run_id == run.id],
    )


def _restore_view(record: RestoreRecord) -> RestoreView:
    return RestoreView(
        database_name=record.database_name,
        mode=record.mode,
        restored_at=record.restored_at,
        verified=record.verified,
        verified_at=record.verified_at,
        checks=[
            {"name": c.name, "outcome": c.outcome.value, "detail": c.detail} for c in record.checks
        ],
        row_counts=record.row_counts,
    )


def _loanbook_view(pointer: LoanBookPointer | None) -> LoanBookView:
    if pointer is None:
        return LoanBookView(
            current_database=None, previous_database=None, switched_at=None, switched_by=None
        )
    return LoanBookView(
        current_database=pointer.current_database,
        previous_database=pointer.previous_database,
        switched_at=pointer.switched_at,
        switched_by=pointer.switched_by,
    )


def _pool(services: Services) -> asyncpg.Pool:
    pool: asyncpg.Pool = services.postgres
    return pool


async def _enqueue(services: Services, run: RunRecord) -> None:
    try:
        job = await services.redis.enqueue_job(
            LMS_RUN,
            run_id=run.id,
            _job_id=f"lms-run:{run.id}",
            _queue_name=services.settings.lms.queue_name,
        )
    except (OSError, ConnectionError) as exc:
        async with _pool(services).acquire() as conn:
            await catalogue.finish_run(
                conn,
                run.id,
                status=RunStatus.FAILED,
                now=now_utc(),
                summary="never started",
                error="the job queue was unavailable",
            )
        raise DependencyUnavailable("the job queue is unavailable") from exc
    log.info("lms_run_enqueued", run_id=run.id, job_id=job.job_id if job else None)


async def _request(
    services: Services,
    staff: StaffPrincipal,
    *,
    mode: RunMode,
    action: str,
    target: Target,
    reason: str | None,
    backup_id: str | None = None,
    step: Step | None = None,
) -> RunView:
    async with _pool(services).acquire() as conn:
        run = await catalogue.create_run(
            conn,
            mode=mode,
            trigger="api",
            now=now_utc(),
            requested_by=staff.username,
            requested_role=",".join(sorted(r.value for r in staff.roles)),
            request_id=current_request_id(),
            backup_id=backup_id,
            step=step,
        )
    await record(
        staff,
        action,
        target,
        now=now_utc(),
        customer_id=None,
        after={"run_id": run.id, "reason": reason, "step": step.value if step else None},
        seal=False,
    )
    await _enqueue(services, run)
    return _run_view(run, [])


def _reason(data: RunRequest | None) -> str | None:
    return data.reason if data is not None else None


class LmsOpsController(Controller):
    path = "/ops/lms"
    tags = ["staff: operations"]

    @get(
        "/backups",
        operation_id="ops_lms_list_backups",
        summary="Loan-book backups, newest first, with the state of every step",
        opt=PERMISSION,
    )
    async def list_backups(
        self,
        staff: StaffPrincipal,
        services: Services,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        before: Annotated[
            datetime | None, Parameter(description="next_before of the previous page")
        ] = None,
    ) -> BackupPage:
        async with _pool(services).acquire() as conn:
            backups = await catalogue.list_backups(conn, limit=limit + 1, before=before)
            page = backups[:limit]
            steps = await catalogue.steps_of(conn, [b.id for b in page])
        return BackupPage(
            items=[_backup_view(b, steps[b.id]) for b in page],
            next_before=page[-1].taken_at if len(backups) > limit else None,
        )

    @get(
        "/backups/{backup_id:str}",
        operation_id="ops_lms_get_backup",
        summary="One backup: checksums, archived files, steps, step history, restores",
        opt=PERMISSION,
    )
    async def get_backup(
        self, staff: StaffPrincipal, services: Services, backup_id: str
    ) -> BackupDetail:
        async with _pool(services).acquire() as conn:
            backup = await catalogue.get_backup(conn, backup_id)
            steps = await catalogue.get_steps(conn, backup_id)
            history = await catalogue.backup_history(conn, backup_id)
            restores = await catalogue.restores_of(conn, backup_id)
        view = _backup_view(backup, steps)
        return BackupDetail(
            **msgspec.structs.asdict(view),
            history=[_run_step_view(h) for h in history],
            restores=[_restore_view(r) for r in restores],
        )

    @get(
        "/runs",
        operation_id="ops_lms_list_runs",
        summary="Runs, newest first, with the steps each carried out",
        opt=PERMISSION,
    )
    async def list_runs(
        self,
        staff: StaffPrincipal,
        services: Services,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        before: Annotated[
            datetime | None, Parameter(description="next_before of the previous page")
        ] = None,
    ) -> RunPage:
        async with _pool(services).acquire() as conn:
            runs = await catalogue.list_runs(conn, limit=limit + 1, before=before)
            page = runs[:limit]
            steps = await catalogue.run_steps(conn, [r.id for r in page])
        return RunPage(
            items=[_run_view(r, steps) for r in page],
            next_before=page[-1].requested_at if len(runs) > limit else None,
        )

    @get(
        "/runs/{run_id:str}",
        operation_id="ops_lms_get_run",
        summary="One run and its steps",
        opt=PERMISSION,
    )
    async def get_run(self, staff: StaffPrincipal, services: Services, run_id: str) -> RunView:
        async with _pool(services).acquire() as conn:
            run = await catalogue.get_run(conn, run_id)
            steps = await catalogue.run_steps(conn, [run_id])
        return _run_view(run, steps)

    @post(
        "/runs",
        operation_id="ops_lms_trigger_run",
        summary="Run the backup now (the lms-restorer worker carries it out)",
        status_code=HTTP_202_ACCEPTED,
        opt=PERMISSION,
    )
    async def trigger_run(
        self, staff: StaffPrincipal, services: Services, data: RunRequest | None = None
    ) -> RunView:
        return await _request(
            services,
            staff,
            mode=RunMode.MANUAL,
            action="lms.run_requested",
            target=Target(type="lms_run", id="manual"),
            reason=_reason(data),
        )

    @post(
        "/backups/{backup_id:str}/steps/{step:str}/rerun",
        operation_id="ops_lms_rerun_step",
        summary="Re-run a failed (or not configured) step of a backup, then the steps after it",
        status_code=HTTP_202_ACCEPTED,
        opt=PERMISSION,
    )
    async def rerun_step(
        self,
        staff: StaffPrincipal,
        services: Services,
        backup_id: str,
        step: str,
        data: RunRequest | None = None,
    ) -> RunView:
        try:
            chosen = Step(step)
        except ValueError:
            raise InvalidInput(
                f"{step!r} is not a step",
                errors=[
                    FieldProblem(
                        path="path.step",
                        message="must be one of " + ", ".join(s.value for s in STEPS),
                    )
                ],
            ) from None
        async with _pool(services).acquire() as conn:
            await catalogue.get_backup(conn, backup_id)
            current = (await catalogue.get_steps(conn, backup_id))[chosen]
        if current.status not in RERUNNABLE:
            raise IllegalTransition(
                f"step {chosen} is {current.status}: only a failed, not configured or skipped"
                " step can be re-run"
            )
        return await _request(
            services,
            staff,
            mode=RunMode.RERUN_STEP,
            action="lms.step_rerun_requested",
            target=Target(type="lms_backup", id=backup_id),
            reason=_reason(data),
            backup_id=backup_id,
            step=chosen,
        )

    @post(
        "/backups/{backup_id:str}/restore",
        operation_id="ops_lms_restore_backup",
        summary="Restore an archived backup into a new database, verify it, put it in service",
        status_code=HTTP_202_ACCEPTED,
        opt=PERMISSION,
    )
    async def restore_backup(
        self,
        staff: StaffPrincipal,
        services: Services,
        backup_id: str,
        data: RunRequest | None = None,
    ) -> RunView:
        async with _pool(services).acquire() as conn:
            backup = await catalogue.get_backup(conn, backup_id)
            steps = await catalogue.get_steps(conn, backup_id)
        if steps[Step.ARCHIVE_CONVERTED].status != StepStatus.SUCCEEDED:
            raise IllegalTransition(f"{backup.file_name} has no archived converted backup yet")
        if backup.archive_deleted_at is not None:
            raise IllegalTransition(f"{backup.file_name}'s archive was deleted by retention")
        return await _request(
            services,
            staff,
            mode=RunMode.RESTORE_BACKUP,
            action="lms.restore_requested",
            target=Target(type="lms_backup", id=backup_id),
            reason=_reason(data),
            backup_id=backup_id,
        )

    @get(
        "/loanbook",
        operation_id="ops_lms_get_loanbook",
        summary="The restored database the portals read, and the one kept for rollback",
        opt=PERMISSION,
    )
    async def get_loanbook(self, staff: StaffPrincipal, services: Services) -> LoanBookView:
        async with _pool(services).acquire() as conn:
            return _loanbook_view(await catalogue.current_loanbook(conn))

    @post(
        "/loanbook/rollback",
        operation_id="ops_lms_rollback_loanbook",
        summary="Put the previous loan book back in service",
        status_code=HTTP_200_OK,
        opt=PERMISSION,
    )
    async def rollback(
        self, staff: StaffPrincipal, services: Services, data: RunRequest | None = None
    ) -> LoanBookView:
        async with transaction(_pool(services)) as conn:
            before = await catalogue.current_loanbook(conn)
            pointer = await catalogue.rollback_loanbook(conn, actor=staff.username, now=now_utc())
        await record(
            staff,
            "lms.loanbook_rolled_back",
            Target(type="loanbook", id=pointer.current_database),
            now=now_utc(),
            customer_id=None,
            before={"current_database": before.current_database if before else None},
            after={"current_database": pointer.current_database, "reason": _reason(data)},
            seal=False,
        )
        log.info("lms_loanbook_rolled_back", database=pointer.current_database)
        return _loanbook_view(pointer)
