"""Fetch-to-archive throughput of a loan-book backup, beside the floor measured in the same run.

Generates a backup of ``--size-mb`` (500 by default) and serves it from asyncssh's SFTP server on
loopback, in a process of its own as a remote server would be. Then times what the lms-restorer's
fetch and archive steps do with it: the SFTP download, hashed (SHA-256) as the bytes arrive, then
the multipart upload to S3 (moto server) with the SHA-256 in the metadata. The floor is reading
and hashing the same file locally: no transfer can go faster on this machine.

Then, in the same run, the fetch beside OpenSSH: a private ``sshd`` (Debian's openssh-server) on a
free loopback port, with its own config, host key and authorized key in a temporary directory
(``internal-sftp``, no PAM, running as the current user), serves the same file; OpenSSH's ``sftp``
client (batch mode, its default buffer and requests in flight, the cipher asyncssh negotiated)
and the lms-restorer's fetch (``open_sftp`` + ``SftpSession.download``, hashed with SHA-256 as in
production; one more round hashes MD5 too, as when the server publishes only a ``.md5``) each
fetch it, in alternating rounds, each keeping its best round. Needs
``apt-get install -y openssh-server openssh-client``; without them that part is skipped.

    uv run python bench/lms_bench.py --size-mb 500
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aioboto3

from ff_shared.integrations.aws.s3_archive import archive_file, ensure_bucket
from ff_shared.integrations.aws.session import client_options
from ff_shared.integrations.sftp.client import Download, SftpConfig, open_sftp
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


@dataclass(frozen=True)
class OpenSsh:
    """A private sshd serving the local file system over SFTP to one key."""

    port: int
    user: str
    host_key: str
    client_key: Path
    known_hosts: Path


def openssh_missing() -> str | None:
    for tool in ("sshd", "sftp", "ssh-keygen"):
        if shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") is None:
            return tool
    return None


def start_openssh(workdir: Path) -> tuple[subprocess.Popen[bytes], OpenSsh]:
    """sshd on a free loopback port with its own config, host key and authorized_keys."""
    sshd = shutil.which("sshd", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    assert sshd is not None
    workdir.mkdir(mode=0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(workdir / name)],
            check=True,
        )
    (workdir / "authorized_keys").write_text((workdir / "client_key.pub").read_text())
    if os.geteuid() == 0:
        # sshd started as root needs its privilege-separation directory, which Debian's service
        # makes at start (RuntimeDirectory=sshd); a container never started it.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    config = workdir / "sshd_config"
    config.write_text(
        f"""Port {port}
ListenAddress 127.0.0.1
HostKey {workdir / "host_key"}
PidFile {workdir / "sshd.pid"}
AuthorizedKeysFile {workdir / "authorized_keys"}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
LogLevel ERROR
Subsystem sftp internal-sftp
"""
    )
    process = subprocess.Popen(
        [sshd, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "sshd.log").open("wb"),
    )
    try:
        wait_for_port("127.0.0.1", port, name="sshd")
    except Exception:
        process.terminate()
        raise RuntimeError(f"sshd did not start: {(workdir / 'sshd.log').read_text()}") from None
    host_key = " ".join((workdir / "host_key.pub").read_text().split()[:2])
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key}\n")
    user = getpass.getuser()
    return process, OpenSsh(port, user, host_key, workdir / "client_key", known_hosts)


def openssh_sftp_fetch(server: OpenSsh, source: Path, dest: Path, cipher: str) -> tuple[float, str]:
    """OpenSSH's sftp client in batch mode fetching ``source``: seconds and the cipher it used."""
    dest.unlink(missing_ok=True)
    batch = dest.with_suffix(".batch")
    batch.write_text(f'get "{source}" "{dest}"\n')
    started = time.perf_counter()
    done = subprocess.run(
        [
            "sftp",
            "-v",
            "-b",
            str(batch),
            "-P",
            str(server.port),
            "-F",
            "/dev/null",
            "-i",
            str(server.client_key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={server.known_hosts}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "Compression=no",
            "-o",
            f"Ciphers={cipher}",
            f"{server.user}@127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"sftp failed ({done.returncode}): {done.stderr[-2000:]}")
    used = re.search(r"kex: server->client cipher: (\S+)", done.stderr)
    return elapsed, used.group(1) if used else "?"


async def production_fetch(
    server: OpenSsh, source: Path, dest: Path, *, md5: bool = False
) -> tuple[float, str, Download]:
    """What the lms-restorer's fetch step does: list, then download hashed with SHA-256 (and MD5
    when the server publishes a ``.md5``)."""
    config = SftpConfig(
        host="127.0.0.1",
        port=server.port,
        username=server.user,
        host_key=server.host_key,
        private_key_path=str(server.client_key),
        timeout_seconds=60,
    )
    started = time.perf_counter()
    async with open_sftp(config) as sftp:
        remote = next(f for f in await sftp.list_files(str(source.parent)) if f.name == source.name)
        download = await sftp.download(remote, dest, md5=md5)
        cipher = sftp.cipher
    return time.perf_counter() - started, cipher, download


def compare_with_openssh(source: Path, root: Path, rounds: int) -> None:
    size = source.stat().st_size / MB
    missing = openssh_missing()
    if missing is not None:
        print(
            f"OpenSSH comparison skipped: no {missing}"
            " (apt-get install -y openssh-server openssh-client)"
        )
        return
    sha = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    with source.open("rb") as handle:
        while block := handle.read(4 * MB):
            sha.update(block)
            md5.update(block)
    out = root / "openssh-out"
    out.mkdir()
    process, server = start_openssh(root / "openssh")
    try:
        ours: list[float] = []
        theirs: list[float] = []
        cipher = their_cipher = ""
        for n in range(rounds):
            (out / source.name).unlink(missing_ok=True)
            seconds, cipher, download = asyncio.run(
                production_fetch(server, source, out / source.name)
            )
            assert download.sha256 == sha.hexdigest(), "the fetched file's SHA-256 differs"
            ours.append(seconds)
            seconds, their_cipher = openssh_sftp_fetch(server, source, out / "sftp.out", cipher)
            assert (out / "sftp.out").stat().st_size == source.stat().st_size
            theirs.append(seconds)
            print(
                f"  round {n + 1}: lms-restorer fetch {size / ours[-1]:7.1f} MB/s,"
                f" OpenSSH sftp {size / theirs[-1]:7.1f} MB/s"
                f"  = {100 * theirs[-1] / ours[-1]:5.1f}%"
            )
        (out / source.name).unlink()
        with_md5, _, download = asyncio.run(
            production_fetch(server, source, out / source.name, md5=True)
        )
        assert download.sha256 == sha.hexdigest(), "the fetched file's SHA-256 differs"
        assert download.md5 == md5.hexdigest(), "the fetched file's MD5 differs"
    finally:
        process.terminate()
        process.wait(timeout=10)
    best, their_best = min(ours), min(theirs)
    version = subprocess.run(["ssh", "-V"], capture_output=True, text=True, check=False)
    print(f"OpenSSH server and sftp client  {version.stderr.strip()}")
    print(f"cipher: lms-restorer fetch {cipher}, OpenSSH sftp {their_cipher}")
    print(f"floor: OpenSSH sftp (same sshd) {size / their_best:7.1f} MB/s  ({their_best:6.2f} s)")
    print(
        f"fetch from sshd (hashed)       {size / best:7.1f} MB/s  ({best:6.2f} s)"
        f"  = {100 * their_best / best:5.1f}% of OpenSSH sftp"
    )
    print(
        f"  the same, SHA-256 and MD5     {size / with_md5:7.1f} MB/s  ({with_md5:6.2f} s)"
        f"  = {100 * their_best / with_md5:5.1f}% (one round: a server publishing only a .md5)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--part-mb", type=int, default=16, help="S3 multipart part size")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the fetch beside OpenSSH's sftp"
    )
    parser.add_argument(
        "--no-openssh", action="store_true", help="leave out the fetch beside OpenSSH's sftp"
    )
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
        if not args.no_openssh:
            print("fetch from OpenSSH's sshd beside OpenSSH's sftp client (best of each):")
            compare_with_openssh(source, root, args.rounds)
    finally:
        moto.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
