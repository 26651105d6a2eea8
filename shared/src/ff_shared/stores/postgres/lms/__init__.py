"""lms-restorer's catalogue in PostgreSQL (schema ``lms``): backups and their steps, runs,
restores and the pointer to the loan book the portals read, archived objects and operations
actions.

Every function takes a connection and returns domain Structs; callers own the transactions (the
functions whose statements only mean something together refuse to run outside one).
"""

from __future__ import annotations

import asyncpg

from ff_shared.stores.postgres.lms.backups import (
    add_backup,
    find_backup,
    finish_step,
    get_backup,
    get_steps,
    interrupted_steps,
    known_file_names,
    list_backups,
    reset_steps,
    set_converted,
    set_fetched,
    set_original_key,
    set_step_detail,
    skip_steps,
    start_step,
    steps_of,
    unfinished_backups,
)
from ff_shared.stores.postgres.lms.operations import (
    archived_backups,
    archived_objects,
    list_ops_actions,
    mark_archive_deleted,
    record_archived,
    record_ops_action,
)
from ff_shared.stores.postgres.lms.records import (
    ArchivedObject,
    BackupRecord,
    ConvertedFile,
    LoanBookPointer,
    OpsAction,
    RestoreRecord,
    RunRecord,
    RunStepRecord,
    StepRecord,
)
from ff_shared.stores.postgres.lms.restores import (
    current_loanbook,
    get_restore,
    previous_row_counts,
    protected_backup_ids,
    record_restore,
    record_verification,
    restores_of,
    rollback_loanbook,
    switch_loanbook,
)
from ff_shared.stores.postgres.lms.runs import (
    backup_history,
    close_abandoned_runs,
    create_run,
    finish_run,
    get_run,
    list_runs,
    run_steps,
    set_run_alert,
    start_run,
)
from ff_shared.stores.postgres.migrations import apply_migrations

SCHEMA = "lms"


async def migrate(conn: asyncpg.Connection) -> list[str]:
    return await apply_migrations(conn, SCHEMA)


__all__ = [
    "SCHEMA",
    "ArchivedObject",
    "BackupRecord",
    "ConvertedFile",
    "LoanBookPointer",
    "OpsAction",
    "RestoreRecord",
    "RunRecord",
    "RunStepRecord",
    "StepRecord",
    "add_backup",
    "archived_backups",
    "archived_objects",
    "backup_history",
    "close_abandoned_runs",
    "create_run",
    "current_loanbook",
    "find_backup",
    "finish_run",
    "finish_step",
    "get_backup",
    "get_restore",
    "get_run",
    "get_steps",
    "interrupted_steps",
    "known_file_names",
    "list_backups",
    "list_ops_actions",
    "list_runs",
    "mark_archive_deleted",
    "migrate",
    "previous_row_counts",
    "protected_backup_ids",
    "record_archived",
    "record_ops_action",
    "record_restore",
    "record_verification",
    "reset_steps",
    "restores_of",
    "rollback_loanbook",
    "run_steps",
    "set_converted",
    "set_fetched",
    "set_original_key",
    "set_run_alert",
    "set_step_detail",
    "skip_steps",
    "start_run",
    "start_step",
    "steps_of",
    "switch_loanbook",
    "unfinished_backups",
]
