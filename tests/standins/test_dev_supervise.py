"""``ff dev``'s supervisor: a process that exits is started again, its neighbours untouched, and
the state file names the pid it runs under now."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from ff_standins.dev.run import pid_recorder
from ff_standins.dev.supervise import (
    MAX_BACKOFF_SECONDS,
    Supervised,
    starter,
    stop_all,
    supervise,
)
from ff_workers.cli.devstate import DevState, read_state


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


def test_the_state_file_names_a_restarted_process_by_its_new_pid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FF_DEV_DIR", str(tmp_path / ".ff"))
    state = DevState(
        api_url="http://127.0.0.1:8000",
        aws_endpoint_url="http://127.0.0.1:8100",
        aws_region="eu-west-2",
        pools={},
        env={},
    )
    # Exits at once the first time it runs (no marker yet), then stays up.
    marker = tmp_path / "ran-once"
    crashing_argv = [
        sys.executable,
        "-c",
        "import pathlib, sys, time\n"
        f"m = pathlib.Path({str(marker)!r})\n"
        "if not m.exists():\n    m.touch(); sys.exit(3)\n"
        "time.sleep(120)",
    ]
    crashing = Supervised("crashing", starter("crashing", crashing_argv, {}, tmp_path))
    steady_argv = [sys.executable, "-c", "import time; time.sleep(120)"]
    steady = Supervised("steady", starter("steady", steady_argv, {}, tmp_path))
    children = [crashing, steady]
    record = pid_recorder(state)
    record(children)
    first = crashing.proc.pid
    assert read_state().pids == [first, steady.proc.pid]
    seen: list[list[int]] = []

    def restarted(processes: list[Supervised]) -> None:
        record(processes)
        seen.append(read_state().pids)
        os.kill(os.getpid(), signal.SIGTERM)  # the supervisor's own way out

    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        supervise(children, tmp_path, poll_seconds=0.05, on_restart=restarted)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        stop_all(children)

    assert crashing.proc.pid != first
    assert seen == [[crashing.proc.pid, steady.proc.pid]]
    assert read_state().pids == [crashing.proc.pid, steady.proc.pid]
