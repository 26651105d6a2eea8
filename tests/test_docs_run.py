"""Every shell example of the README and ``docs/`` runs as written against a real local stack
(``ff dev``, started once here on its fixed ports), and does what the page says
(:mod:`tests.docs.runner`; the conventions are in docs/testing.md)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.runner import ROOT, Session, not_run_problems, pages, run_page

DEV_LOCK = Path(os.environ.get("FF_DEV_LOCK", "/tmp/ff-dev.lock"))
"""The machine-wide lock of the stack's fixed ports (API 8000, moto 8100, simulators, Mongo)."""
API = "http://127.0.0.1:8000"
STACK_ENV: dict[str, str] = {}
"""FF_ variables the stack under test runs with beyond its local defaults."""
START_SECONDS = 240

# The first page waits for the machine-wide lock and the stack's start; the payments walkthrough
# waits on the provider's webhooks.
pytestmark = pytest.mark.timeout(1200)


def _held_by_ancestor(path: Path) -> bool:
    """True when a process above this one (``flock LOCK pytest ...``) holds ``path``'s lock."""
    inode = path.stat().st_ino
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if len(parts) > 5 and parts[1] == "FLOCK" and parts[5].endswith(f":{inode}"):
            holders.add(int(parts[4]))
    pid = os.getppid()
    while pid > 1:
        if pid in holders:
            return True
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


@contextlib.contextmanager
def _dev_lock() -> Iterator[None]:
    DEV_LOCK.touch(exist_ok=True)
    if _held_by_ancestor(DEV_LOCK):
        yield
        return
    with DEV_LOCK.open() as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ready(proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ff dev exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        if "ready; Ctrl-C stops the stack" in log.read_text():
            with urllib.request.urlopen(f"{API}/health/ready", timeout=5) as answer:
                assert answer.status == 200
            return
        time.sleep(1)
    pytest.fail(f"ff dev was not ready in {START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    log = tmp_path_factory.mktemp("docs-stack") / "ff-dev.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FF_")}
    ff = str(Path(sys.executable).parent / "ff")
    with _dev_lock(), log.open("wb") as out:
        proc = subprocess.Popen(
            [ff, "dev", "--no-portals"],
            cwd=ROOT,
            env={**env, **STACK_ENV},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _ready(proc, log)
            yield
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def reader(local_stack: None) -> Iterator[Session]:
    """One shell session for every page, as for a reader following the README."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FF_")}
    session = Session()
    session.env = {**env, "FF_DOCS_TMP": str(session.tmp)}
    yield session
    session.clean()


def test_the_blocks_not_run_exist_and_say_why() -> None:
    assert not not_run_problems()


@pytest.mark.parametrize("page", pages())
def test_page_runs_as_written(reader: Session, page: str) -> None:
    problems = run_page(reader, page)
    assert not problems, "\n".join(problems)
