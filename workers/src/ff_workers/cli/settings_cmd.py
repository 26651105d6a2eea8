"""``ff settings``: every environment variable, its type and default."""

from __future__ import annotations

import argparse
from pathlib import Path

from ff_shared.settings import load_settings, variables
from ff_workers.cli.errors import CommandError


def markdown_table() -> str:
    lines = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for var in variables():
        default = "(required)" if var.required else f"`{var.default}`" if var.default else "(unset)"
        lines.append(f"| `{var.name}` | {var.type} | {default} | {var.doc or ''} |")
    return "\n".join(lines)


START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def update_readme(path: Path) -> bool:
    """Rewrite the README's settings table from the code; True when it changed."""
    text = path.read_text()
    head, sep, rest = text.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise CommandError(f"{path} has no {START} ... {END} markers")
    updated = f"{head}{START}\n{markdown_table()}\n{END}{tail}"
    if updated != text:
        path.write_text(updated)
    return updated != text


def _run(args: argparse.Namespace) -> int:
    if args.update_readme:
        changed = update_readme(Path(args.update_readme))
        print("README settings table updated" if changed else "README settings table current")
        return 0
    if args.check:
        load_settings()
        print("settings are valid")
        return 0
    print(markdown_table())
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("settings", help="list the environment variables (or --check them)")
    parser.add_argument("--check", action="store_true", help="parse the current environment")
    parser.add_argument("--update-readme", metavar="PATH", help="rewrite PATH's settings table")
    parser.set_defaults(handler=_run)
