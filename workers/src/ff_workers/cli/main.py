"""``ff``: the platform's command line for developers and operators."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

import structlog

from ff_shared.errors import SettingsError
from ff_workers.cli import (
    adp,
    health,
    lms,
    migrate,
    obv,
    run,
    settings_cmd,
    token,
    tracker,
    worker,
)
from ff_workers.cli.errors import CommandError

log = structlog.get_logger()

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# Each command module registers its sub-commands; a feature adds one line here.
COMMANDS: list[Register] = [
    token.register,
    settings_cmd.register,
    migrate.register,
    worker.register,
    tracker.register,
    obv.register,
    lms.register,
    adp.register,
    run.register,
    health.register,
]

PLUGIN_GROUP = "ff.commands"
"""Commands other installed packages add: ``ff dev`` comes from ff-standins, which the
development environment installs and no production image does."""


def _stand_ins_missing(_args: argparse.Namespace) -> int:
    raise CommandError(
        "`ff dev` runs the platform on the stand-ins, which are not installed here: "
        "install the ff-standins package (`uv sync` in the repository does)"
    )


def _plugin_commands() -> dict[str, Register]:
    found: dict[str, Register] = {}
    for ep in entry_points(group=PLUGIN_GROUP):
        try:
            found[ep.name] = ep.load()
        except ModuleNotFoundError:
            # Metadata left behind by a package that is not importable here (an image built
            # without it): the command is absent, as if never installed.
            log.debug("ff_plugin_unavailable", name=ep.name)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ff", description="Fair Finance platform command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    plugins = _plugin_commands()
    if "dev" not in plugins:
        missing = sub.add_parser("dev", help="run the whole platform locally (needs ff-standins)")
        missing.set_defaults(handler=_stand_ins_missing)
    for register in [*plugins.values(), *COMMANDS]:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.handler is not _stand_ins_missing:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
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
