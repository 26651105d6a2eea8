"""Backup files by name: which files are backups, when they were taken, their published checksums,
where they are archived, and which archived backups have expired."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import msgspec

# Backup files and names

_BACKUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.sqb$", re.IGNORECASE)
_DATE_IN_NAME = re.compile(
    r"(?<!\d)(20\d{2})[-_]?(\d{2})[-_]?(\d{2})(?:[-_T]?(\d{2})(\d{2})(\d{2}))?"
)


def is_backup_name(name: str) -> bool:
    return _BACKUP_NAME.match(name) is not None


def backup_taken_at(name: str, modified_at: datetime) -> datetime:
    """When the backup was taken: the date (and time) in its name where it carries one, else the
    server's modification time. Anchor names files like ``FULL_AnchorLMS_20261127_013000.sqb``."""
    match = _DATE_IN_NAME.search(name)
    if match:
        year, month, day, hh, mm, ss = match.groups()
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hh or 0),
                int(mm or 0),
                int(ss or 0),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    return modified_at.astimezone(UTC)


def archive_key(kind: str, taken_at: datetime, file_name: str) -> str:
    """``originals/2026/11/27/FULL_x.sqb``: dated, so a listing by day finds a night's files."""
    day = taken_at.astimezone(UTC)
    return f"{kind}/{day:%Y/%m/%d}/{file_name}"


def converted_prefix(taken_at: datetime, stem: str) -> str:
    """The key prefix of one backup's converted set; every file of the set, and only they,
    start with it (RDS restores a multi-file set from ``arn:aws:s3:::bucket/<prefix>*``)."""
    return archive_key("converted", taken_at, f"{stem}/{stem}")


def restore_database_name(prefix: str, taken_at: datetime, *, attempt: int = 1) -> str:
    """A new, dated database for each restore (RDS refuses to restore over an existing one)."""
    base = f"{prefix}_{taken_at.astimezone(UTC):%Y%m%d_%H%M%S}"
    return base if attempt <= 1 else f"{base}_r{attempt}"


_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,115}$")


def is_plain_database_name(name: str) -> bool:
    return _PLAIN_NAME.match(name) is not None


class PublishedChecksum(msgspec.Struct, frozen=True, kw_only=True):
    algorithm: str
    hexdigest: str


_HEX = {"sha256": 64, "md5": 32}


def parse_checksum_file(text: str, file_name: str, algorithm: str) -> PublishedChecksum:
    """``sha256sum``/``md5sum`` output (``<hex>  <name>``) or a bare digest.

    Raises ValueError when no line names ``file_name`` or the digest is malformed.
    """
    want = _HEX[algorithm]
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        digest, _, rest = line.partition(" ")
        named = rest.strip().lstrip("*")
        if named and named.rsplit("/", 1)[-1] != file_name:
            continue
        digest = digest.lower()
        if len(digest) != want or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"the {algorithm} checksum file holds a malformed digest")
        return PublishedChecksum(algorithm=algorithm, hexdigest=digest)
    raise ValueError(f"the {algorithm} checksum file does not name {file_name}")


# SQL Server native backups (Microsoft Tape Format)


# Retention


class ArchivedBackup(msgspec.Struct, frozen=True, kw_only=True):
    backup_id: str
    taken_at: datetime


def select_expired(
    backups: Sequence[ArchivedBackup],
    *,
    now: datetime,
    retention_days: int,
    keep_newest: int,
    protected: Iterable[str] = (),
) -> list[str]:
    """The backups whose archived files may be deleted: older than ``retention_days`` and not
    among the newest ``keep_newest`` nor ``protected`` (the loan book in service and the one
    kept for rollback). Oldest first."""
    keep = set(protected)
    newest_first = sorted(backups, key=lambda b: (b.taken_at, b.backup_id), reverse=True)
    keep.update(b.backup_id for b in newest_first[: max(keep_newest, 0)])
    cutoff = now - timedelta(days=retention_days)
    expired = [b for b in newest_first if b.backup_id not in keep and b.taken_at < cutoff]
    return [b.backup_id for b in reversed(expired)]
