"""The local stack's nightly loan-book backup (``ff dev``): an SFTP server (asyncssh, port 8122
unless ``FF_LMS_SFTP_PORT`` says otherwise) serving a demo Anchor backup with its checksum, the
test converter configured in place of Redgate's, the backup password in moto's SSM, the archive
bucket, a verified alert sender, and the ``lms`` schema migrated. No SQL Server runs locally, so
a run reports its restore step as not configured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import shlex
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import aioboto3
import asyncpg

from ff_shared.clock import now_utc
from ff_shared.integrations.aws.s3_archive import ensure_bucket
from ff_shared.integrations.aws.ssm import put_secret
from ff_shared.settings import load_settings
from ff_shared.stores.postgres import lms as catalogue
from ff_standins.dev.stack import Stack
from ff_standins.sftp_server import (
    load_or_create_host_key,
    public_key_line,
    serve_forever,
    start_sftp_server,
)
from ff_standins.sqb_converter import make_test_sqb
from ff_workers.cli.devstate import DEMO_PASSWORD, state_dir
from ff_workers.cli.errors import CommandError

SFTP_PORT = 8122
PASSWORD_PARAMETER = "/ff/local/lms/backup-password"
BACKUP_PASSWORD = "Local-Backup-Passw0rd!"
ALERT_SENDER = "lms-restorer@fairfinance.example"


def sftp_root() -> Path:
    return state_dir() / "lms-sftp" / "root"


def host_key_path() -> Path:
    return state_dir() / "lms-sftp" / "host_key"


def _write_demo_backup(directory: Path) -> str:
    """Last night's backup (two threads, encrypted), once; with its sha256 file."""
    directory.mkdir(parents=True, exist_ok=True)
    taken = now_utc() - timedelta(days=1)
    name = f"FULL_AnchorLMS_{taken:%Y%m%d}_013000.sqb"
    path = directory / name
    if not path.exists():
        make_test_sqb(
            path,
            threads=2,
            payload_bytes=24 * 1024 * 1024,
            password=BACKUP_PASSWORD,
            compress=False,
        )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        (directory / f"{name}.sha256").write_text(f"{digest}  {name}\n")
    return name


async def seed_lms(stack: Stack) -> None:
    env = stack.env
    key = await asyncio.to_thread(load_or_create_host_key, host_key_path())
    name = await asyncio.to_thread(_write_demo_backup, sftp_root() / "backups")
    converter = shlex.quote(sys.executable) + " -m ff_standins.sqb_converter"
    env.setdefault("FF_LMS_SFTP_HOST", "127.0.0.1")
    env.setdefault("FF_LMS_SFTP_PORT", str(SFTP_PORT))
    env.setdefault("FF_LMS_SFTP_USERNAME", "lms")
    env.setdefault("FF_LMS_SFTP_PASSWORD", DEMO_PASSWORD)
    env["FF_LMS_SFTP_HOST_KEY"] = public_key_line(key)
    env.setdefault("FF_LMS_SFTP_DIRECTORY", "/backups")
    env.setdefault("FF_LMS_SFTP_SETTLE_SECONDS", "2")
    env.setdefault("FF_LMS_WORK_DIR", str(state_dir() / "lms" / "work"))
    env.setdefault(
        "FF_LMS_CONVERTER_COMMAND", f"{converter} {{input}} {{output}} FILE:{{password_file}}"
    )
    env.setdefault("FF_LMS_CONVERTER_PASSWORD_PARAMETER", PASSWORD_PARAMETER)
    env.setdefault("FF_LMS_ALERT_SENDER", ALERT_SENDER)
    env.setdefault("FF_LMS_ALERT_RECIPIENTS", "operations@example.com")
    settings = load_settings(env)
    session = aioboto3.Session(region_name=stack.aws_region)
    endpoint = stack.aws_endpoint_url
    async with (
        session.client("s3", endpoint_url=endpoint) as s3,
        session.client("ssm", endpoint_url=endpoint) as ssm,
        session.client("ses", endpoint_url=endpoint) as ses,
    ):
        await ensure_bucket(s3, settings.lms.bucket, stack.aws_region)
        await put_secret(ssm, PASSWORD_PARAMETER, BACKUP_PASSWORD)
        await ses.verify_email_identity(EmailAddress=settings.lms.alert_sender)
    try:
        conn = await asyncpg.connect(settings.postgres.dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CommandError(f"PostgreSQL is not reachable for the lms schema: {exc}") from exc
    try:
        await catalogue.migrate(conn)
    finally:
        await conn.close()
    print(
        f"lms        SFTP on 127.0.0.1:{settings.lms.sftp_port} serving {name};"
        " `ff lms run` fetches, archives and converts it"
    )


def serve_sftp(argv: Sequence[str] | None = None) -> None:
    """Serve ``--root`` over SFTP until interrupted (the local stack's Anchor drop)."""
    parser = argparse.ArgumentParser(description="serve a directory over SFTP (local stack)")
    parser.add_argument("--root", help="directory served as / (default: the local stack's)")
    parser.add_argument("--port", type=int, help="port (default: FF_LMS_SFTP_PORT, else 8122)")
    parser.add_argument("--host-key", help="host key file, created if missing (default: local)")
    args = parser.parse_args(argv)
    password = os.environ.get("FF_LMS_SFTP_PASSWORD")
    if not password:
        parser.exit(1, "set FF_LMS_SFTP_PASSWORD: the server's one user logs in with it\n")
    root = Path(args.root) if args.root else sftp_root()
    host_key = Path(args.host_key) if args.host_key else host_key_path()
    port = args.port or int(os.environ.get("FF_LMS_SFTP_PORT", SFTP_PORT))

    async def serve() -> None:
        key = load_or_create_host_key(host_key)
        handle = await start_sftp_server(
            root,
            host_key=key,
            username=os.environ.get("FF_LMS_SFTP_USERNAME", "lms"),
            password=password,
            port=port,
        )
        print(f"sftp       serving {handle.root} on {handle.host}:{handle.port}", flush=True)
        await serve_forever(handle)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


LMS_PROCESSES: list[tuple[str, list[str]]] = [
    ("lms-sftp", [sys.executable, "-m", "ff_standins.dev.lms"]),
    ("worker-lms-restorer", [str(Path(sys.executable).parent / "ff"), "worker", "lms-restorer"]),
]

if __name__ == "__main__":
    serve_sftp()
