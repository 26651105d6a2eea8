"""What every step of a run is given: settings, clients, where files live, how to report."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec

from ff_shared.integrations.aws.email import SesClient
from ff_shared.integrations.aws.ssm import SsmClient
from ff_shared.integrations.sftp.client import SftpConfig
from ff_shared.settings import LmsSettings, Settings
from ff_workers.lms_restorer.sqlserver import SqlServerRestorer

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
else:
    S3Client = Any

ProgressSink = Callable[[str, int, int], None]
"""Called with (what, bytes done, bytes in total); the command line draws it, the worker not."""

RestorerFactory = Callable[[], AbstractAsyncContextManager[SqlServerRestorer]]

TEST_CONVERTER_MODULE = "ff_standins.sqb_converter"


class StepFailed(Exception):
    """A step failed in a way the catalogue records and an operator is told about."""

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}


class StepNotConfigured(Exception):
    """The step cannot run on this host (no converter, no SQL Server): reported, never faked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class StepDone(msgspec.Struct, frozen=True, kw_only=True):
    detail: dict[str, Any] = msgspec.field(default_factory=dict)
    size_bytes: int | None = None


@dataclass
class Clients:
    settings: Settings
    pg: asyncpg.Pool
    s3: S3Client
    ssm: SsmClient
    ses: SesClient
    restorer: RestorerFactory | None = None
    """Opens a connection to the restore target; None when no SQL Server is configured."""
    progress: ProgressSink | None = None
    sleep: Callable[[float], Any] | None = None
    """Replaces ``asyncio.sleep`` between RDS status polls (tests drive the state machine)."""

    @property
    def lms(self) -> LmsSettings:
        return self.settings.lms

    @property
    def work_dir(self) -> Path:
        return Path(self.lms.work_dir).resolve()

    def original_path(self, file_name: str) -> Path:
        return self.work_dir / "originals" / file_name

    def converted_dir(self, file_name: str) -> Path:
        return self.work_dir / "converted" / Path(file_name).stem

    def report(self, what: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(what, done, total)


def sftp_config(lms: LmsSettings) -> SftpConfig:
    if not lms.sftp_host_key:
        raise StepFailed(
            "no pinned SFTP host key (FF_LMS_SFTP_HOST_KEY): the worker never trusts an unknown"
            " server"
        )
    if not lms.sftp_password and not lms.sftp_private_key_path:
        raise StepFailed(
            "no SFTP credentials (FF_LMS_SFTP_PASSWORD or FF_LMS_SFTP_PRIVATE_KEY_PATH)"
        )
    return SftpConfig(
        host=lms.sftp_host,
        port=lms.sftp_port,
        username=lms.sftp_username,
        password=lms.sftp_password,
        private_key_path=lms.sftp_private_key_path,
        host_key=lms.sftp_host_key,
        timeout_seconds=lms.sftp_timeout_seconds,
    )


def refuses_test_converter(settings: Settings) -> str | None:
    """Why these settings may not run (a production host configured with the test converter)."""
    command = settings.lms.converter_command or ""
    if settings.environment == "production" and TEST_CONVERTER_MODULE in command:
        return (
            "FF_LMS_CONVERTER_COMMAND names the test converter, which production refuses:"
            " configure the vendor's SQBConverter.exe or sqb2mtf.exe"
        )
    return None
