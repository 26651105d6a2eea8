"""``ff dev``'s supervisor: a process that exits is started again, its neighbours untouched."""

from __future__ import annotations

import sys
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
