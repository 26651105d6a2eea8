"""``/v1/staff/ops/lms``: the loan-book backup's state and the operator's levers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from ff_api.ops import service
from ff_api.ops.schemas import (
    BackupDetail,
    BackupPage,
    LoanBookView,
    RunPage,
    RunRequest,
    RunView,
)
from ff_api.security import StaffPrincipal
from ff_api.services import Services

PERMISSION = {"permission": "ops.lms"}


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
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        before: Annotated[
            datetime | None, QueryParameter(description="next_before of the previous page")
        ] = None,
    ) -> BackupPage:
        return await service.list_backups(services, limit=limit, before=before)

    @get(
        "/backups/{backup_id:str}",
        operation_id="ops_lms_get_backup",
        summary="One backup: checksums, archived files, steps, step history, restores",
        opt=PERMISSION,
    )
    async def get_backup(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        backup_id: FromPath[str],
    ) -> BackupDetail:
        return await service.get_backup(services, backup_id)

    @get(
        "/runs",
        operation_id="ops_lms_list_runs",
        summary="Runs, newest first, with the steps each carried out",
        opt=PERMISSION,
    )
    async def list_runs(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        before: Annotated[
            datetime | None, QueryParameter(description="next_before of the previous page")
        ] = None,
    ) -> RunPage:
        return await service.list_runs(services, limit=limit, before=before)

    @get(
        "/runs/{run_id:str}",
        operation_id="ops_lms_get_run",
        summary="One run and its steps",
        opt=PERMISSION,
    )
    async def get_run(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        run_id: FromPath[str],
    ) -> RunView:
        return await service.get_run(services, run_id)

    @post(
        "/runs",
        operation_id="ops_lms_trigger_run",
        summary="Run the backup now (the lms-restorer worker carries it out)",
        status_code=HTTP_202_ACCEPTED,
        opt=PERMISSION,
    )
    async def trigger_run(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        data: JSONBody[RunRequest | None] = None,
    ) -> RunView:
        return await service.trigger_run(services, staff, data)

    @post(
        "/backups/{backup_id:str}/steps/{step:str}/rerun",
        operation_id="ops_lms_rerun_step",
        summary="Re-run a failed (or not configured) step of a backup, then the steps after it",
        status_code=HTTP_202_ACCEPTED,
        opt=PERMISSION,
    )
    async def rerun_step(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        backup_id: FromPath[str],
        step: FromPath[str],
        data: JSONBody[RunRequest | None] = None,
    ) -> RunView:
        return await service.rerun_step(services, staff, backup_id, step, data)

    @post(
        "/backups/{backup_id:str}/restore",
        operation_id="ops_lms_restore_backup",
        summary="Restore an archived backup into a new database, verify it, put it in service",
        status_code=HTTP_202_ACCEPTED,
        opt=PERMISSION,
    )
    async def restore_backup(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        backup_id: FromPath[str],
        data: JSONBody[RunRequest | None] = None,
    ) -> RunView:
        return await service.restore_backup(services, staff, backup_id, data)

    @get(
        "/loanbook",
        operation_id="ops_lms_get_loanbook",
        summary="The restored database the portals read, and the one kept for rollback",
        opt=PERMISSION,
    )
    async def get_loanbook(
        self, staff: NamedDependency[StaffPrincipal], services: NamedDependency[Services]
    ) -> LoanBookView:
        return await service.get_loanbook(services)

    @post(
        "/loanbook/rollback",
        operation_id="ops_lms_rollback_loanbook",
        summary="Put the previous loan book back in service",
        status_code=HTTP_200_OK,
        opt=PERMISSION,
    )
    async def rollback(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        data: JSONBody[RunRequest | None] = None,
    ) -> LoanBookView:
        return await service.rollback(services, staff, data)
