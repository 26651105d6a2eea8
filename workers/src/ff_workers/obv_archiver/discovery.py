"""Discovery: the Dynamics loan applications that have an OBV reference and changed since a point.

Pages are read oldest change first and each page is recorded in PostgreSQL as it arrives (the
applications become pending there), so a run that dies part-way has lost nothing: the next run
finds the same rows again from the unchanged watermark, and the pending ones from the table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import msgspec
import structlog

from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.odata import Page, Query, literal
from ff_shared.integrations.dynamics.schemas import LOAN_APPLICATIONS, LoanApplication
from ff_shared.integrations.errors import IntegrationError, MalformedResponse
from ff_shared.stores.postgres.obv import SeenApplication

log = structlog.get_logger()

COLUMNS = ("ff_loanapplicationid", "ff_platformid", "ff_name", "ff_obvreference", "modifiedon")

Record = Callable[[list[SeenApplication]], Awaitable[None]]


class Discovery(msgspec.Struct, kw_only=True):
    applications: list[SeenApplication] = msgspec.field(default_factory=list)
    newest_modified_on: datetime | None = None
    pages: int = 0
    complete: bool = False
    error: str | None = None

    @property
    def count(self) -> int:
        return len(self.applications)


def _pages(
    dynamics: DynamicsClient, *, since: datetime | None, reference: str | None
) -> AsyncIterator[Page[LoanApplication]]:
    if reference is not None:
        query = Query(
            select=COLUMNS,
            filter=f"ff_obvreference eq {literal(reference)}",
            orderby="modifiedon asc,ff_loanapplicationid asc",
        )
        return dynamics.pages(LOAN_APPLICATIONS, LoanApplication, query)
    return dynamics.applications_with_obv_reference(modified_after=since, select=COLUMNS)


def seen(row: LoanApplication) -> SeenApplication | None:
    if not row.ff_obvreference:
        return None
    modified = row.modifiedon or row.createdon
    if modified is None:
        # Without it the watermark could pass the row by: stop rather than guess.
        raise MalformedResponse(
            "dynamics", f"loan application {row.ff_loanapplicationid} came without modifiedon"
        )
    return SeenApplication(
        application_id=row.ff_loanapplicationid,
        obv_reference=row.ff_obvreference,
        modified_on=modified,
        platform_id=row.ff_platformid,
        application_reference=row.ff_name,
    )


async def discover(
    dynamics: DynamicsClient,
    *,
    since: datetime | None,
    reference: str | None = None,
    record: Record | None = None,
) -> Discovery:
    """Read every matching application; ``record`` stores each page before the next is read.

    A Dynamics failure (after the client's own retries) ends discovery early with ``complete``
    false and the error kept: what was read is still archived, and the watermark stays put.
    """
    found = Discovery()
    try:
        async for page in _pages(dynamics, since=since, reference=reference):
            batch = [s for row in page.rows if (s := seen(row)) is not None]
            if record is not None:
                await record(batch)
            found.applications.extend(batch)
            found.pages = page.number
            for item in batch:
                if found.newest_modified_on is None or item.modified_on > found.newest_modified_on:
                    found.newest_modified_on = item.modified_on
    except IntegrationError as exc:
        found.error = exc.summary()
        log.warning(
            "obv_discovery_failed", pages=found.pages, discovered=found.count, error=exc.summary()
        )
        return found
    found.complete = True
    log.info("obv_discovery_completed", pages=found.pages, discovered=found.count)
    return found
