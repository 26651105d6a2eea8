"""The portals read the loan book lms-restorer put in service.

``lms.loanbook`` (PostgreSQL) names the restored database that passed verification; the API
starts on it and checks the pointer every ``POLL_SECONDS``. On a switch (or a rollback) a new
pool is opened on the named database and swapped in; the replaced pool is closed after
``GRACE_SECONDS`` so requests holding its connections finish. A database that does not answer
is not switched to: the loan book in service stays, and the failure is logged.
"""

from __future__ import annotations

import asyncio
import contextlib

import aioodbc
import asyncpg
import msgspec
import structlog

from ff_api.services import Services
from ff_shared.stores.loanbook.connection import (
    LoanBookUnavailable,
    close_pool,
    create_pool,
    database_of,
    with_database,
)
from ff_shared.stores.postgres import lms as catalogue

log = structlog.get_logger()

POLL_SECONDS = 30.0
GRACE_SECONDS = 60.0


class LoanBookFollower:
    def __init__(self, services: Services) -> None:
        self._services = services
        self.database = database_of(services.settings.loanbook.connection_string)
        self._created: list[aioodbc.Pool] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def sync(self) -> bool:
        """Follow the pointer once; True when the API now reads another database."""
        try:
            async with self._services.postgres.acquire() as conn:
                pointer = await catalogue.current_loanbook(conn)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("loanbook_pointer_unreadable", error=type(exc).__name__)
            return False
        if pointer is None or pointer.current_database == self.database:
            return False
        base = self._services.settings.loanbook
        settings = msgspec.structs.replace(
            base, connection_string=with_database(base.connection_string, pointer.current_database)
        )
        try:
            pool = await create_pool(settings)
        except LoanBookUnavailable:
            log.error("loanbook_switch_failed", database=pointer.current_database)
            return False
        replaced = self._services.loanbook
        self._services.loanbook = pool
        self._created.append(pool)
        log.info("loanbook_followed", database=pointer.current_database, previous=self.database)
        self.database = pointer.current_database
        if replaced in self._created:
            task = asyncio.create_task(self._retire(replaced))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    async def _retire(self, pool: aioodbc.Pool) -> None:
        await asyncio.sleep(GRACE_SECONDS)
        await close_pool(pool)
        self._created.remove(pool)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            await self.sync()

    async def start(self) -> None:
        await self.sync()
        task = asyncio.create_task(self.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for pool in self._created:
            await close_pool(pool)
        self._created.clear()
