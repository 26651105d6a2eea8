"""How a worker rides out an outage of what it depends on.

- Redis (its queue): :class:`ResilientWorker` keeps polling through an outage, waiting longer
  between attempts (doubling, up to ``FF_WORKER_RECONNECT_MAX_SECONDS``), instead of exiting;
  a job that finished while Redis was away is run again once its in-progress mark expires (jobs
  are idempotent).
- Everything else a job calls: :func:`retry_on_outage` turns an infrastructure failure (a
  database or AWS service that did not answer) into ``arq.Retry`` with a doubling deferral up to
  ``FF_WORKER_RETRY_MAX_SECONDS``, so it is tried again rather than recorded as failed. Refusals
  and bugs pass through unchanged; third-party integrations keep their own retry handling.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import redis.exceptions
import structlog
from arq import Retry
from arq.worker import Worker

from ff_shared.faults import unavailable_from
from ff_shared.integrations.errors import IntegrationError

log = structlog.get_logger()

REDIS_OUTAGE: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
    TimeoutError,
)

FIRST_RECONNECT_SECONDS = 0.5
FIRST_RETRY_SECONDS = 5


def backoff(attempt: int, *, first: float, cap: float) -> float:
    """``first`` doubled for every attempt after the first, at most ``cap``."""
    return float(min(cap, first * 2 ** max(0, attempt - 1)))


class ResilientWorker(Worker):
    """An arq worker that waits for Redis and reconnects with backoff instead of exiting."""

    def __init__(self, *args: Any, reconnect_max_seconds: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reconnect_max_seconds = reconnect_max_seconds
        self.redis_failures = 0

    async def _wait_after_failure(self, exc: BaseException) -> None:
        self.redis_failures += 1
        delay = backoff(
            self.redis_failures, first=FIRST_RECONNECT_SECONDS, cap=self.reconnect_max_seconds
        )
        log.warning(
            "worker_redis_unavailable",
            queue=self.queue_name,
            error=type(exc).__name__,
            attempt=self.redis_failures,
            retry_in_seconds=delay,
        )
        await asyncio.sleep(delay)

    def _recovered(self) -> None:
        if self.redis_failures:
            log.info("worker_redis_reconnected", queue=self.queue_name, after=self.redis_failures)
            self.redis_failures = 0

    async def main(self) -> None:
        # Wait for Redis at start too: a worker started during an outage waits for it.
        while self._pool is not None:
            try:
                await self._pool.ping()
            except REDIS_OUTAGE as exc:
                await self._wait_after_failure(exc)
            else:
                self._recovered()
                break
        await super().main()

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_OUTAGE as exc:
            await self._wait_after_failure(exc)
        else:
            self._recovered()


JobCoroutine = Callable[..., Coroutine[Any, Any, Any]]


def retry_on_outage(coroutine: JobCoroutine, *, cap_seconds: int) -> JobCoroutine:
    """``coroutine`` with an infrastructure failure raised as ``arq.Retry(defer=...)``."""

    @functools.wraps(coroutine)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await coroutine(ctx, *args, **kwargs)
        except (Retry, IntegrationError):
            raise
        except Exception as exc:
            unavailable = unavailable_from(exc)
            if unavailable is None:
                raise
            job_try = int(ctx.get("job_try") or 1)
            defer = backoff(job_try, first=FIRST_RETRY_SECONDS, cap=cap_seconds)
            log.warning(
                "job_dependency_unavailable",
                dependency=unavailable.dependency,
                job_try=job_try,
                retry_in_seconds=defer,
            )
            raise Retry(defer=defer) from exc

    return run
