"""Step 3, convert: ``.sqb`` -> ``.bak`` with the vendor's converter, then check the result.

The converter is a configured command template (``FF_LMS_CONVERTER_COMMAND``), split like a shell
would but run without one, with ``{input}``, ``{output}`` and the password as ``{password_file}``
(a 0600 file deleted afterwards: nothing in the process list) or, for converters that only take
it on the command line, ``{password}``. The password comes from SSM and is never logged; the
converter's output is kept (last lines) with the password masked. Each ``.bak`` produced must be
a SQL Server native backup no newer than the restore target.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
import shlex
import shutil
import signal
from pathlib import Path
from typing import Any

import structlog

from ff_shared.domain.backups.headers import (
    HEADER_SCAN_BYTES,
    TAIL_SCAN_BYTES,
    BackupHeader,
    BackupTooNew,
    NotABackup,
    check_restorable,
    check_same_version,
    parse_backup_header,
)
from ff_shared.integrations.aws.s3_archive import ArchiveError, download_file
from ff_shared.integrations.aws.ssm import SecretUnavailable, get_parameter
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres.lms import BackupRecord, ConvertedFile
from ff_workers.lms_restorer.context import (
    Clients,
    StepDone,
    StepFailed,
    StepNotConfigured,
    refuses_test_converter,
)

log = structlog.get_logger()

OUTPUT_TAIL_CHARS = 4000
_PLACEHOLDER = re.compile(r"\{(input|output|password|password_file)\}")


def build_argv(
    template: str, *, source: Path, target: Path, password: str | None, password_file: Path | None
) -> list[str]:
    values = {
        "input": str(source),
        "output": str(target),
        "password": password or "",
        "password_file": str(password_file) if password_file else "",
    }
    argv = [
        _PLACEHOLDER.sub(lambda m: values[m.group(1)], token) for token in shlex.split(template)
    ]
    return [a for a in argv if a != ""]


def _hash_and_header(path: Path) -> tuple[str, int, BackupHeader]:
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(HEADER_SCAN_BYTES)
        handle.seek(max(0, size - TAIL_SCAN_BYTES))
        tail = handle.read(TAIL_SCAN_BYTES)
        handle.seek(0)
        while block := handle.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest(), size, parse_backup_header(head, tail, size)


def _outputs(directory: Path, stem: str) -> list[Path]:
    single = directory / f"{stem}.bak"
    striped = sorted(directory.glob(f"{stem}_[0-9][0-9].bak"))
    if striped:
        return striped
    return [single] if single.exists() else []


def _mask(text: str, password: str | None) -> str:
    return text.replace(password, "[redacted]") if password else text


def _reset_dir(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)


def _write_secret(directory: Path, password: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"converter-{secrets.token_hex(8)}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return path


async def _ensure_original(clients: Clients, backup: BackupRecord) -> Path:
    """The ``.sqb`` on disk; fetched back from its archive if the work directory lost it."""
    path = clients.original_path(backup.file_name)
    if await asyncio.to_thread(path.exists):
        return path
    if backup.original_key is None:
        raise StepFailed(f"{backup.file_name} is neither on disk nor archived: re-run fetch")
    try:
        await download_file(
            clients.s3,
            bucket=clients.lms.bucket,
            key=backup.original_key,
            path=path,
            progress=lambda d, t: clients.report(f"restore-from-archive {path.name}", d, t),
        )
    except ArchiveError as exc:
        raise StepFailed(str(exc)) from exc
    return path


async def _run_converter(argv: list[str], limit_seconds: float, password: str | None) -> str:
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        raise StepFailed(
            f"the converter could not be started ({exc.strerror}): check FF_LMS_CONVERTER_COMMAND"
        ) from exc
    try:
        output, _ = await asyncio.wait_for(process.communicate(), limit_seconds)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise StepFailed(
            f"the converter did not finish within {limit_seconds:g}s and was killed"
        ) from None
    text = _mask(output.decode("utf-8", errors="replace"), password)[-OUTPUT_TAIL_CHARS:]
    if process.returncode != 0:
        raise StepFailed(
            f"the converter failed (exit status {process.returncode}): "
            + (text.strip().splitlines() or ["no output"])[-1],
            {"exit_status": process.returncode, "output": text},
        )
    return text


async def _backup_password(clients: Clients, *, uses_placeholder: bool) -> str | None:
    """The backup's password from SSM, when one is configured (None: the backup has none)."""
    parameter = clients.lms.converter_password_parameter
    if not parameter:
        return None
    if not uses_placeholder:
        raise StepFailed(
            "a backup password is configured but the converter command has no"
            " {password_file} or {password} placeholder"
        )
    try:
        return await get_parameter(clients.ssm, parameter)
    except SecretUnavailable as exc:
        raise StepFailed(str(exc), {"retryable": exc.retryable}) from exc


async def _inspect(outputs: list[Path]) -> tuple[list[ConvertedFile], list[BackupHeader]]:
    """Each converted file's checksum, size and backup header."""
    files: list[ConvertedFile] = []
    headers: list[BackupHeader] = []
    for path in outputs:
        try:
            sha, size, header = await asyncio.to_thread(_hash_and_header, path)
        except NotABackup as exc:
            raise StepFailed(f"{path.name} is not a SQL Server backup: {exc}") from exc
        files.append(ConvertedFile(name=path.name, size_bytes=size, sha256=sha))
        headers.append(header)
    return files, headers


async def convert(clients: Clients, backup: BackupRecord) -> StepDone:
    lms = clients.lms
    template = lms.converter_command
    if not template:
        raise StepNotConfigured(
            "no converter is configured on this host (FF_LMS_CONVERTER_COMMAND): the vendor's"
            " SQBConverter.exe / sqb2mtf.exe runs on the Windows conversion host"
        )
    refusal = refuses_test_converter(clients.settings)
    if refusal:
        raise StepFailed(refusal)
    uses_file = "{password_file}" in template
    uses_arg = "{password}" in template
    password = await _backup_password(clients, uses_placeholder=uses_file or uses_arg)
    source = await _ensure_original(clients, backup)
    directory = clients.converted_dir(backup.file_name)
    stem = Path(backup.file_name).stem
    await asyncio.to_thread(_reset_dir, directory)
    secret_file: Path | None = None
    if password is not None and uses_file:
        secret_file = await asyncio.to_thread(_write_secret, clients.work_dir / "secrets", password)
    argv = build_argv(
        template,
        source=source,
        target=directory / f"{stem}.bak",
        password=password if uses_arg else None,
        password_file=secret_file,
    )
    log.info("lms_conversion_started", backup_id=backup.id, command=shlex.split(template)[0])
    try:
        output = await _run_converter(argv, lms.converter_timeout_seconds, password)
    finally:
        if secret_file is not None:
            await asyncio.to_thread(secret_file.unlink, True)
    outputs = await asyncio.to_thread(_outputs, directory, stem)
    if not outputs:
        raise StepFailed(
            f"the converter exited 0 but wrote no {stem}.bak or {stem}_NN.bak",
            {"output": output},
        )
    files, headers = await _inspect(outputs)
    try:
        version = check_same_version(headers)
        check_restorable(headers[0], lms.target_server_version)
    except (NotABackup, BackupTooNew) as exc:
        raise StepFailed(str(exc), {"database_version": headers[0].database_version}) from exc
    async with clients.pg.acquire() as conn:
        await catalogue.set_converted(conn, backup.id, files=files, database_version=version)
    total = sum(f.size_bytes for f in files)
    log.info(
        "lms_backup_converted",
        backup_id=backup.id,
        files=len(files),
        database_version=version,
        size_bytes=total,
    )
    detail: dict[str, Any] = {
        "files": [f.name for f in files],
        "database_version": version,
        "product": headers[0].product,
        "output": output,
    }
    return StepDone(detail=detail, size_bytes=total)
