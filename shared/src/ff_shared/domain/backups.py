"""The nightly loan-book backup, as rules: steps and their states, SQL Server backup headers,
RDS restore task lifecycles, verification outcomes and archive retention. No I/O.

A backup moves through :data:`STEPS` in order. Each step's state is kept per backup, so a run that
dies part-way leaves a record a later run continues from, and an operator can re-run one step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import msgspec


class Step(StrEnum):
    FETCH = "fetch"
    ARCHIVE_ORIGINAL = "archive_original"
    CONVERT = "convert"
    ARCHIVE_CONVERTED = "archive_converted"
    RESTORE = "restore"
    VERIFY = "verify"
    SWITCH = "switch"


STEPS: tuple[Step, ...] = tuple(Step)
"""The steps in the order a backup goes through them."""

RESTORE_STEPS: tuple[Step, ...] = (Step.RESTORE, Step.VERIFY, Step.SWITCH)
"""Steps that put a backup into service; only the newest backup of a run takes them."""


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_CONFIGURED = "not_configured"
    SKIPPED = "skipped"


_TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.PENDING: frozenset({StepStatus.RUNNING, StepStatus.SKIPPED}),
    # RUNNING -> RUNNING: a later run takes over a step whose run was killed.
    StepStatus.RUNNING: frozenset(
        {
            StepStatus.RUNNING,
            StepStatus.SUCCEEDED,
            StepStatus.FAILED,
            StepStatus.NOT_CONFIGURED,
            StepStatus.PENDING,
        }
    ),
    StepStatus.FAILED: frozenset({StepStatus.RUNNING, StepStatus.PENDING, StepStatus.SKIPPED}),
    StepStatus.NOT_CONFIGURED: frozenset(
        {StepStatus.RUNNING, StepStatus.PENDING, StepStatus.SKIPPED}
    ),
    StepStatus.SKIPPED: frozenset({StepStatus.PENDING}),
    # Only an operator's "restore this backup again" sends a finished step back to pending.
    StepStatus.SUCCEEDED: frozenset({StepStatus.PENDING}),
}


class IllegalStepTransition(ValueError):
    pass


def check_transition(step: Step, current: StepStatus, to: StepStatus) -> None:
    if to not in _TRANSITIONS[current]:
        raise IllegalStepTransition(f"step {step} cannot go from {current} to {to}")


class StepState(msgspec.Struct, frozen=True, kw_only=True):
    step: Step
    status: StepStatus = StepStatus.PENDING
    attempts: int = 0


class NextStep(msgspec.Struct, frozen=True, kw_only=True):
    """What a run does next with a backup: run ``step``, or stop (``step`` is None) and why."""

    step: Step | None
    reason: str


def next_step(
    states: Mapping[Step, StepState],
    *,
    max_attempts: int,
    operator: bool = False,
    include_restore: bool = True,
) -> NextStep:
    """The first step not yet done, unless an earlier one blocks the way.

    A failed step is retried by automatic runs until it has had ``max_attempts`` tries; after
    that only an operator (``operator=True``) may run it again. A step reported
    ``not_configured`` is tried again on every run (the host may have been configured since),
    but nothing after it runs until it succeeds.
    """
    for step in STEPS:
        if not include_restore and step in RESTORE_STEPS:
            return NextStep(step=None, reason="archived; a newer backup is restored instead")
        state = states.get(step, StepState(step=step))
        if state.status == StepStatus.SUCCEEDED:
            continue
        if state.status == StepStatus.SKIPPED:
            return NextStep(step=None, reason=f"{step} skipped")
        if state.status == StepStatus.FAILED and not operator and state.attempts >= max_attempts:
            return NextStep(
                step=None,
                reason=f"{step} failed {state.attempts} times; an operator must re-run it",
            )
        return NextStep(step=step, reason=f"{step} is {state.status}")
    return NextStep(step=None, reason="every step succeeded")


def steps_from(step: Step) -> tuple[Step, ...]:
    """``step`` and every step after it (what a re-run of ``step`` resets)."""
    return STEPS[STEPS.index(step) :]


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INCOMPLETE = "incomplete"
    """Nothing failed, but a step is not configured on this host (no converter, no SQL Server)."""
    NOTHING_TO_DO = "nothing_to_do"
    BUSY = "busy"
    """Another run held the lock."""


class RunMode(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    RERUN_STEP = "rerun_step"
    RESTORE_BACKUP = "restore_backup"


def run_outcome(step_results: Iterable[StepStatus]) -> RunStatus:
    results = list(step_results)
    if not results:
        return RunStatus.NOTHING_TO_DO
    if StepStatus.FAILED in results:
        return RunStatus.FAILED
    if StepStatus.NOT_CONFIGURED in results:
        return RunStatus.INCOMPLETE
    return RunStatus.SUCCEEDED


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


class RdsLifecycle(StrEnum):
    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCELLED = "CANCELLED"


class RdsOutcome(StrEnum):
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


_RDS_OUTCOMES = {
    RdsLifecycle.CREATED: RdsOutcome.WAITING,
    RdsLifecycle.IN_PROGRESS: RdsOutcome.WAITING,
    RdsLifecycle.CANCEL_REQUESTED: RdsOutcome.WAITING,
    RdsLifecycle.SUCCESS: RdsOutcome.SUCCEEDED,
    RdsLifecycle.ERROR: RdsOutcome.FAILED,
    RdsLifecycle.CANCELLED: RdsOutcome.CANCELLED,
}

_RDS_NEXT: dict[RdsLifecycle, frozenset[RdsLifecycle]] = {
    RdsLifecycle.CREATED: frozenset(
        {
            RdsLifecycle.CREATED,
            RdsLifecycle.IN_PROGRESS,
            RdsLifecycle.SUCCESS,
            RdsLifecycle.ERROR,
            RdsLifecycle.CANCEL_REQUESTED,
            RdsLifecycle.CANCELLED,
        }
    ),
    RdsLifecycle.IN_PROGRESS: frozenset(
        {
            RdsLifecycle.IN_PROGRESS,
            RdsLifecycle.SUCCESS,
            RdsLifecycle.ERROR,
            RdsLifecycle.CANCEL_REQUESTED,
            RdsLifecycle.CANCELLED,
        }
    ),
    RdsLifecycle.CANCEL_REQUESTED: frozenset(
        {RdsLifecycle.CANCEL_REQUESTED, RdsLifecycle.CANCELLED, RdsLifecycle.ERROR}
    ),
    RdsLifecycle.SUCCESS: frozenset({RdsLifecycle.SUCCESS}),
    RdsLifecycle.ERROR: frozenset({RdsLifecycle.ERROR}),
    RdsLifecycle.CANCELLED: frozenset({RdsLifecycle.CANCELLED}),
}


class UnexpectedRdsState(ValueError):
    pass


def rds_outcome(previous: RdsLifecycle | None, current: str) -> tuple[RdsLifecycle, RdsOutcome]:
    """Read one ``rds_task_status`` lifecycle value, checking it follows from the previous one."""
    try:
        lifecycle = RdsLifecycle(current.strip().upper())
    except ValueError as exc:
        raise UnexpectedRdsState(f"unknown RDS task lifecycle {current!r}") from exc
    if previous is not None and lifecycle not in _RDS_NEXT[previous]:
        raise UnexpectedRdsState(f"RDS task went from {previous} to {lifecycle}")
    return lifecycle, _RDS_OUTCOMES[lifecycle]


def rds_s3_arn(bucket: str, keys: Sequence[str], prefix: str) -> str:
    """One file: its ARN; a striped set: the set's prefix and ``*``."""
    if len(keys) == 1:
        return f"arn:aws:s3:::{bucket}/{keys[0]}"
    if not all(k.startswith(prefix) for k in keys):
        raise ValueError("every file of a striped set must share the prefix")
    return f"arn:aws:s3:::{bucket}/{prefix}*"


RDS_MAX_FILES = 10


# Verification


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    outcome: CheckOutcome
    detail: str


def verified(results: Iterable[CheckResult]) -> bool:
    items = list(results)
    return bool(items) and all(r.outcome != CheckOutcome.FAILED for r in items)


def check_required_tables(required: Sequence[str], present: Iterable[str]) -> CheckResult:
    have = {t.lower() for t in present}
    missing = [t for t in required if t.lower() not in have]
    if missing:
        return CheckResult(
            name="required_tables",
            outcome=CheckOutcome.FAILED,
            detail=f"missing: {', '.join(missing)}",
        )
    return CheckResult(
        name="required_tables",
        outcome=CheckOutcome.PASSED,
        detail=f"all {len(required)} present",
    )


def check_row_counts(
    previous: Mapping[str, int] | None, current: Mapping[str, int], tolerance_percent: float
) -> CheckResult:
    """Each table's count within ``tolerance_percent`` of the previous restore's; a table empty
    now that had rows before always fails. The first restore has nothing to compare with."""
    if not previous:
        return CheckResult(
            name="row_counts",
            outcome=CheckOutcome.NOT_APPLICABLE,
            detail="no previous restore to compare with",
        )
    problems: list[str] = []
    for table, now in sorted(current.items()):
        before = previous.get(table)
        if before is None:
            continue
        if before == 0:
            continue
        change = abs(now - before) * 100.0 / before
        if now == 0 or change > tolerance_percent:
            problems.append(f"{table} {before} -> {now} ({change:.1f}%)")
    if problems:
        return CheckResult(
            name="row_counts",
            outcome=CheckOutcome.FAILED,
            detail=f"beyond {tolerance_percent:g}%: " + "; ".join(problems),
        )
    return CheckResult(
        name="row_counts",
        outcome=CheckOutcome.PASSED,
        detail=f"within {tolerance_percent:g}% of the previous restore",
    )


def check_freshness(newest: date | None, today: date, max_age_days: int) -> CheckResult:
    if newest is None:
        return CheckResult(
            name="newest_transaction", outcome=CheckOutcome.FAILED, detail="no transactions"
        )
    age = (today - newest).days
    if age > max_age_days:
        return CheckResult(
            name="newest_transaction",
            outcome=CheckOutcome.FAILED,
            detail=f"newest is {newest.isoformat()}, {age} days old (limit {max_age_days})",
        )
    return CheckResult(
        name="newest_transaction",
        outcome=CheckOutcome.PASSED,
        detail=f"newest is {newest.isoformat()} ({age} days old)",
    )


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
