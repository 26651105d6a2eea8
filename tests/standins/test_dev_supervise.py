"""``ff dev``'s supervisor: a process that exits is started again, its neighbours untouched."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from ff_standins.dev.supervise import MAX_BACKOFF_SECONDS, Supervised, starter, stop_all


def test_an_exited_process_is_restarted_after_its_backoff_and_its_neighbour_runs_on(
    tmp_path: Path,
) -> None:
    failing = Supervised(
        "failing", starter("failing", [sys.executable, "-c", "exit(3)"], {}, tmp_path)
    )
    steady_argv = [sys.executable, "-c", "import time; time.sleep(120)"]
    steady = Supervised("steady", starter("steady", steady_argv, {}, tmp_path))
    first, neighbour = failing.proc, steady.proc
    try:
        assert first.wait(timeout=30) == 3

        failing.check(tmp_path, now=1000.0)
        steady.check(tmp_path, now=1000.0)
        assert failing.proc is first
        assert failing.restart_at == 1001.0

        failing.check(tmp_path, now=1001.0)
        steady.check(tmp_path, now=1001.0)
        assert failing.proc is not first
        assert steady.proc is neighbour
        assert neighbour.poll() is None
        assert (tmp_path / "failing.log").exists()
    finally:
        stop_all([failing, steady])


def test_the_backoff_doubles_while_a_process_keeps_failing_up_to_its_ceiling(
    tmp_path: Path,
) -> None:
    failing = Supervised(
        "failing", starter("failing", [sys.executable, "-c", "exit(1)"], {}, tmp_path)
    )
    delays = []
    now = 0.0
    try:
        for _ in range(7):
            failing.proc.wait(timeout=30)
            failing.check(tmp_path, now=now)
            assert failing.restart_at is not None
            delays.append(failing.restart_at - now)
            now = failing.restart_at
            failing.check(tmp_path, now=now)
    finally:
        stop_all([failing])

    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]


def test_stopping_a_process_stops_what_it_started_too(tmp_path: Path) -> None:
    """A server that forks a worker (granian does) leaves nothing behind on its port."""
    pidfile = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(120)\n"
    )
    parent = Supervised("parent", starter("parent", [sys.executable, "-c", script], {}, tmp_path))
    deadline = time.monotonic() + 30
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline, "the child never started its own child"
        time.sleep(0.05)
    grandchild = int(pidfile.read_text())

    stop_all([parent])

    assert parent.proc.poll() is not None
    deadline = time.monotonic() + 10
    while _alive(grandchild):
        assert time.monotonic() < deadline, "the process the child started was left running"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone in all but name (its parent, the stopped child, is not there to reap it).
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    return False
