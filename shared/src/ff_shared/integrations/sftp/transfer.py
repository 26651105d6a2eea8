"""A download's bytes on their way to disk: written and hashed in a thread, in order, with what
is held in memory bounded; resumed from a ``.part`` file (hashed again) after an interruption."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import structlog

if TYPE_CHECKING:
    from ff_shared.integrations.sftp.client import RemoteFile

log = structlog.get_logger()

Progress = Callable[[int, int], None]
WRITE_BYTES = 4 * 1024 * 1024
"""Contiguous bytes handed to the writer thread at once, at least (the last run may be less)."""
BUFFERED_BYTES = 64 * 1024 * 1024
"""Received bytes waiting for the writer beyond which the transfer waits for it."""
HASH_BUFFER = 4 * 1024 * 1024


def _new_hashes(md5: bool) -> tuple[hashlib._Hash, hashlib._Hash | None]:
    return hashlib.sha256(), hashlib.md5(usedforsecurity=False) if md5 else None


def hashes_of_prefix(
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


def local_sizes(local_path: Path) -> tuple[int, int]:
    """Sizes of the finished file and of its ``.part`` (-1 / 0 when absent)."""
    local_path.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(local_path)
    final = local_path.stat().st_size if local_path.exists() else -1
    return final, part.stat().st_size if part.exists() else 0


class Sink:
    """Hands the bytes received, in order, to one thread that appends and hashes them.

    Bytes are not copied here: a run is a list of the blocks as received, written and hashed
    block by block in the thread. At most one write is under way; the received bytes not yet
    written are bounded by ``BUFFERED_BYTES`` (the transfer waits for the writer beyond it)."""

    def __init__(self, out: BinaryIO, transfer: Transfer) -> None:
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


class Transfer:
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


async def resume(
    part: Path, have: int, remote: RemoteFile, progress: Progress | None, md5: bool
) -> Transfer:
    """Where to continue: after the bytes of a ``.part`` (hashed again), or from nothing."""
    if have > remote.size:
        log.warning("sftp_part_discarded", file=remote.name, part_bytes=have, size=remote.size)
        await asyncio.to_thread(part.unlink)
        have = 0
    sha, md5_hash = (
        await asyncio.to_thread(hashes_of_prefix, part, have, md5) if have else _new_hashes(md5)
    )
    return Transfer(size=remote.size, started_at=have, sha=sha, md5=md5_hash, progress=progress)
