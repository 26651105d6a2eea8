"""The running local stack's facts (ports, pool ids, demo password), shared between ff commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from ff_workers.cli.errors import CommandError

if TYPE_CHECKING:
    from ff_shared.settings import Settings

DEMO_PASSWORD = "Demo-Passw0rd!"


class PoolState(msgspec.Struct, kw_only=True):
    pool_id: str
    client_id: str
    users: list[str]


class DevState(msgspec.Struct, kw_only=True):
    api_url: str
    aws_endpoint_url: str
    aws_region: str
    pools: dict[str, PoolState]
    env: dict[str, str]
    """The FF_ variables the stack's processes run with."""
    pids: list[int] = msgspec.field(default_factory=list)
    """The supervised processes' pids (API, workers, simulators, portals), rewritten whenever the
    supervisor starts one again."""


def state_dir() -> Path:
    return Path(os.environ.get("FF_DEV_DIR", ".ff")).resolve()


def state_path() -> Path:
    return state_dir() / "dev.json"


def write_state(state: DevState) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(state)))
    tmp.replace(path)


def read_state() -> DevState:
    path = state_path()
    if not path.exists():
        raise CommandError(
            f"no local stack is running ({path} not found): start it with `ff dev` "
            "from the repository root"
        )
    try:
        return msgspec.json.decode(path.read_bytes(), type=DevState)
    except msgspec.DecodeError as exc:
        raise CommandError(f"{path} is unreadable ({exc}); restart `ff dev`") from exc


def stack_env() -> dict[str, str]:
    """The environment's ``FF_`` variables, over the running local stack's (``.ff/dev.json``) for
    anything the environment does not set."""
    env = {k: v for k, v in os.environ.items() if k.startswith("FF_")}
    if state_path().exists():
        env = {**read_state().env, **env}
    return env


def stack_settings(*, verbose: bool) -> Settings:
    """:func:`stack_env` parsed; logs at warning unless ``verbose`` asks for more. The local
    stack's other variables (moto's credentials) join this process's environment where unset:
    clients that read them from there (pyarrow's S3) reach the same stand-ins."""
    # Imported here: commands that need no settings (``ff token``) start without them.
    from ff_shared.logging import configure_logging
    from ff_shared.startup import load_runtime_settings

    if state_path().exists():
        for name, value in read_state().env.items():
            if not name.startswith("FF_"):
                os.environ.setdefault(name, value)
    settings = load_runtime_settings(stack_env())
    configure_logging(level=settings.log_level if verbose else "warning", json=settings.log_json)
    return settings


def clear_state() -> None:
    state_path().unlink(missing_ok=True)
