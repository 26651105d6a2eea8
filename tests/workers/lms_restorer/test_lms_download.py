"""The fetch's download against the SFTP test server: many blocks read ahead and put back in
order, files of odd sizes, short answers and resumed parts all give the very bytes of the source
and its SHA-256 and MD5 (computed here over the whole file, as the download did before it read
ahead)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ff_shared.integrations.sftp.client import (
    BLOCK_BYTES,
    MAX_REQUESTS,
    RemoteFile,
    SftpConfig,
    SftpSession,
    open_sftp,
    part_path,
)
from ff_standins.sftp_server import SftpServerHandle, generate_host_key, start_sftp_server

NAME = "FULL_AnchorLMS_20261127_013000.sqb"
# More blocks than are ever in flight, and a size that is no multiple of anything.
ODD_SIZE = (MAX_REQUESTS + 5) * BLOCK_BYTES + 12_345


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[SftpServerHandle]:
    (tmp_path / "root" / "drop").mkdir(parents=True)
    handle = await start_sftp_server(
        tmp_path / "root", host_key=generate_host_key(), username="anchor", password="pw"
    )
    try:
        yield handle
    finally:
        await handle.close()


def publish(server: SftpServerHandle, size: int) -> bytes:
    data = os.urandom(size)
    (Path(server.root) / "drop" / NAME).write_bytes(data)
    return data


def config(server: SftpServerHandle) -> SftpConfig:
    return SftpConfig(
        host=server.host,
        port=server.port,
        username="anchor",
        password="pw",
        host_key=server.host_key,
    )


async def remote_file(sftp: SftpSession) -> RemoteFile:
    (remote,) = await sftp.list_files("/drop")
    return remote


@pytest.mark.parametrize("size", [1, BLOCK_BYTES - 1, BLOCK_BYTES + 1, ODD_SIZE])
async def test_a_file_of_odd_size_arrives_byte_exact_with_its_hashes(
    server: SftpServerHandle, tmp_path: Path, size: int
) -> None:
    data = publish(server, size)
    seen: list[tuple[int, int]] = []

    async with open_sftp(config(server)) as sftp:
        download = await sftp.download(
            await remote_file(sftp),
            tmp_path / "out" / NAME,
            progress=lambda done, total: seen.append((done, total)),
            md5=True,
        )

    assert (tmp_path / "out" / NAME).read_bytes() == data
    assert not part_path(tmp_path / "out" / NAME).exists()
    assert download.size == size
    assert download.sha256 == hashlib.sha256(data).hexdigest()
    assert download.md5 == hashlib.md5(data).hexdigest()
    assert (download.resumed_from, download.transferred) == (0, size)
    assert seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


async def test_md5_is_left_out_unless_asked_for(server: SftpServerHandle, tmp_path: Path) -> None:
    data = publish(server, 3 * BLOCK_BYTES + 7)

    async with open_sftp(config(server)) as sftp:
        download = await sftp.download(await remote_file(sftp), tmp_path / NAME)
        again = await sftp.download(await remote_file(sftp), tmp_path / NAME, md5=True)

    assert download.sha256 == hashlib.sha256(data).hexdigest()
    assert download.md5 is None
    # A file already complete is hashed from disk, with MD5 when asked for.
    assert (again.transferred, again.sha256) == (0, download.sha256)
    assert again.md5 == hashlib.md5(data).hexdigest()


async def test_short_answers_are_completed_in_order(
    server: SftpServerHandle, tmp_path: Path
) -> None:
    data = publish(server, ODD_SIZE)
    server.faults.short_reads[NAME] = 100_003

    async with open_sftp(config(server)) as sftp:
        download = await sftp.download(await remote_file(sftp), tmp_path / NAME, md5=True)

    assert (tmp_path / NAME).read_bytes() == data
    assert download.sha256 == hashlib.sha256(data).hexdigest()
    assert download.md5 == hashlib.md5(data).hexdigest()
    assert server.faults.reads[NAME] == ODD_SIZE


async def test_a_part_of_odd_size_is_resumed_with_the_hashes_of_the_whole(
    server: SftpServerHandle, tmp_path: Path
) -> None:
    data = publish(server, ODD_SIZE)
    have = 5 * BLOCK_BYTES + 999
    part_path(tmp_path / NAME).write_bytes(data[:have])

    async with open_sftp(config(server)) as sftp:
        download = await sftp.download(await remote_file(sftp), tmp_path / NAME, md5=True)

    assert (tmp_path / NAME).read_bytes() == data
    assert (download.resumed_from, download.transferred) == (have, ODD_SIZE - have)
    assert server.faults.reads[NAME] == ODD_SIZE - have
    assert download.sha256 == hashlib.sha256(data).hexdigest()
    assert download.md5 == hashlib.md5(data).hexdigest()
