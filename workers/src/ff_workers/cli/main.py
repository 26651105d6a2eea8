"""``ff``: the platform's command line for developers and operators.

Start-up stays light: the parser knows each command by name and help only, and imports the module
that implements a command when that command runs (``ff --help`` imports none of them).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import NamedTuple

from ff_workers.cli.errors import CommandError

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


class Command(NamedTuple):
    """A top-level command: its name, its one-line help, and where its ``register`` lives
    (``module:function``); one module may register several top-level commands."""

    name: str
    help: str
    loader: str

    def load(self) -> Register:
        module, _, attr = self.loader.partition(":")
        register: Register = getattr(importlib.import_module(module), attr or "register")
        return register


def _cmd(name: str, help: str, module: str) -> Command:
    return Command(name, help, f"ff_workers.cli.{module}:register")


# Each command module registers its sub-commands; a feature adds one line here.
COMMANDS: list[Command] = [
    _cmd("token", "print a bearer token for a demo user of the local stack", "token"),
    _cmd("settings", "list the environment variables (or --check them)", "settings_cmd"),
    _cmd("migrate", "apply pending PostgreSQL migrations", "migrate"),
    _cmd("worker", "run one of the platform's arq workers", "worker"),
    _cmd("tracker", "journey tracking: generate, process, extracts", "tracker"),
    _cmd("obv-archive", "archive open-banking reports into PostgreSQL now", "obv"),
    _cmd("obv-verify", "re-check stored open-banking payload hashes, counts and balances", "obv"),
    _cmd("lms", "the nightly loan-book backup: run, list, restore, roll back", "lms"),
    _cmd("adp", "the financial data platform: pipeline runs and reports", "adp"),
    _cmd("run", "run a worker's scheduled job once (scheduled tasks)", "run"),
    _cmd("health", "container health checks (exit 0 healthy, 1 not)", "health"),
]

PLUGIN_GROUP = "ff.commands"
"""Commands other installed packages add: ``ff dev`` comes from ff-standins, which the
development environment installs and no production image does."""

PLUGIN_HELP = {
    "dev": "run the whole platform locally with demo data",
    "openapi": "write the API's OpenAPI document (no stack needed)",
}


def _stand_ins_missing(_args: argparse.Namespace) -> int:
    raise CommandError(
        "`ff dev` runs the platform on the stand-ins, which are not installed here: "
        "install the ff-standins package (`uv sync` in the repository does)"
    )


def _register_stand_ins_missing(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    missing = sub.add_parser("dev", help="run the whole platform locally (needs ff-standins)")
    missing.set_defaults(handler=_stand_ins_missing)


def _plugin_commands() -> list[Command]:
    """The installed packages' commands, from their metadata only (nothing is imported)."""
    return [
        Command(ep.name, PLUGIN_HELP.get(ep.name, f"from {ep.value.partition(':')[0]}"), ep.value)
        for ep in entry_points(group=PLUGIN_GROUP)
    ]


def _load(command: Command) -> Register:
    try:
        return command.load()
    except ModuleNotFoundError:
        # Metadata left behind by a package that is not importable here (an image built
        # without it): the command is absent, as if never installed.
        if command.name == "dev":
            return _register_stand_ins_missing
        raise CommandError(f"`ff {command.name}` is not installed here") from None


def all_commands() -> list[Command]:
    plugins = _plugin_commands()
    if not any(c.name == "dev" for c in plugins):
        plugins.append(Command("dev", "run the whole platform locally (needs ff-standins)", ""))
    return [*plugins, *COMMANDS]


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``selected``'s module is imported and registers its full arguments, the
    other commands are listed by name and help."""
    parser = argparse.ArgumentParser(prog="ff", description="Fair Finance platform command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = all_commands()
    chosen = next((c for c in commands if c.name == selected), None)
    covered: set[str] = set()
    if chosen is not None:
        # A module registering several commands registers them all; they are not listed again.
        siblings = [c for c in commands if c.loader == chosen.loader]
        register = _register_stand_ins_missing if not chosen.loader else _load(chosen)
        register(sub)
        covered = {c.name for c in siblings}
    for command in commands:
        if command.name not in covered:
            sub.add_parser(command.name, help=command.help, add_help=False)
    return parser


def _selected(argv: Sequence[str]) -> str | None:
    """The command named on the command line: its first argument that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> None:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_selected(args_list))
    args, extra = parser.parse_known_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.error(f"unknown command {args.command!r}")
    if extra and handler is not _stand_ins_missing:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        status = handler(args)
    except CommandError as exc:
        print(f"ff: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        from ff_shared.errors import SettingsError

        if isinstance(exc, SettingsError):
            print(f"ff: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        raise
    raise SystemExit(status or 0)
