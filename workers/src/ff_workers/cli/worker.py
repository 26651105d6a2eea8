"""``ff worker NAME``: run one arq worker (the containers' entry point)."""

from __future__ import annotations

import argparse
import importlib

from ff_shared.startup import load_runtime_settings
from ff_workers.runtime import build_worker

# Each worker container: name -> "module:WorkerSettings". A feature adds its worker here.
WORKERS: dict[str, str] = {
    "core": "ff_workers.core.worker:WorkerSettings",
    "tracker-processor": "ff_workers.tracker_processor.worker:WorkerSettings",
    "obv-archiver": "ff_workers.obv_archiver.worker:WorkerSettings",
    "lms-restorer": "ff_workers.lms_restorer.worker:WorkerSettings",
    "adp": "ff_workers.adp.worker:WorkerSettings",
}


def settings_class(name: str) -> type:
    module, _, attr = WORKERS[name].partition(":")
    cls: type = getattr(importlib.import_module(module), attr)
    return cls


def _run(args: argparse.Namespace) -> int:
    settings = load_runtime_settings()
    cls = settings_class(args.name)
    # A worker with a queue of its own names it from the settings (``queue_for``).
    queue_for = getattr(cls, "queue_for", None)
    queue = queue_for(settings) if queue_for is not None else None
    worker = build_worker(cls, settings, queue_name=queue, name=args.name, burst=args.burst)
    worker.run()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("worker", help="run one of the platform's arq workers")
    parser.add_argument("name", choices=sorted(WORKERS))
    parser.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    parser.set_defaults(handler=_run)
