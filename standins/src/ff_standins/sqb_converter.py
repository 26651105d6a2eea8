"""A stand-in for Redgate's converter, for the tests and the local stack (never production).

``python -m ff_standins.sqb_converter IN.sqb OUT.bak [PASSWORD | FILE:path]``
takes the same arguments as ``sqb2mtf.exe``/``SQBConverter.exe`` and, like them, writes one
native backup per thread the backup was taken with (``OUT.bak``, or ``OUT_01.bak``,
``OUT_02.bak``, ...), each a Microsoft Tape Format file: ``TAPE`` first, an ``MSCI`` block with the
database version at +0xAC, the data, and a closing ``SFMB`` block. It exits non-zero, with a
message, on a file that is not one of its test backups, a wrong password, or a damaged payload.

The test ``.sqb`` it reads (made by :func:`make_test_sqb`) is this project's own format, not
Redgate's: ``FFSQB1``, a 4-byte length, a JSON header, then the payload.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

MAGIC = b"FFSQB1"
BLOCK = 512
MSCI_OFFSET = 1024
VERSION_OFFSET = 0xAC
_CHUNK = 4 * 1024 * 1024


class ConversionError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _keystream(password: str, length: int, start: int = 0) -> bytes:
    """A toy cipher: enough that a wrong password yields garbage the checksum catches."""
    seed = hashlib.sha256(password.encode()).digest()
    out = bytearray()
    counter = start // 32
    skip = start % 32
    while len(out) < length + skip:
        out += hashlib.sha256(seed + counter.to_bytes(8, "little")).digest()
        counter += 1
    return bytes(out[skip : skip + length])


def _xor(data: bytes, key: bytes) -> bytes:
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(
        len(data), "little"
    )


def _pieces(seed: int, payload_bytes: int) -> Iterator[bytes]:
    block = hashlib.sha256(str(seed).encode()).digest() * 2048
    written = 0
    while written < payload_bytes:
        piece = written.to_bytes(8, "little") + block
        piece = piece[: min(len(piece), payload_bytes - written)]
        yield piece
        written += len(piece)


def make_test_sqb(
    path: Path,
    *,
    database: str = "AnchorLMS",
    version: int = 904,
    threads: int = 1,
    payload_bytes: int = 256 * 1024,
    password: str | None = None,
    compress: bool = True,
    seed: int = 1,
) -> Path:
    """Write a test backup of about ``payload_bytes`` (streamed when not compressed, so it may
    be large: the bench makes a 500 MB one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for piece in _pieces(seed, payload_bytes):
        digest.update(piece)
    header = {
        "database": database,
        "version": version,
        "threads": threads,
        "codec": "zlib" if compress else "none",
        "encrypted": password is not None,
        "password_sha256": hashlib.sha256(password.encode()).hexdigest() if password else None,
        "payload_bytes": payload_bytes,
        "payload_sha256": digest.hexdigest(),
    }
    encoded = json.dumps(header).encode()
    with path.open("wb") as out:
        out.write(MAGIC + len(encoded).to_bytes(4, "little") + encoded)
        if compress:
            body = zlib.compress(b"".join(_pieces(seed, payload_bytes)), 1)
            if password:
                body = _xor(body, _keystream(password, len(body)))
            out.write(body)
            return path
        offset = 0
        for piece in _pieces(seed, payload_bytes):
            out.write(_xor(piece, _keystream(password, len(piece), offset)) if password else piece)
            offset += len(piece)
    return path


def _read_password(argument: str | None) -> str | None:
    if argument is None:
        return None
    if argument.startswith("FILE:"):
        return Path(argument[5:]).read_text().rstrip("\r\n")
    return argument


def _mtf(payload: bytes, *, version: int, database: str) -> bytes:
    head = bytearray(BLOCK * 3)
    head[0:4] = b"TAPE"
    head[4:32] = b"\x00" * 28
    head[MSCI_OFFSET : MSCI_OFFSET + 4] = b"MSCI"
    head[MSCI_OFFSET + VERSION_OFFSET : MSCI_OFFSET + VERSION_OFFSET + 2] = version.to_bytes(
        2, "little"
    )
    name = database.encode("utf-16-le")[:128]
    head[MSCI_OFFSET + 0x20 : MSCI_OFFSET + 0x20 + len(name)] = name
    padding = (-len(payload)) % BLOCK
    tail = bytearray(BLOCK)
    tail[0:4] = b"SFMB"
    return bytes(head) + payload + b"\x00" * padding + bytes(tail)


def convert(source: Path, target: Path, password: str | None) -> list[Path]:
    data = source.read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise ConversionError(f"{source.name} is not a SQL Backup file", 3)
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little")
    start = len(MAGIC) + 4
    try:
        header = json.loads(data[start : start + size])
    except ValueError as exc:
        raise ConversionError(f"{source.name} has a damaged header", 3) from exc
    body = data[start + size :]
    if header["encrypted"]:
        if not password:
            raise ConversionError("the backup is encrypted: a password is required", 4)
        if hashlib.sha256(password.encode()).hexdigest() != header["password_sha256"]:
            raise ConversionError("the password is not this backup's", 4)
        body = _xor(body, _keystream(password, len(body)))
    try:
        payload = zlib.decompress(body) if header["codec"] == "zlib" else body
    except zlib.error as exc:
        raise ConversionError(f"{source.name} is damaged: {exc}", 5) from exc
    if hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
        raise ConversionError(f"{source.name} is damaged: its payload checksum differs", 5)
    threads = max(1, int(header["threads"]))
    stripe = -(-len(payload) // threads)
    targets = (
        [target]
        if threads == 1
        else [
            target.with_name(f"{target.stem}_{n:02d}{target.suffix}") for n in range(1, threads + 1)
        ]
    )
    for number, path in enumerate(targets):
        part = payload[number * stripe : (number + 1) * stripe]
        path.write_bytes(_mtf(part, version=int(header["version"]), database=header["database"]))
    return targets


def main(argv: list[str]) -> int:
    if os.environ.get("FF_ENVIRONMENT") == "production":
        print("the test converter refuses to run in production", file=sys.stderr)
        return 2
    args = list(argv)
    delay = 0.0
    if len(args) >= 2 and args[0] == "--sleep":
        delay = float(args[1])
        args = args[2:]
    if len(args) not in (2, 3):
        print(
            "usage: sqb_converter [--sleep S] IN.sqb OUT.bak [PASSWORD|FILE:path]", file=sys.stderr
        )
        return 2
    if delay:
        time.sleep(delay)
    try:
        password = _read_password(args[2] if len(args) == 3 else None)
        written = convert(Path(args[0]), Path(args[1]), password)
    except ConversionError as exc:
        print(f"conversion failed: {exc}", file=sys.stderr)
        return exc.status
    except OSError as exc:
        print(f"conversion failed: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 3
    for path in written:
        print(f"wrote {path.name} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
