"""``ff dev``'s supervisor: each process of the stack runs in its own session with its log under
``.ff/logs/``; one that exits is started again (after 1 s, then 2, 4 … up to 30 s while it keeps
failing) and its neighbours carry on; the state file is told the new pid. Ctrl-C or SIGTERM stops
them all."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

Starter = Callable[[], "subprocess.Popen[bytes]"]

MAX_BACKOFF_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 60.0
"""A process that has run this long since its last start is well again: its backoff resets."""


def starter(
    name: str, argv: list[str], env: dict[str, str], logdir: Path, *, cwd: Path | None = None
) -> Starter:
    """Starts ``argv`` with ``env`` over this process's environment, appending to NAME.log."""

    def start() -> subprocess.Popen[bytes]:
        with (logdir / f"{name}.log").open("ab") as log_file:
            return subprocess.Popen(
                argv,
                cwd=cwd,
                env={**os.environ, **env},
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    return start


class Supervised:
    """One process of the stack, started at once, and how to start it again."""

    def __init__(self, name: str, start: Starter) -> None:
        self.name = name
        self._start = start
        self.proc = start()
        self.started_at = time.monotonic()
        self.failures = 0
        self.restart_at: float | None = None

    def check(self, logdir: Path, now: float) -> bool:
        """Schedule a restart when the process has exited; restart it when its time has come.
        True when it was started again (it has a new pid)."""
        if self.restart_at is None:
            code = self.proc.poll()
            if code is None:
                if now - self.started_at >= HEALTHY_AFTER_SECONDS:
                    self.failures = 0
                return False
            delay = min(MAX_BACKOFF_SECONDS, 2.0**self.failures)
            self.failures += 1
            self.restart_at = now + delay
            print(
                f"exited     {self.name} ({code}); restarting in {delay:.0f}s; "
                f"see {logdir / f'{self.name}.log'}",
                flush=True,
            )
        elif now >= self.restart_at:
            self.proc = self._start()
            self.started_at = now
            self.restart_at = None
            print(f"restarted  {self.name} (pid {self.proc.pid})", flush=True)
            return True
        return False


def supervise(
    children: list[Supervised],
    logdir: Path,
    *,
    poll_seconds: float = 0.5,
    on_restart: Callable[[list[Supervised]], None] | None = None,
) -> None:
    """Until SIGINT or SIGTERM, keeping every child running; ``on_restart`` is called with the
    children after any of them was started again (to record the new pids)."""
    stop = {"now": False}

    def _signal(_signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)
    while not stop["now"]:
        now = time.monotonic()
        restarted = [child.check(logdir, now) for child in children]
        if any(restarted) and on_restart is not None:
            on_restart(children)
        time.sleep(poll_seconds)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """``sig`` to the child's whole process group (it leads its own session), so what it started
    (granian's worker, npm's node) stops with it instead of being left running on its port."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def stop_all(children: list[Supervised]) -> None:
    for child in children:
        if child.proc.poll() is None:
            _signal_group(child.proc, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for child in children:
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # granian can ignore SIGTERM early in its start-up.
            _signal_group(child.proc, signal.SIGKILL)
            child.proc.wait(timeout=5)
        # The leader may be gone while a member it started lingers: the group goes too.
        _signal_group(child.proc, signal.SIGKILL)
