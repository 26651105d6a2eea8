"""Fetching files over SFTP with asyncssh: the server's host key is pinned (no trust on first
use), downloads resume from a ``.part`` file and are hashed as they arrive (SHA-256, and MD5 when
asked for).

Errors are typed: :class:`SftpUnavailable` (connection refused, dropped, timed out: worth trying
again later) and :class:`SftpRefused` (wrong host key, bad login, missing file: trying again will
not help until someone changes something).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import asyncssh
import msgspec
import structlog
from asyncssh.sftp import SAFE_SFTP_READ_LEN

log = structlog.get_logger()

BLOCK_BYTES = 256 * 1024
"""Bytes asked for by each SFTP read (less when the server advertises a smaller limit)."""
MAX_REQUESTS = 64
"""SFTP reads kept in flight."""
WRITE_BYTES = 4 * 1024 * 1024
"""Contiguous bytes handed to the writer thread at once, at least (the last run may be less)."""
BUFFERED_BYTES = 64 * 1024 * 1024
"""Received bytes waiting for the writer beyond which the transfer waits for it."""
WINDOW_BYTES = 16 * 1024 * 1024
"""The SSH channel's receive window: the server may send this much before the client reads it
(asyncssh's default, 2 MiB, holds only eight 256 KiB answers, so the read-ahead stalls on it)."""
PACKET_BYTES = 256 * 1024
"""The largest SSH packet the server may send on the channel (asyncssh's default is 32 KiB): fewer,
larger packets cost the client less per byte."""
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
    md5: str | None
    """Only when asked for (``download(..., md5=True)``): a server that publishes a ``.md5``."""
    resumed_from: int
    transferred: int


def _new_hashes(md5: bool) -> tuple[hashlib._Hash, hashlib._Hash | None]:
    return hashlib.sha256(), hashlib.md5(usedforsecurity=False) if md5 else None


def _hashes_of_prefix(
    path: Path, size: int, md5: bool
) -> tuple[hashlib._Hash, hashlib._Hash | None]:
    sha, md5_hash = _new_hashes(md5)
    with path.open("rb") as handle:
        remaining = size
        while remaining > 0:
            block = handle.read(min(HASH_BUFFER, remaining))
            if not block:
                break
            sha.update(block)
            if md5_hash is not None:
                md5_hash.update(block)
            remaining -= len(block)
    return sha, md5_hash


def part_path(local_path: Path) -> Path:
    return local_path.with_name(local_path.name + ".part")


def _absorb(out: BinaryIO, sha: Any, md5: Any | None, blocks: list[bytes]) -> None:
    for data in blocks:
        out.write(data)
        sha.update(data)
        if md5 is not None:
            md5.update(data)


def _local_sizes(local_path: Path) -> tuple[int, int]:
    """Sizes of the finished file and of its ``.part`` (-1 / 0 when absent)."""
    local_path.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(local_path)
    final = local_path.stat().st_size if local_path.exists() else -1
    return final, part.stat().st_size if part.exists() else 0


class SftpSession:
    """One connection's SFTP channel; made by :func:`open_sftp`."""

    def __init__(self, sftp: asyncssh.SFTPClient, timeout: float, *, cipher: str = "") -> None:
        self._sftp = sftp
        self._timeout = timeout
        self.cipher = cipher
        """The cipher the server encrypts with, as negotiated (e.g. ``aes128-gcm@openssh.com``)."""

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
        md5: bool = False,
    ) -> Download:
        """Fetch ``remote`` to ``local_path``, continuing a ``.part`` left by an earlier try.

        The part is renamed to ``local_path`` only once it has exactly ``remote.size`` bytes.
        The bytes are hashed with SHA-256 as they arrive, and with MD5 too when ``md5`` is set
        (MD5 costs more than SHA-256 on these hosts, so only when a ``.md5`` is to be checked).
        """
        final_size, have = await asyncio.to_thread(_local_sizes, local_path)
        if final_size == remote.size:
            sha, md5_hash = await asyncio.to_thread(_hashes_of_prefix, local_path, remote.size, md5)
            return Download(
                path=str(local_path),
                size=remote.size,
                sha256=sha.hexdigest(),
                md5=md5_hash.hexdigest() if md5_hash is not None else None,
                resumed_from=remote.size,
                transferred=0,
            )
        part = part_path(local_path)
        transfer = await _resume(part, have, remote, progress, md5)
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
            md5=transfer.md5.hexdigest() if transfer.md5 is not None else None,
            resumed_from=transfer.started_at,
            transferred=transfer.offset - transfer.started_at,
        )

    def _block_bytes(self) -> int:
        """Bytes asked for in each read: ``BLOCK_BYTES``, or less when the server advertises a
        smaller limit (OpenSSH: 255 KiB), so that no read comes back short and needs a second
        request for its tail. A server advertising nothing leaves asyncssh's conservative default
        in place; such a server still gets ``BLOCK_BYTES`` and asyncssh asks again for any tail."""
        limit = int(self._sftp.limits.max_read_len)
        if limit == SAFE_SFTP_READ_LEN or limit <= 0:
            return BLOCK_BYTES
        return min(BLOCK_BYTES, limit)

    async def _receive(self, remote: RemoteFile, part: Path, transfer: _Transfer) -> None:
        """Append the rest of ``remote`` to ``part``, moving ``transfer`` on as it is written.

        ``MAX_REQUESTS`` reads of one block each are kept in flight over the whole rest of the
        file (the pipe never drains between chunks), and their answers are taken in file order.
        The bytes go to a thread that appends and hashes them (file writes and hashlib release the
        GIL) while the next blocks arrive. When the transfer fails, whatever arrived in order
        before the failure is still written, so the next try resumes after it.
        """
        block = self._block_bytes()
        loop = asyncio.get_running_loop()
        # block_size=0: each read is one SFTP request; the read-ahead is kept here, in order.
        async with self._sftp.open(remote.path, "rb", block_size=0) as handle:
            asked = transfer.offset
            in_flight: deque[tuple[int, int, asyncio.Task[bytes]]] = deque()

            def ask(offset: int, length: int) -> tuple[int, int, asyncio.Task[bytes]]:
                return offset, length, asyncio.ensure_future(handle.read(length, offset))

            with part.open("ab") as out:
                sink = _Sink(out, transfer)
                try:
                    # No progress for ``timeout`` seconds fails the transfer.
                    async with asyncio.timeout(self._timeout) as deadline:
                        while True:
                            while len(in_flight) < MAX_REQUESTS and asked < remote.size:
                                length = min(block, remote.size - asked)
                                in_flight.append(ask(asked, length))
                                asked += length
                            if not in_flight:
                                break
                            offset, length, reading = in_flight.popleft()
                            data: bytes = await reading
                            if not data:
                                break  # end of file before the listed size: reported as truncated
                            if len(data) < length:
                                # A short answer: its tail is asked for next, ahead of the rest.
                                in_flight.appendleft(ask(offset + len(data), length - len(data)))
                            sink.add(data)
                            await sink.pump()
                            deadline.reschedule(loop.time() + self._timeout)
                finally:
                    for _, _, reading in in_flight:
                        reading.cancel()
                    await asyncio.gather(*(r for _, _, r in in_flight), return_exceptions=True)
                    await sink.drain()
                out.flush()
                os.fsync(out.fileno())


class _Sink:
    """Hands the bytes received, in order, to one thread that appends and hashes them.

    Bytes are not copied here: a run is a list of the blocks as received, written and hashed
    block by block in the thread. At most one write is under way; the received bytes not yet
    written are bounded by ``BUFFERED_BYTES`` (the transfer waits for the writer beyond it)."""

    def __init__(self, out: BinaryIO, transfer: _Transfer) -> None:
        self._out = out
        self._transfer = transfer
        self._end = transfer.offset
        """Where the bytes received so far end."""
        self._run: list[bytes] = []
        self._run_bytes = 0
        self._writing: asyncio.Future[None] | None = None
        self._writing_to = transfer.offset

    def add(self, data: bytes) -> None:
        self._run.append(data)
        self._run_bytes += len(data)
        self._end += len(data)

    async def pump(self) -> None:
        """Start the next write when the last is done; wait for it when too much is held."""
        if self._writing is not None:
            if not self._writing.done() and (self._end - self._transfer.offset < BUFFERED_BYTES):
                return
            await self._finish_write()
        if self._run_bytes >= WRITE_BYTES:
            self._start_write()

    async def drain(self) -> None:
        """Write everything received (on success or failure alike)."""
        await self._finish_write()  # a failed write raises here: nothing is written after it
        if self._run:
            self._start_write()
            await self._finish_write()

    def _start_write(self) -> None:
        run, self._run, self._run_bytes = self._run, [], 0
        transfer = self._transfer
        self._writing_to = self._end
        self._writing = asyncio.ensure_future(
            asyncio.to_thread(_absorb, self._out, transfer.sha, transfer.md5, run)
        )

    async def _finish_write(self) -> None:
        writing, self._writing = self._writing, None
        if writing is None:
            return
        await writing
        self._transfer.advance_to(self._writing_to)


class _Transfer:
    """A download under way: where it started, how far it got, the hashes of what it has."""

    def __init__(
        self,
        *,
        size: int,
        started_at: int,
        sha: hashlib._Hash,
        md5: hashlib._Hash | None,
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
    part: Path, have: int, remote: RemoteFile, progress: Progress | None, md5: bool
) -> _Transfer:
    """Where to continue: after the bytes of a ``.part`` (hashed again), or from nothing."""
    if have > remote.size:
        log.warning("sftp_part_discarded", file=remote.name, part_bytes=have, size=remote.size)
        await asyncio.to_thread(part.unlink)
        have = 0
    sha, md5_hash = (
        await asyncio.to_thread(_hashes_of_prefix, part, have, md5) if have else _new_hashes(md5)
    )
    return _Transfer(size=remote.size, started_at=have, sha=sha, md5=md5_hash, progress=progress)


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
                window=WINDOW_BYTES,
                max_pktsize=PACKET_BYTES,
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
            yield SftpSession(
                sftp, config.timeout_seconds, cipher=str(conn.get_extra_info("recv_cipher", ""))
            )
        finally:
            sftp.exit()
    except asyncssh.Error as exc:
        raise SftpUnavailable(f"the SFTP session failed: {type(exc).__name__}") from exc
    finally:
        conn.close()
        await conn.wait_closed()
