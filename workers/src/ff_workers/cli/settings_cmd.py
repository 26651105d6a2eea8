"""``ff settings``: every environment variable, its type and default."""

from __future__ import annotations

import argparse
from pathlib import Path

from ff_shared.settings import variables
from ff_workers.cli.devstate import stack_env
from ff_workers.cli.errors import CommandError


def _cell(text: str) -> str:
    """A table cell: a ``|`` inside it (a type ``a | b``, a default) must not split the row."""
    return text.replace("|", "\\|")


def markdown_table() -> str:
    lines = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for var in variables():
        default = "(required)" if var.required else f"`{var.default}`" if var.default else "(unset)"
        cells = [f"`{var.name}`", var.type, default, var.doc or ""]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"
SETTINGS_PAGE = Path("docs/settings.md")


def update_table(path: Path) -> bool:
    """Rewrite the settings table between the markers in ``path`` from the code; True when it
    changed."""
    text = path.read_text()
    head, sep, rest = text.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise CommandError(
            f"{path} has no {START} ... {END} markers (the table lives in {SETTINGS_PAGE})"
        )
    updated = f"{head}{START}\n{markdown_table()}\n{END}{tail}"
    if updated != text:
        path.write_text(updated)
    return updated != text


def _run(args: argparse.Namespace) -> int:
    if args.update_docs:
        path = Path(args.update_docs)
        if not path.exists():
            raise CommandError(f"{path} not found: run from the repository root or give its path")
        changed = update_table(path)
        print(f"{path}: settings table {'updated' if changed else 'current'}")
        return 0
    if args.check:
        # The running local stack's settings under this environment's, as every command reads.
        from ff_shared.startup import load_runtime_settings

        load_runtime_settings(stack_env())
        print("settings are valid")
        return 0
    print(markdown_table())
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("settings", help="list the environment variables (or --check them)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="parse the settings (the environment over the running local stack's)",
    )
    parser.add_argument(
        "--update-docs",
        "--update-readme",
        nargs="?",
        const=str(SETTINGS_PAGE),
        metavar="PATH",
        help=f"rewrite the settings table of PATH (default {SETTINGS_PAGE})",
    )
    parser.set_defaults(handler=_run)
