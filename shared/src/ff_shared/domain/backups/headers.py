"""SQL Server native backups (Microsoft Tape Format): reading the header, and whether the target
server can restore it."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

MTF_MAGIC = b"TAPE"
MSCI_MAGIC = b"MSCI"
SFMB_MAGIC = b"SFMB"
MSCI_VERSION_OFFSET = 0xAC
BLOCK = 512
HEADER_SCAN_BYTES = 64 * 1024
"""How much of the start of a file the worker reads to find the ``MSCI`` block."""
TAIL_SCAN_BYTES = 4 * 1024
"""How much of the end of a file the worker reads to find the closing ``SFMB`` block."""

SQL_SERVER_VERSIONS: dict[int, str] = {
    539: "SQL Server 2000",
    611: "SQL Server 2005",
    612: "SQL Server 2005",
    655: "SQL Server 2008",
    660: "SQL Server 2008 R2",
    661: "SQL Server 2008 R2",
    706: "SQL Server 2012",
    782: "SQL Server 2014",
    852: "SQL Server 2016",
    869: "SQL Server 2017",
    904: "SQL Server 2019",
    957: "SQL Server 2022",
}
"""A database's internal version, as written in its backup, and the release that writes it."""


def product_of(version: int) -> str:
    known = SQL_SERVER_VERSIONS.get(version)
    if known is not None:
        return known
    older = [v for v in SQL_SERVER_VERSIONS if v < version]
    if older:
        return f"newer than {SQL_SERVER_VERSIONS[max(older)]} (version {version})"
    return f"older than SQL Server 2000 (version {version})"


class NotABackup(ValueError):
    """The file is not a SQL Server native backup (or is cut short)."""


class BackupTooNew(ValueError):
    """The backup's database version is newer than the restore target understands."""


class BackupHeader(msgspec.Struct, frozen=True, kw_only=True):
    database_version: int
    product: str
    msci_offset: int


def parse_backup_header(head: bytes, tail: bytes, size: int) -> BackupHeader:
    """Check ``head`` (the first bytes of a file) and ``tail`` (its last bytes) are those of a
    Microsoft Tape Format backup: ``TAPE`` at 0, an ``MSCI`` block at a 512-byte boundary whose
    little-endian uint16 at +0xAC is the database version, and an ``SFMB`` block at the end.
    ``size`` is the file's size: a backup is a whole number of 512-byte blocks."""
    if head[:4] != MTF_MAGIC:
        raise NotABackup(f"does not start with {MTF_MAGIC.decode()} (starts {head[:4]!r})")
    msci = -1
    for offset in range(BLOCK, len(head) - 4, BLOCK):
        if head[offset : offset + 4] == MSCI_MAGIC:
            msci = offset
            break
    if msci < 0:
        raise NotABackup("no MSCI block in the header")
    start = msci + MSCI_VERSION_OFFSET
    if len(head) < start + 2:
        raise NotABackup("the MSCI block is cut short")
    version = int.from_bytes(head[start : start + 2], "little")
    if version == 0:
        raise NotABackup("the MSCI block holds no database version")
    if size % BLOCK != 0:
        raise NotABackup(f"{size} bytes is not a whole number of {BLOCK}-byte blocks: truncated")
    first = (-(size - len(tail))) % BLOCK
    tail_blocks = [tail[i : i + 4] for i in range(first, len(tail) - 3, BLOCK)]
    if SFMB_MAGIC not in tail_blocks:
        raise NotABackup("no closing SFMB block: the file is truncated")
    return BackupHeader(database_version=version, product=product_of(version), msci_offset=msci)


def check_restorable(header: BackupHeader, target_version: int) -> None:
    if header.database_version > target_version:
        raise BackupTooNew(
            f"the backup is from {header.product} (version {header.database_version}); the target"
            f" is {product_of(target_version)} (version {target_version}) and cannot restore it"
        )


def check_same_version(headers: Sequence[BackupHeader]) -> int:
    versions = {h.database_version for h in headers}
    if len(versions) != 1:
        raise NotABackup(
            f"the files of one striped set disagree on the version: {sorted(versions)}"
        )
    return versions.pop()


# Amazon RDS native restore
