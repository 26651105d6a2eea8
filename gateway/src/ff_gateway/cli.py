"""``ff-gateway``: render and check the nginx config, run the agent, or run both (a container,
``ff dev``, the gateway host's service).

    ff-gateway render --config gateway.json              print the rendered config
    ff-gateway install --config gateway.json --out F     render, nginx -t, then move over F
    ff-gateway reload --config gateway.json --out F      install, then nginx -s reload
    ff-gateway agent --config gateway.json               the credential agent alone
    ff-gateway run --config gateway.json --out F         agent + nginx in the foreground;
                                                         SIGHUP re-renders, checks and reloads
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import structlog

from ff_gateway import agent, render
from ff_gateway.config import ConfigError, GatewayConfig, load_config

log = structlog.get_logger()


def configure_logging() -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )


def _wait_for_agent(
    config: GatewayConfig, process: subprocess.Popen[bytes], timeout: float = 30.0
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", config.agent.port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _run(config: GatewayConfig, config_path: Path, out: Path) -> int:
    """The agent and nginx as children; SIGHUP re-renders the config (checked) and reloads."""
    render.install(config, out)
    agent_process = subprocess.Popen(
        [sys.executable, "-m", "ff_gateway.cli", "agent", "--config", str(config_path)]
    )
    # nginx opens only once the agent answers: its first calls would otherwise all be 502s.
    if not _wait_for_agent(config, agent_process):
        agent_process.terminate()
        log.error("gateway_agent_did_not_start", port=config.agent.port)
        return 1
    children = [
        agent_process,
        subprocess.Popen(render.nginx_argv(config, out, "-g", "daemon off;")),
    ]
    state = {"stop": False, "reload": False}

    def _stop(_signum: int, _frame: object) -> None:
        state["stop"] = True

    def _hup(_signum: int, _frame: object) -> None:
        state["reload"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _hup)
    try:
        while not state["stop"]:
            if state["reload"]:
                state["reload"] = False
                try:
                    fresh = load_config(config_path)
                    render.reload(fresh, out)
                    children[0].send_signal(signal.SIGHUP)
                    log.info("gateway_config_reloaded")
                except (ConfigError, render.CheckFailed, subprocess.CalledProcessError) as exc:
                    log.error("gateway_config_refused", error=str(exc))
            for child in children:
                if child.poll() is not None:
                    log.error("gateway_child_exited", pid=child.pid, code=child.returncode)
                    return 1
            with contextlib.suppress(subprocess.TimeoutExpired):
                children[1].wait(timeout=0.5)
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGQUIT if child is children[1] else signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ff-gateway", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("render", "install", "reload", "agent", "run"):
        command = sub.add_parser(name)
        command.add_argument("--config", type=Path, required=True)
        if name in ("install", "reload", "run"):
            command.add_argument("--out", type=Path, required=True, help="nginx.conf to write")
    args = parser.parse_args(argv)
    configure_logging()
    try:
        config = load_config(args.config)
        if args.command == "render":
            sys.stdout.write(render.render(config))
        elif args.command == "install":
            render.install(config, args.out)
        elif args.command == "reload":
            render.reload(config, args.out)
        elif args.command == "agent":
            asyncio.run(agent.serve(config))
        else:
            return _run(config, args.config, args.out)
    except (ConfigError, render.CheckFailed) as exc:
        print(f"ff-gateway: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
