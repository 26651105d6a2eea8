"""Running the core worker's CRM and open-banking jobs in burst mode against the real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from arq.worker import Function
from tests.fixtures.workers import close_worker

from ff_shared.settings import Settings
from ff_workers.core import crm, crm_contacts, open_banking
from ff_workers.runtime import build_worker


class SyncWorker:
    """The core worker's CRM-sync and open-banking jobs with their real start-up. Jobs of other
    functions left on the session's shared queue by other modules are not these tests' to run."""

    functions: ClassVar[list[Function]] = [
        crm.sync_application_to_crm_function,
        crm_contacts.sync_customer_to_crm_function,
        open_banking.check_open_banking_function,
    ]

    @staticmethod
    async def on_startup(ctx: dict[str, Any]) -> None:
        await crm.startup(ctx)
        await open_banking.startup(ctx)

    @staticmethod
    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await open_banking.shutdown(ctx)
        await crm.shutdown(ctx)


async def drain(
    settings: Settings,
    *,
    queue_name: str | None = None,
    until: Callable[[], Awaitable[bool]] | None = None,
    within: float = 90.0,
) -> None:
    """Run the worker in burst mode until its queue has nothing left (or ``until`` holds)."""
    worker = build_worker(
        SyncWorker,
        settings,
        queue_name=queue_name,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
    )
    task = asyncio.create_task(worker.main())
    deadline = time.monotonic() + within
    try:
        while not task.done():
            if until is not None and await until():
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not finish within {within}s")
            await asyncio.sleep(0.05)
        if task.done():
            task.result()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await close_worker(worker)


async def wait_for(check: Callable[[], Awaitable[bool]], *, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(0.05)
