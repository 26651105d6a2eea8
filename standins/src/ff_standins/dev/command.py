"""``ff dev``'s arguments. ``ff`` imports this module for ``ff dev --help`` too, so it stays
light: the stack itself (:mod:`ff_standins.dev.run`, with the AWS, database and simulator
clients it seeds through) is imported only when the command runs."""

from __future__ import annotations

import argparse
import importlib

API_PORT = 8000


def _run(args: argparse.Namespace) -> int:
    status: int = importlib.import_module("ff_standins.dev.run").run(args)
    return status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("dev", help="run the whole platform locally with demo data")
    parser.add_argument("--port", type=int, default=API_PORT, help=f"API port ({API_PORT})")
    parser.add_argument("--no-workers", action="store_true", help="run the API without workers")
    parser.add_argument(
        "--no-portals", action="store_true", help="do not start the two web portals (3000, 3001)"
    )
    parser.set_defaults(handler=_run)
