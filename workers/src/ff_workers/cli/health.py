"""``ff health``: the containers' health checks, exiting 0 (healthy) or 1.

``ff health worker [NAME]``: this container's worker process touched its heartbeat file
recently (NAME defaults to ``FF_WORKER_NAME``); with ``--cluster`` also that some worker of
that name ran its heartbeat cron job within the last few minutes (the Redis key).
``ff health api --url URL``: the API answers 200 there (images have no curl).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import urllib.error
import urllib.request

from redis.asyncio import Redis

from ff_shared.startup import load_runtime_settings
from ff_workers.runtime import HEARTBEAT_FILE_MAX_AGE_SECONDS, heartbeat_key, heartbeat_path


def _fail(message: str) -> int:
    print(f"unhealthy: {message}", file=sys.stderr)
    return 1


async def _cluster_alive(url: str, name: str) -> bool:
    redis = Redis.from_url(url, socket_timeout=5)
    try:
        return bool(await redis.exists(heartbeat_key(name)))
    finally:
        await redis.aclose()


def _worker(args: argparse.Namespace) -> int:
    settings = load_runtime_settings()
    name = args.name or settings.worker.name
    if not name:
        return _fail("no worker named (argument or FF_WORKER_NAME)")
    path = heartbeat_path(name)
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return _fail(f"{name}: no heartbeat file {path}")
    if age > args.max_age:
        return _fail(f"{name}: heartbeat {age:.0f}s old (limit {args.max_age:.0f}s)")
    if args.cluster and not asyncio.run(_cluster_alive(settings.redis.url, name)):
        return _fail(f"{name}: no worker ran its heartbeat job recently ({heartbeat_key(name)})")
    print(f"healthy: {name} (heartbeat {age:.0f}s old)")
    return 0


def _api(args: argparse.Namespace) -> int:
    if not args.url.startswith(("http://", "https://")):
        return _fail(f"not an HTTP URL: {args.url}")
    try:
        with urllib.request.urlopen(args.url, timeout=args.timeout) as response:  # noqa: S310 (http(s) checked above)
            status = response.status
    except urllib.error.HTTPError as exc:
        return _fail(f"{args.url} answered {exc.code}")
    except OSError as exc:
        return _fail(f"{args.url}: {exc}")
    print(f"healthy: {args.url} answered {status}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("health", help="container health checks (exit 0 healthy, 1 not)")
    checks = parser.add_subparsers(dest="check", required=True, metavar="CHECK")
    worker = checks.add_parser("worker", help="this container's worker is alive")
    worker.add_argument("name", nargs="?", help="the worker (default: FF_WORKER_NAME)")
    worker.add_argument("--max-age", type=float, default=HEARTBEAT_FILE_MAX_AGE_SECONDS)
    worker.add_argument("--cluster", action="store_true", help="also check the Redis heartbeat")
    worker.set_defaults(handler=_worker)
    api = checks.add_parser("api", help="the API answers 200 at --url")
    api.add_argument("--url", default="http://127.0.0.1:8000/health/ready")
    api.add_argument("--timeout", type=float, default=4.0)
    api.set_defaults(handler=_api)
