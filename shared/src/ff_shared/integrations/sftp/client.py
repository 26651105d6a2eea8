"""Fetching files over SFTP with asyncssh: the server's host key is pinned (no trust on first
use), downloads resume from a ``.part`` file and are hashed as they arrive.

Errors are typed: :class:`SftpUnavailable` (connection refused, dropped, timed out: worth trying
again later) and :class:`SftpRefused` (wrong host key, bad login, missing file: trying again will
not help until someone changes something).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import asyncssh
import msgspec
import structlog

log = structlog.get_logger()

CHUNK_BYTES = 8 * 1024 * 1024
BLOCK_BYTES = 256 * 1024
MAX_REQUESTS = 64
HASH_BUFFER = 4 * 1024 * 1024
# AES-GCM is about twice as fast as the default cipher on these hosts; the rest are fallbacks.
PREFERRED_CIPHERS = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes256-ctr",
)

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in total) as a transfer proceeds."""


class SftpConfig(msgspec.Struct, frozen=True, kw_only=True):
    host: str
    port: int
    username: str
    host_key: str
    """The server's public host key in OpenSSH form: the only key accepted."""
    password: str | None = None
    private_key_path: str | None = None
    timeout_seconds: float = 30.0

    def __repr__(self) -> str:
        return f"SftpConfig(host={self.host!r}, port={self.port}, username={self.username!r})"


class SftpError(Exception):
    retryable = False


class SftpUnavailable(SftpError):
    retryable = True


class SftpRefused(SftpError):
    retryable = False


class TruncatedDownload(SftpUnavailable):
    """Fewer bytes arrived than the listing promised; the part kept resumes next time."""


class RemoteFile(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    path: str
    size: int
    modified_at: datetime


class Download(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    size: int
    sha256: str
    md5: str
    resumed_from: int
    transferred: int


def _hashes_of_prefix(path: Path, size: int) -> tuple[hashlib._Hash, hashlib._Hash]:
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        remaining = size
        while remaining > 0:
            block = handle.read(min(HASH_BUFFER, remaining))
            if not block:
                break
            sha.update(block)
            md5.update(block)
            remaining -= len(block)
    return sha, md5


def part_path(local_path: Path) -> Path:
    return local_path.with_name(local_path.name + ".part")


def _absorb(out: BinaryIO, sha: Any, md5: Any, data: bytes) -> None:
    out.write(data)
    sha.update(data)
    md5.update(data)


def _local_sizes(local_path: Path) -> tuple[int, int]:
    """Sizes of the finished file and of its ``.part`` (-1 / 0 when absent)."""
    local_path.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(local_path)
    final = local_path.stat().st_size if local_path.exists() else -1
    return final, part.stat().st_size if part.exists() else 0


class SftpSession:
    """One connection's SFTP channel; made by :func:`open_sftp`."""

    def __init__(self, sftp: asyncssh.SFTPClient, timeout: float) -> None:
        self._sftp = sftp
        self._timeout = timeout

    async def list_files(self, directory: str) -> list[RemoteFile]:
        """Regular files in ``directory`` (``.`` and ``..`` and sub-directories left out)."""
        try:
            entries = await asyncio.wait_for(self._sftp.readdir(directory), self._timeout)
        except asyncssh.SFTPNoSuchFile as exc:
            raise SftpRefused(f"the remote directory {directory} does not exist") from exc
        except (asyncssh.Error, OSError, TimeoutError) as exc:
            raise SftpUnavailable(f"listing {directory} failed: {type(exc).__name__}") from exc
        files: list[RemoteFile] = []
        for entry in entries:
            name = str(entry.filename)
            attrs = entry.attrs
            if name in (".", "..") or attrs.permissions is None:
                continue
            if not stat.S_ISREG(attrs.permissions):
                continue
            files.append(
                RemoteFile(
                    name=name,
                    path=f"{directory.rstrip('/')}/{name}",
                    size=int(attrs.size or 0),
                    modified_at=datetime.fromtimestamp(attrs.mtime or 0, UTC),
                )
            )
        return sorted(files, key=lambda f: f.name)

    async def read_text(self, path: str, *, limit: int = 64 * 1024) -> str | None:
        """A small text file (a published checksum), or None when there is none."""
        try:
            async with self._sftp.open(path, "rb") as handle:
                data: bytes = await asyncio.wait_for(handle.read(limit), self._timeout)
        except asyncssh.SFTPNoSuchFile:
            return None
        except (asyncssh.Error, OSError, TimeoutError) as exc:
            raise SftpUnavailable(f"reading {path} failed: {type(exc).__name__}") from exc
        return data.decode("utf-8", errors="replace")

    async def download(
        self,
        remote: RemoteFile,
        local_path: Path,
        *,
        progress: Progress | None = None,
    ) -> Download:
        """Fetch ``remote`` to ``local_path``, continuing a ``.part`` left by an earlier try.

        The part is renamed to ``local_path`` only once it has exactly ``remote.size`` bytes.
        """
        final_size, have = await asyncio.to_thread(_local_sizes, local_path)
        if final_size == remote.size:
            sha, md5 = await asyncio.to_thread(_hashes_of_prefix, local_path, remote.size)
            return Download(
                path=str(local_path),
                size=remote.size,
                sha256=sha.hexdigest(),
                md5=md5.hexdigest(),
                resumed_from=remote.size,
                transferred=0,
            )
        part = part_path(local_path)
        transfer = await _resume(part, have, remote, progress)
        try:
            await self._receive(remote, part, transfer)
        except asyncssh.SFTPNoSuchFile as exc:
            raise SftpRefused(f"{remote.path} disappeared from the server") from exc
        except (asyncssh.Error, OSError, TimeoutError) as exc:
            raise SftpUnavailable(
                f"the transfer of {remote.name} stopped at {transfer.offset} of {remote.size}"
                f" bytes ({type(exc).__name__}); it resumes from there"
            ) from exc
        if transfer.offset != remote.size:
            raise TruncatedDownload(
                f"the transfer of {remote.name} ended at {transfer.offset} of {remote.size} bytes;"
                " it resumes from there"
            )
        part.replace(local_path)
        return Download(
            path=str(local_path),
            size=transfer.offset,
            sha256=transfer.sha.hexdigest(),
            md5=transfer.md5.hexdigest(),
            resumed_from=transfer.started_at,
            transferred=transfer.offset - transfer.started_at,
        )

    async def _receive(self, remote: RemoteFile, part: Path, transfer: _Transfer) -> None:
        """Append the rest of ``remote`` to ``part``, moving ``transfer`` on chunk by chunk."""
        async with self._sftp.open(
            remote.path, "rb", block_size=BLOCK_BYTES, max_requests=MAX_REQUESTS
        ) as handle:

            def read_at(position: int) -> asyncio.Task[bytes]:
                want = min(CHUNK_BYTES, remote.size - position)
                return asyncio.ensure_future(
                    asyncio.wait_for(handle.read(want, position), self._timeout)
                )

            with part.open("ab") as out:
                # The next chunk is on the wire while this one is written and hashed in a
                # thread (hashlib releases the GIL), so hashing costs no transfer time.
                pending = read_at(transfer.offset) if transfer.offset < remote.size else None
                try:
                    while pending is not None:
                        data = await pending
                        pending = None
                        if not data:
                            break
                        following = transfer.offset + len(data)
                        if following < remote.size:
                            pending = read_at(following)
                        await asyncio.to_thread(_absorb, out, transfer.sha, transfer.md5, data)
                        transfer.advance_to(following)
                finally:
                    if pending is not None:
                        pending.cancel()
                out.flush()
                os.fsync(out.fileno())


class _Transfer:
    """A download under way: where it started, how far it got, the hashes of what it has."""

    def __init__(
        self,
        *,
        size: int,
        started_at: int,
        sha: hashlib._Hash,
        md5: hashlib._Hash,
        progress: Progress | None,
    ) -> None:
        self.size = size
        self.started_at = started_at
        self.offset = started_at
        self.sha = sha
        self.md5 = md5
        self._progress = progress
        self.advance_to(started_at)

    def advance_to(self, offset: int) -> None:
        self.offset = offset
        if self._progress is not None:
            self._progress(offset, self.size)


async def _resume(
    part: Path, have: int, remote: RemoteFile, progress: Progress | None
) -> _Transfer:
    """Where to continue: after the bytes of a ``.part`` (hashed again), or from nothing."""
    if have > remote.size:
        log.warning("sftp_part_discarded", file=remote.name, part_bytes=have, size=remote.size)
        await asyncio.to_thread(part.unlink)
        have = 0
    sha, md5 = (
        await asyncio.to_thread(_hashes_of_prefix, part, have)
        if have
        else (
            hashlib.sha256(),
            hashlib.md5(usedforsecurity=False),
        )
    )
    return _Transfer(size=remote.size, started_at=have, sha=sha, md5=md5, progress=progress)


@asynccontextmanager
async def open_sftp(config: SftpConfig) -> AsyncIterator[SftpSession]:
    """Connect, accepting only the pinned host key; password or key authentication."""
    try:
        pinned = asyncssh.import_public_key(config.host_key)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise SftpRefused("the pinned SFTP host key is not an OpenSSH public key") from exc
    client_keys = [config.private_key_path] if config.private_key_path else None
    try:
        conn = await asyncio.wait_for(
            asyncssh.connect(
                config.host,
                config.port,
                username=config.username,
                password=config.password,
                client_keys=client_keys,
                known_hosts=([pinned], [], []),
                encryption_algs=[*PREFERRED_CIPHERS],
                agent_path=None,
                config=None,
                preferred_auth=("publickey", "password") if client_keys else ("password",),
            ),
            config.timeout_seconds,
        )
    except asyncssh.HostKeyNotVerifiable as exc:
        log.error("sftp_host_key_rejected", host=config.host, port=config.port)
        raise SftpRefused(
            f"the SFTP server at {config.host}:{config.port} did not present the pinned host key"
        ) from exc
    except asyncssh.PermissionDenied as exc:
        raise SftpRefused(f"the SFTP server refused the login of {config.username}") from exc
    except (asyncssh.Error, OSError, TimeoutError) as exc:
        raise SftpUnavailable(
            f"the SFTP server at {config.host}:{config.port} is unreachable: {type(exc).__name__}"
        ) from exc
    try:
        sftp = await conn.start_sftp_client()
        try:
            yield SftpSession(sftp, config.timeout_seconds)
        finally:
            sftp.exit()
    except asyncssh.Error as exc:
        raise SftpUnavailable(f"the SFTP session failed: {type(exc).__name__}") from exc
    finally:
        conn.close()
        await conn.wait_closed()
