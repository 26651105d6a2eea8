"""Embedded stand-ins for the local stack and the test session.

Each runs as a real server process on loopback (a MongoDB wire-protocol server, moto server for
AWS) so the platform's production clients talk to them over real sockets.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, *, timeout: float = 30.0, name: str = "server") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{name} did not start listening on {host}:{port} within {timeout:.0f}s")


def _bin(name: str) -> str:
    """A console script installed beside this interpreter (the project's venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run `uv sync` first")
    return found


class ServerProcess:
    """A child server process with its own log file, stopped (and waited for) on close."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        workdir: Path,
        start_timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.port = port
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            list(argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        try:
            wait_for_port("127.0.0.1", port, name=name, timeout=start_timeout)
        except TimeoutError:
            self.close()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _signal_group(self, sig: signal.Signals) -> None:
        # The server leads its own process group: its workers (granian's) go with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def close(self) -> None:
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=5)
        # Workers that outlived their parent would keep the port.
        self._signal_group(signal.SIGKILL)
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_simulator(
    name: str, module: str, workdir: Path, *args: str, port: int | None = None
) -> ServerProcess:
    """An in-repo third-party simulator in its own process: ``python -m MODULE --port N ARGS``."""
    port = port or free_port()
    argv = [sys.executable, "-m", module, "--port", str(port), *args]
    return ServerProcess(name, argv, port=port, workdir=workdir)


def start_mongo_standin(workdir: Path, port: int | None = None) -> ServerProcess:
    """The nx-27017 MongoDB wire-protocol server, in memory."""
    port = port or free_port()
    argv = [
        _bin("nx-27017"),
        "--data-dir",
        "memory",
        "--host",
        "127.0.0.1",
        "-p",
        str(port),
        "--log-file",
        str(workdir / f"nx-27017-{port}.log"),
        "--pid-file",
        str(workdir / f"nx-27017-{port}.pid"),
    ]
    return ServerProcess("mongo", argv, port=port, workdir=workdir)


def start_moto(workdir: Path, port: int | None = None) -> ServerProcess:
    port = port or free_port()
    return ServerProcess(
        "moto",
        [sys.executable, "-m", "ff_standins.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        port=port,
        workdir=workdir,
    )


def reset_moto(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def scratch_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
