"""Fetch-to-archive throughput of a loan-book backup, beside the floor measured in the same run.

Generates a backup of ``--size-mb`` (500 by default) and serves it from asyncssh's SFTP server on
loopback, in a process of its own as a remote server would be. Then times what the lms-restorer's
fetch and archive steps do with it: the SFTP download, hashed (SHA-256 and MD5) as the bytes
arrive, then the multipart upload to S3 (moto server) with the SHA-256 in the metadata. The floor
is reading and hashing the same file locally: no transfer can go faster on this machine.

    uv run python bench/lms_bench.py --size-mb 500
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aioboto3

from ff_shared.integrations.aws.s3_archive import archive_file, ensure_bucket
from ff_shared.integrations.aws.session import client_options
from ff_shared.integrations.sftp.client import SftpConfig, open_sftp
from ff_shared.settings import AwsSettings
from ff_standins.servers import free_port, start_moto, wait_for_port
from ff_standins.sftp_server import load_or_create_host_key, public_key_line
from ff_standins.sqb_converter import make_test_sqb

MB = 1024 * 1024
REGION = "eu-west-2"


def floor(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(4 * MB):
            digest.update(block)
    return time.perf_counter() - started, digest.hexdigest()


def start_sftp_process(root: Path, key_file: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    """The SFTP server in a process of its own, as a remote server would be (not sharing the
    client's event loop and core)."""
    key = load_or_create_host_key(key_file)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ff_standins.dev.lms",
            "--root",
            str(root),
            "--port",
            str(port),
            "--host-key",
            str(key_file),
        ],
        env={**os.environ, "FF_LMS_SFTP_PASSWORD": "bench", "FF_LMS_SFTP_USERNAME": "lms"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port("127.0.0.1", port, name="the SFTP server")
    return process, port, public_key_line(key)


async def fetch_and_archive(
    source: Path, work: Path, moto_url: str, part_mb: int, port: int, host_key: str
) -> tuple[float, float, str]:
    config = SftpConfig(
        host="127.0.0.1",
        port=port,
        username="lms",
        password="bench",
        host_key=host_key,
        timeout_seconds=60,
    )
    session = aioboto3.Session(region_name=REGION)
    async with session.client(
        "s3", **client_options(AwsSettings(region=REGION, endpoint_url=moto_url))
    ) as s3:
        await ensure_bucket(s3, "lms-bench", REGION)
        started = time.perf_counter()
        async with open_sftp(config) as sftp:
            remote = next(f for f in await sftp.list_files("/") if f.name == source.name)
            download = await sftp.download(remote, work / source.name)
        fetched = time.perf_counter()
        await archive_file(
            s3,
            bucket="lms-bench",
            key=f"originals/bench/{source.name}",
            path=work / source.name,
            sha256=download.sha256,
            part_bytes=part_mb * MB,
        )
        archived = time.perf_counter()
        head = await s3.head_object(Bucket="lms-bench", Key=f"originals/bench/{source.name}")
        assert head["Metadata"]["sha256"] == download.sha256
    return fetched - started, archived - fetched, download.sha256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--part-mb", type=int, default=16, help="S3 multipart part size")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    root = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    moto = start_moto(root)
    try:
        drop, work = root / "drop", root / "work"
        drop.mkdir()
        work.mkdir()
        source = make_test_sqb(
            drop / "FULL_AnchorLMS_20261127_013000.sqb",
            payload_bytes=args.size_mb * MB,
            compress=False,
        )
        size = source.stat().st_size / MB
        floor(source)  # warm the page cache, as the server's read will be
        floor_s, floor_sha = floor(source)
        server, port, host_key = start_sftp_process(drop, root / "host_key")
        try:
            fetch_s, archive_s, sha = asyncio.run(
                fetch_and_archive(source, work, moto.url, args.part_mb, port, host_key)
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
        assert sha == floor_sha, "the fetched file's SHA-256 differs from the source's"
        total_s = fetch_s + archive_s
        print(f"backup                       {size:8.1f} MB (generated, uncompressed test .sqb)")
        print(f"floor: read + SHA-256 locally {size / floor_s:7.1f} MB/s  ({floor_s:6.2f} s)")
        print(
            f"fetch (SFTP, hashed)         {size / fetch_s:7.1f} MB/s  ({fetch_s:6.2f} s)"
            f"  = {100 * floor_s / fetch_s:5.1f}% of floor"
        )
        print(
            f"archive (S3 multipart, moto) {size / archive_s:7.1f} MB/s  ({archive_s:6.2f} s)"
            f"  = {100 * floor_s / archive_s:5.1f}% of floor"
        )
        print(
            f"fetch-to-archive             {size / total_s:7.1f} MB/s  ({total_s:6.2f} s)"
            f"  = {100 * floor_s / total_s:5.1f}% of floor"
        )
    finally:
        moto.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
