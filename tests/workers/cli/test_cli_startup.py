"""``ff`` starts light: building its parser imports no command's module, and a command imports
only what it needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = (
    "aioboto3",
    "botocore",
    "structlog",
    "asyncpg",
    "beanie",
    "aiohttp",
    "ff_api",
    "ff_standins",
    "ff_standins.dev.run",
    "litestar",
)


def _imported_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return [m for m in done.stdout.strip().split(",") if m]


def test_the_parser_lists_every_command_without_importing_any() -> None:
    assert _imported_after("from ff_workers.cli.main import build_parser; build_parser()") == []


def test_ff_help_lists_the_commands_of_installed_packages_by_name() -> None:
    ff = str(Path(sys.executable).parent / "ff")
    done = subprocess.run([ff, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for name in ("dev", "openapi", "token", "settings", "lms", "obv-archive", "tracker"):
        assert f"    {name}" in done.stdout


def test_ff_token_and_ff_settings_need_no_aws_sdk() -> None:
    token = _imported_after(
        "from ff_workers.cli.main import build_parser\n"
        "build_parser('token').parse_args(['token', 'demo.customer@example.com'])"
    )
    settings = _imported_after(
        "from ff_workers.cli.main import build_parser\n"
        "build_parser('settings').parse_args(['settings', '--check'])"
    )
    assert token == []
    assert "aioboto3" not in settings
    assert "botocore" not in settings


def test_ff_dev_help_imports_only_its_arguments_not_the_stack() -> None:
    imported = _imported_after(
        "from ff_workers.cli.main import build_parser\n"
        "args = build_parser('dev').parse_args(['dev', '--port', '8010', '--no-portals'])\n"
        "assert (args.port, args.no_portals, args.no_workers) == (8010, True, False)"
    )
    assert imported == ["ff_standins"]


def test_a_command_gets_its_full_arguments_when_it_runs() -> None:
    from ff_workers.cli.main import build_parser

    args = build_parser("obv-archive").parse_args(["obv-archive", "--dry-run", "--json"])

    assert (args.dry_run, args.json) == (True, True)
    assert callable(args.handler)
