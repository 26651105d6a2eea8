"""Running the core worker's CRM and open-banking jobs in burst mode against the real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from arq.worker import Function, Worker
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


async def _finish_running_jobs(worker: Worker, main: asyncio.Task[None], within: float) -> None:
    """Take no more jobs and let the ones running end their try, as a worker stopping on SIGTERM
    does. A condition seen in the stores can hold while the job that made it is still running
    (it writes ``retrying`` and only then raises ``Retry``): cancelling it there would stop it
    half-way through its try, before arq has recorded the retry."""
    worker.allow_pick_jobs = False
    running = [t for t in worker.tasks.values() if not t.done()]
    if running and not main.done():
        done, _ = await asyncio.wait(running, timeout=max(within, 0.0))
        if len(done) < len(running):
            raise AssertionError(f"the running job did not end its try within {within:.0f}s")


async def _stop(main: asyncio.Task[None], *, attempts: int = 30) -> None:
    """Cancel the worker until it has stopped: one cancel can be lost. The worker's Redis client
    has a socket timeout, so redis-py sends each command under ``asyncio.wait_for``, and
    Python 3.11's ``wait_for`` returns the command's result instead of raising when the cancel
    arrives just as the command completes (CPython gh-86296, fixed in 3.12). The worker then
    polls on, and in burst mode with a job retrying with backoff, for minutes."""
    for _ in range(attempts):
        if main.done():
            break
        main.cancel()
        await asyncio.wait({main}, timeout=1.0)
    if not main.done():
        raise AssertionError(f"the worker did not stop after {attempts} cancellations")
    if not main.cancelled():
        main.exception()  # retrieved: the drain has already reported or is reporting it


async def drain(
    settings: Settings,
    *,
    queue_name: str | None = None,
    until: Callable[[], Awaitable[bool]] | None = None,
    within: float = 90.0,
) -> None:
    """Run the worker in burst mode until its queue has nothing left, or until ``until`` holds
    and the jobs running then have ended their try."""
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

    async def holds() -> bool:
        if until is None:
            return False
        try:
            return await asyncio.wait_for(until(), deadline - time.monotonic())
        except TimeoutError:
            raise AssertionError(f"the condition could not be read within {within}s") from None

    try:
        while not task.done():
            if await holds():
                await _finish_running_jobs(worker, task, deadline - time.monotonic())
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not finish within {within}s")
            await asyncio.sleep(0.05)
        if task.done():
            task.result()
    finally:
        await _stop(task)
        await close_worker(worker)


async def wait_for(check: Callable[[], Awaitable[bool]], *, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(0.05)
