"""``ff worker NAME``: run one arq worker (the containers' entry point)."""

from __future__ import annotations

import argparse
import importlib

from ff_shared.settings import load_settings
from ff_workers.runtime import build_worker

# Each worker container: name -> "module:WorkerSettings". A feature adds its worker here.
WORKERS: dict[str, str] = {
    "core": "ff_workers.core.worker:WorkerSettings",
    "obv-archiver": "ff_workers.obv_archiver.worker:WorkerSettings",
}


def settings_class(name: str) -> type:
    module, _, attr = WORKERS[name].partition(":")
    cls: type = getattr(importlib.import_module(module), attr)
    return cls


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    worker = build_worker(settings_class(args.name), settings, burst=args.burst)
    worker.run()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("worker", help="run one of the platform's arq workers")
    parser.add_argument("name", choices=sorted(WORKERS))
    parser.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    parser.set_defaults(handler=_run)
