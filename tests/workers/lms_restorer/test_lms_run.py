"""A whole run against the real SFTP server, moto's S3/SSM/SES, the test converter and
PostgreSQL: what is fetched, archived, converted and catalogued, and what is refused."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import asyncssh
import msgspec
import pytest
from tests.fixtures.lms import BACKUP_PASSWORD, LmsHarness, MakeLms

from ff_shared.domain.backups.runs import RunStatus, Step, StepStatus
from ff_shared.errors import SettingsError
from ff_shared.integrations.sftp.client import SftpConfig, SftpRefused, open_sftp
from ff_shared.settings import load_settings
from ff_standins.sftp_server import generate_host_key, public_key_line, start_sftp_server
from ff_standins.sqb_converter import make_test_sqb
from ff_workers.lms_restorer.worker import open_clients

NAME = "FULL_AnchorLMS_20261127_013000.sqb"


async def test_a_run_fetches_archives_and_converts_and_reports_restore_not_configured(
    lms: LmsHarness,
) -> None:
    source = lms.publish(NAME, threads=3, payload_bytes=400_000)

    report = await lms.run()

    assert report.status == RunStatus.INCOMPLETE
    steps = await lms.steps(NAME)
    assert [steps[s].status for s in Step] == [
        StepStatus.SUCCEEDED,
        StepStatus.SUCCEEDED,
        StepStatus.SUCCEEDED,
        StepStatus.SUCCEEDED,
        StepStatus.NOT_CONFIGURED,
        StepStatus.PENDING,
        StepStatus.PENDING,
    ]
    assert "nothing was restored" in (steps[Step.RESTORE].error or "")
    backup = await lms.backup(NAME)
    assert backup.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert backup.published_checksum == f"sha256:{backup.sha256}"
    assert backup.database_version == 904
    assert [f.name for f in backup.converted_files] == [
        "FULL_AnchorLMS_20261127_013000_01.bak",
        "FULL_AnchorLMS_20261127_013000_02.bak",
        "FULL_AnchorLMS_20261127_013000_03.bak",
    ]
    stem = "FULL_AnchorLMS_20261127_013000"
    assert await lms.s3_keys() == [
        f"converted/2026/11/27/{stem}/{stem}_01.bak",
        f"converted/2026/11/27/{stem}/{stem}_02.bak",
        f"converted/2026/11/27/{stem}/{stem}_03.bak",
        f"originals/2026/11/27/{NAME}",
    ]
    head = await lms.clients.s3.head_object(
        Bucket=lms.settings.lms.bucket, Key=f"originals/2026/11/27/{NAME}"
    )
    assert head["Metadata"]["sha256"] == backup.sha256
    for converted in backup.converted_files:
        obj = await lms.clients.s3.get_object(Bucket=lms.settings.lms.bucket, Key=converted.key)
        body = await obj["Body"].read()
        assert body[:4] == b"TAPE"
        assert hashlib.sha256(body).hexdigest() == converted.sha256
        assert obj["Metadata"]["sha256"] == converted.sha256


async def test_a_second_run_finds_nothing_new_and_archives_nothing_twice(lms: LmsHarness) -> None:
    lms.publish(NAME)
    await lms.run()
    keys = await lms.s3_keys()

    again = await lms.run()

    assert again.outcomes[0].step == Step.RESTORE  # only the step not configured is tried again
    assert {o.step for o in again.outcomes} == {Step.RESTORE}
    assert await lms.s3_keys() == keys
    assert (await lms.steps(NAME))[Step.FETCH].attempts == 1


async def test_a_checksum_mismatch_fails_fetch_discards_the_file_and_alerts(
    lms: LmsHarness,
) -> None:
    lms.publish(NAME, wrong_checksum=True)
    sent = await lms.sent_mail()

    report = await lms.run()

    assert report.status == RunStatus.FAILED
    steps = await lms.steps(NAME)
    assert steps[Step.FETCH].status == StepStatus.FAILED
    assert "checksum mismatch" in (steps[Step.FETCH].error or "")
    assert steps[Step.ARCHIVE_ORIGINAL].status == StepStatus.PENDING
    assert not lms.clients.original_path(NAME).exists()
    assert await lms.s3_keys() == []
    await lms.assert_alerted(report, sent, "checksum mismatch")


async def test_an_md5_checksum_file_is_checked_too(lms: LmsHarness) -> None:
    source = lms.publish(NAME, checksum="md5")

    report = await lms.run()

    assert report.status == RunStatus.INCOMPLETE
    backup = await lms.backup(NAME)
    assert backup.published_checksum == "md5:" + hashlib.md5(source.read_bytes()).hexdigest()


async def test_a_file_still_being_written_is_left_for_the_next_run(make_lms: MakeLms) -> None:
    lms = await make_lms(FF_LMS_SFTP_SETTLE_SECONDS="2")
    path = lms.publish(NAME, checksum=None)

    async def grow_soon() -> None:
        # Between the run's two listings, which are two seconds apart.
        await asyncio.sleep(1.0)
        with path.open("ab") as handle:
            handle.write(b"more bytes arriving")

    task = asyncio.create_task(grow_soon())
    report = await lms.run()
    await task

    assert report.growing == [NAME]
    assert report.status == RunStatus.NOTHING_TO_DO
    async with lms.clients.pg.acquire() as conn:
        assert await conn.fetchval("select count(*) from lms.backups") == 0

    later = await lms.run()

    assert later.growing == []
    assert (await lms.steps(NAME))[Step.FETCH].status == StepStatus.SUCCEEDED


async def test_a_truncated_download_fails_then_resumes_where_it_stopped(lms: LmsHarness) -> None:
    source = lms.publish(NAME, payload_bytes=3_000_000, compress=False)
    size = source.stat().st_size
    lms.sftp.faults.truncate_after[NAME] = 1_000_000

    first = await lms.run()

    assert first.status == RunStatus.FAILED
    fetch = (await lms.steps(NAME))[Step.FETCH]
    assert fetch.status == StepStatus.FAILED
    assert "ended at 1000000 of" in (fetch.error or "")
    part = lms.clients.original_path(NAME).with_name(NAME + ".part")
    assert part.stat().st_size == 1_000_000
    del lms.sftp.faults.truncate_after[NAME]
    lms.sftp.faults.reads[NAME] = 0

    second = await lms.run()

    assert second.status == RunStatus.INCOMPLETE
    fetch = (await lms.steps(NAME))[Step.FETCH]
    assert fetch.status == StepStatus.SUCCEEDED
    assert fetch.attempts == 2
    assert fetch.detail["resumed_from"] == 1_000_000
    assert lms.sftp.faults.reads[NAME] == size - 1_000_000
    assert (await lms.backup(NAME)).sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


async def test_a_dropped_connection_mid_download_resumes_on_the_next_run(lms: LmsHarness) -> None:
    source = lms.publish(NAME, payload_bytes=20_000_000, compress=False)
    lms.sftp.faults.disconnect_after[NAME] = 12_000_000

    first = await lms.run()

    assert first.status == RunStatus.FAILED
    second = await lms.run()
    assert second.status == RunStatus.INCOMPLETE
    fetch = (await lms.steps(NAME))[Step.FETCH]
    # The bytes that arrived in order before the drop are kept; the transfer continues after them.
    kept = fetch.detail["resumed_from"]
    assert 0 < kept <= 12_000_000
    assert fetch.detail["transferred"] == source.stat().st_size - kept
    assert (await lms.backup(NAME)).sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


async def test_a_converter_that_fails_fails_the_step_with_its_message(lms: LmsHarness) -> None:
    lms.publish(NAME, password="not-the-configured-one")

    report = await lms.run()

    assert report.status == RunStatus.FAILED
    convert = (await lms.steps(NAME))[Step.CONVERT]
    assert convert.status == StepStatus.FAILED
    assert "exit status 4" in (convert.error or "")
    assert "the password is not this backup's" in (convert.error or "")
    assert (await lms.steps(NAME))[Step.ARCHIVE_ORIGINAL].status == StepStatus.SUCCEEDED


async def test_a_converter_that_hangs_is_killed_at_the_timeout(make_lms: MakeLms) -> None:
    lms = await make_lms(
        FF_LMS_CONVERTER_COMMAND=(
            "python -m ff_standins.sqb_converter --sleep 60 {input} {output} FILE:{password_file}"
        ),
        FF_LMS_CONVERTER_TIMEOUT_SECONDS="1.5",
    )
    lms.publish(NAME)

    report = await lms.run()

    convert = (await lms.steps(NAME))[Step.CONVERT]
    assert report.status == RunStatus.FAILED
    assert convert.status == StepStatus.FAILED
    assert "did not finish within 1.5s and was killed" in (convert.error or "")
    assert (convert.duration_ms or 0) < 20_000


async def test_an_output_that_is_not_a_backup_is_refused(make_lms: MakeLms) -> None:
    lms = await make_lms(
        FF_LMS_CONVERTER_COMMAND="cp {input} {output}", FF_LMS_CONVERTER_PASSWORD_PARAMETER=""
    )
    lms.publish(NAME)

    await lms.run()

    convert = (await lms.steps(NAME))[Step.CONVERT]
    assert convert.status == StepStatus.FAILED
    assert "is not a SQL Server backup" in (convert.error or "")
    assert "does not start with TAPE" in (convert.error or "")
    assert not any(k.startswith("converted/") for k in await lms.s3_keys())


async def test_a_backup_newer_than_the_target_server_is_refused(lms: LmsHarness) -> None:
    lms.publish(NAME, version=957)

    await lms.run()

    convert = (await lms.steps(NAME))[Step.CONVERT]
    assert convert.status == StepStatus.FAILED
    assert "SQL Server 2022" in (convert.error or "")
    assert "cannot restore it" in (convert.error or "")


async def test_the_password_never_reaches_the_catalogue_or_the_logs(
    lms: LmsHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    lms.publish(NAME)

    report = await lms.run()

    assert report.status == RunStatus.INCOMPLETE
    rows: list[str] = []
    async with lms.clients.pg.acquire() as conn:
        for table in ("backup_steps", "run_steps", "runs", "backups"):
            rows += [str(dict(r)) for r in await conn.fetch(f"select * from lms.{table}")]
    assert BACKUP_PASSWORD not in " ".join(rows)
    assert BACKUP_PASSWORD not in capsys.readouterr().out
    secrets = lms.clients.work_dir / "secrets"
    assert secrets.is_dir()
    assert list(secrets.iterdir()) == []


async def test_without_a_converter_the_convert_step_reports_not_configured(
    make_lms: MakeLms,
) -> None:
    lms = await make_lms(FF_LMS_CONVERTER_COMMAND="")
    lms.publish(NAME)

    report = await lms.run()

    assert report.status == RunStatus.INCOMPLETE
    steps = await lms.steps(NAME)
    assert steps[Step.ARCHIVE_ORIGINAL].status == StepStatus.SUCCEEDED
    assert steps[Step.CONVERT].status == StepStatus.NOT_CONFIGURED
    assert "Windows conversion host" in (steps[Step.CONVERT].error or "")
    assert steps[Step.RESTORE].status == StepStatus.PENDING


async def test_production_settings_refuse_the_test_converter(base_env: dict[str, str]) -> None:
    settings = load_settings(
        {
            **base_env,
            "FF_ENVIRONMENT": "production",
            "FF_LMS_CONVERTER_COMMAND": "python -m ff_standins.sqb_converter {input} {output}",
        }
    )
    with pytest.raises(SettingsError, match="test converter"):
        async with open_clients(settings):
            pass


def test_the_test_converter_itself_refuses_to_run_in_production(tmp_path: Path) -> None:
    source = make_test_sqb(tmp_path / "x.sqb")
    result = subprocess.run(
        [sys.executable, "-m", "ff_standins.sqb_converter", str(source), "o.bak"],
        env={**os.environ, "FF_ENVIRONMENT": "production"},
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "refuses to run in production" in result.stderr
    assert not (tmp_path / "o.bak").exists()


async def test_a_server_without_the_pinned_host_key_is_refused(make_lms: MakeLms) -> None:
    impostor = public_key_line(generate_host_key())
    lms = await make_lms(FF_LMS_SFTP_HOST_KEY=impostor)
    lms.publish(NAME)

    report = await lms.run()

    assert report.status == RunStatus.FAILED
    assert "did not present the pinned host key" in report.problems[0]
    async with lms.clients.pg.acquire() as conn:
        assert await conn.fetchval("select count(*) from lms.backups") == 0


async def test_key_authentication_lists_and_downloads(tmp_path: Path) -> None:
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "id_ed25519"
    client_key.write_private_key(str(key_file))
    root = tmp_path / "root"
    (root / "drop").mkdir(parents=True)
    make_test_sqb(root / "drop" / NAME)
    server = await start_sftp_server(
        root,
        host_key=generate_host_key(),
        username="anchor",
        authorized_keys=client_key.export_public_key().decode(),
    )
    try:
        config = SftpConfig(
            host=server.host,
            port=server.port,
            username="anchor",
            host_key=server.host_key,
            private_key_path=str(key_file),
        )
        async with open_sftp(config) as sftp:
            files = await sftp.list_files("/drop")
            download = await sftp.download(files[0], tmp_path / "out" / NAME)
        assert [f.name for f in files] == [NAME]
        assert download.sha256 == hashlib.sha256((root / "drop" / NAME).read_bytes()).hexdigest()
        wrong = msgspec.structs.replace(config, private_key_path=None, password="guess")
        with pytest.raises(SftpRefused, match="refused the login"):
            async with open_sftp(wrong):
                pass
    finally:
        await server.close()
