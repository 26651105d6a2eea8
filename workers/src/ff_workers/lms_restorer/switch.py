"""Step 7, switch: point the portals at the newly verified loan book, keeping the previous one
for rollback. The pointer lives in PostgreSQL (``lms.loanbook``), where the API reads it."""

from __future__ import annotations

import structlog

from ff_shared.clock import now_utc
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres import transaction
from ff_shared.stores.postgres.lms import BackupRecord
from ff_workers.lms_restorer.context import Clients, StepDone, StepFailed

log = structlog.get_logger()

ACTOR = "lms-restorer"


async def switch(clients: Clients, backup: BackupRecord, database: str, run_id: str) -> StepDone:
    async with transaction(clients.pg) as conn:
        restore = await catalogue.get_restore(conn, database)
        if restore is None or not restore.verified:
            raise StepFailed(f"{database} has not passed verification: it is not put in service")
        pointer = await catalogue.switch_loanbook(
            conn, to_database=database, actor=ACTOR, run_id=run_id, now=now_utc()
        )
    log.info(
        "lms_loanbook_switched",
        backup_id=backup.id,
        database=pointer.current_database,
        previous=pointer.previous_database,
    )
    return StepDone(
        detail={"database": pointer.current_database, "previous": pointer.previous_database}
    )
