"""``ff``: the platform's command line for developers and operators."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ff_shared.errors import SettingsError
from ff_workers.cli import adp, dev, lms, migrate, obv, settings_cmd, token, tracker, worker
from ff_workers.cli.errors import CommandError

# Each command module registers its sub-commands; a feature adds one line here.
COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    dev.register,
    token.register,
    settings_cmd.register,
    migrate.register,
    worker.register,
    tracker.register,
    obv.register,
    lms.register,
    adp.register,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ff", description="Fair Finance platform command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.handler(args)
    except SettingsError as exc:
        print(f"ff: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except CommandError as exc:
        print(f"ff: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    raise SystemExit(status or 0)
