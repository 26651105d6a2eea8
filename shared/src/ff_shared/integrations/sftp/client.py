"""Fetching files over SFTP with asyncssh: the server's host key is pinned (no trust on first
use), downloads resume from a ``.part`` file and are hashed as they arrive (SHA-256, and MD5 when
asked for).

Errors are typed: :class:`SftpUnavailable` (connection refused, dropped, timed out: worth trying
again later) and :class:`SftpRefused` (wrong host key, bad login, missing file: trying again will
not help until someone changes something).
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncssh
import msgspec
import structlog
from asyncssh.sftp import SAFE_SFTP_READ_LEN

from ff_shared.integrations.sftp.transfer import (
    Progress,
    Sink,
    Transfer,
    hashes_of_prefix,
    local_sizes,
    part_path,
    resume,
)

log = structlog.get_logger()

BLOCK_BYTES = 256 * 1024
"""Bytes asked for by each SFTP read (less when the server advertises a smaller limit)."""
MAX_REQUESTS = 64
"""SFTP reads kept in flight."""
WINDOW_BYTES = 16 * 1024 * 1024
"""The SSH channel's receive window: the server may send this much before the client reads it
(asyncssh's default, 2 MiB, holds only eight 256 KiB answers, so the read-ahead stalls on it)."""
PACKET_BYTES = 256 * 1024
"""The largest SSH packet the server may send on the channel (asyncssh's default is 32 KiB): fewer,
larger packets cost the client less per byte."""
# AES-GCM is about twice as fast as the default cipher on these hosts; the rest are fallbacks.
PREFERRED_CIPHERS = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes256-ctr",
)

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
        final_size, have = await asyncio.to_thread(local_sizes, local_path)
        if final_size == remote.size:
            sha, md5_hash = await asyncio.to_thread(hashes_of_prefix, local_path, remote.size, md5)
            return Download(
                path=str(local_path),
                size=remote.size,
                sha256=sha.hexdigest(),
                md5=md5_hash.hexdigest() if md5_hash is not None else None,
                resumed_from=remote.size,
                transferred=0,
            )
        part = part_path(local_path)
        transfer = await resume(part, have, remote, progress, md5)
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

    async def _receive(self, remote: RemoteFile, part: Path, transfer: Transfer) -> None:
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
                sink = Sink(out, transfer)
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
