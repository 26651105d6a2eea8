"""Operations over the nightly loan-book backup: what was fetched, converted, restored and
verified, and the operator's levers (run now, re-run a failed step, restore an archived backup,
roll back the loan book). Runs are catalogued here and carried out by the lms-restorer worker;
every action is written to the audit log."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec
import structlog
from botocore.exceptions import BotoCoreError, ClientError
from redis.exceptions import RedisError

from ff_api.audit.service import current_request_id, record_staff
from ff_api.ops.schemas import (
    BackupDetail,
    BackupPage,
    LoanBookView,
    RunPage,
    RunRequest,
    RunView,
    backup_view,
    loanbook_view,
    restore_view,
    run_step_view,
    run_view,
)
from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.audit import Target
from ff_shared.domain.backups.runs import STEPS, RunMode, RunStatus, Step, StepStatus
from ff_shared.errors import DependencyUnavailable, FieldProblem, IllegalTransition, InvalidInput
from ff_shared.integrations.aws.s3_archive import missing_keys
from ff_shared.jobs import LMS_RUN
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres import transaction
from ff_shared.stores.postgres.lms import RunRecord

log = structlog.get_logger()

RERUNNABLE = {StepStatus.FAILED, StepStatus.NOT_CONFIGURED, StepStatus.SKIPPED}


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
    except (OSError, ConnectionError, RedisError) as exc:
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
    await record_staff(
        staff,
        action,
        target,
        now=now_utc(),
        customer_id=None,
        after={"run_id": run.id, "reason": reason, "step": step.value if step else None},
        seal=False,
    )
    await _enqueue(services, run)
    return run_view(run, [])


def _reason(data: RunRequest | None) -> str | None:
    return data.reason if data is not None else None


async def list_backups(services: Services, *, limit: int, before: datetime | None) -> BackupPage:
    async with _pool(services).acquire() as conn:
        backups = await catalogue.list_backups(conn, limit=limit + 1, before=before)
        page = backups[:limit]
        steps = await catalogue.steps_of(conn, [b.id for b in page])
    return BackupPage(
        items=[backup_view(b, steps[b.id]) for b in page],
        next_before=page[-1].taken_at if len(backups) > limit else None,
    )


async def get_backup(services: Services, backup_id: str) -> BackupDetail:
    async with _pool(services).acquire() as conn:
        backup = await catalogue.get_backup(conn, backup_id)
        steps = await catalogue.get_steps(conn, backup_id)
        history = await catalogue.backup_history(conn, backup_id)
        restores = await catalogue.restores_of(conn, backup_id)
    view = backup_view(backup, steps)
    return BackupDetail(
        **msgspec.structs.asdict(view),
        history=[run_step_view(h) for h in history],
        restores=[restore_view(r) for r in restores],
    )


async def list_runs(services: Services, *, limit: int, before: datetime | None) -> RunPage:
    async with _pool(services).acquire() as conn:
        runs = await catalogue.list_runs(conn, limit=limit + 1, before=before)
        page = runs[:limit]
        steps = await catalogue.run_steps(conn, [r.id for r in page])
    return RunPage(
        items=[run_view(r, steps) for r in page],
        next_before=page[-1].requested_at if len(runs) > limit else None,
    )


async def get_run(services: Services, run_id: str) -> RunView:
    async with _pool(services).acquire() as conn:
        run = await catalogue.get_run(conn, run_id)
        steps = await catalogue.run_steps(conn, [run_id])
    return run_view(run, steps)


async def trigger_run(
    services: Services, staff: StaffPrincipal, data: RunRequest | None
) -> RunView:
    return await _request(
        services,
        staff,
        mode=RunMode.MANUAL,
        action="lms.run_requested",
        target=Target(type="lms_run", id="manual"),
        reason=_reason(data),
    )


async def rerun_step(
    services: Services,
    staff: StaffPrincipal,
    backup_id: str,
    step: str,
    data: RunRequest | None,
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


async def _check_converted_archive(services: Services, backup_id: str, file_name: str) -> None:
    """The converted files the catalogue lists are in the archive bucket: a restore of objects
    that do not exist is refused before it is queued."""
    async with _pool(services).acquire() as conn:
        objects = await catalogue.archived_objects(conn, backup_id)
    keys = [o.key for o in objects if o.kind == "converted"]
    bucket = services.settings.lms.bucket
    try:
        missing = await missing_keys(services.s3, bucket, keys)
    except (ClientError, BotoCoreError) as exc:
        raise DependencyUnavailable("the backup archive (S3) is unreachable") from exc
    if not keys or missing:
        raise IllegalTransition(
            f"{file_name}'s converted files are not in the archive (s3://{bucket}: "
            f"{', '.join(missing) or 'none catalogued'}): run the backup again"
        )


async def restore_backup(
    services: Services, staff: StaffPrincipal, backup_id: str, data: RunRequest | None
) -> RunView:
    async with _pool(services).acquire() as conn:
        backup = await catalogue.get_backup(conn, backup_id)
        steps = await catalogue.get_steps(conn, backup_id)
    if steps[Step.ARCHIVE_CONVERTED].status != StepStatus.SUCCEEDED:
        raise IllegalTransition(f"{backup.file_name} has no archived converted backup yet")
    if backup.archive_deleted_at is not None:
        raise IllegalTransition(f"{backup.file_name}'s archive was deleted by retention")
    await _check_converted_archive(services, backup_id, backup.file_name)
    return await _request(
        services,
        staff,
        mode=RunMode.RESTORE_BACKUP,
        action="lms.restore_requested",
        target=Target(type="lms_backup", id=backup_id),
        reason=_reason(data),
        backup_id=backup_id,
    )


async def get_loanbook(services: Services) -> LoanBookView:
    async with _pool(services).acquire() as conn:
        return loanbook_view(await catalogue.current_loanbook(conn))


async def rollback(
    services: Services, staff: StaffPrincipal, data: RunRequest | None
) -> LoanBookView:
    async with transaction(_pool(services)) as conn:
        before = await catalogue.current_loanbook(conn)
        pointer = await catalogue.rollback_loanbook(conn, actor=staff.username, now=now_utc())
    await record_staff(
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
    return loanbook_view(pointer)
