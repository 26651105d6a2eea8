"""``ff dev``'s secure gateway, where nginx is installed: the local simulators behind it, their
credentials in moto's SSM (read by the gateway's agent as on the gateway host), and the platform's
Dynamics and OBV clients pointed at it with no credential of their own. Without nginx the
clients keep calling the simulators directly.

The simulators speak plain HTTP, so this one gateway config allows plain upstreams; every other
gateway speaks only TLS to its vendors.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aioboto3
import msgspec

from ff_shared.settings import load_settings
from ff_workers.cli.devstate import state_dir

if TYPE_CHECKING:
    from ff_standins.dev.stack import Stack

GATEWAY_PORT = 8110
AGENT_PORT = 8111
OBV_KEY_PARAMETER = "/ff-local/gateway/obv-api-key"
DYNAMICS_SECRET_PARAMETER = "/ff-local/gateway/dynamics-client-secret"
GATEWAY_BIN = Path(sys.executable).parent / "ff-gateway"


def gateway_available() -> bool:
    nginx = shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()
    return nginx and GATEWAY_BIN.exists()


def _config_path() -> Path:
    return state_dir() / "gateway" / "gateway.json"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def local_gateway_config(stack: Stack) -> dict[str, object]:
    """The gateway config for the simulators the stack runs (as JSON-ready data)."""
    settings = load_settings(stack.env)
    directory = state_dir() / "gateway"
    token_path = urlsplit(settings.dynamics.token_url).path.strip("/").split("/")
    return {
        "listen_host": "127.0.0.1",
        "listen_port": GATEWAY_PORT,
        "allow": ["127.0.0.1/32"],
        "runtime_dir": str(directory / "run"),
        "log_dir": str(state_dir() / "logs" / "gateway"),
        "worker_processes": "1",
        "allow_plain_http_upstreams": True,
        "agent": {"port": AGENT_PORT},
        "ssm": {"region": stack.aws_region, "endpoint_url": stack.aws_endpoint_url},
        "obv": {
            "api": {"url": _origin(settings.obv.base_url)},
            "api_key_parameter": OBV_KEY_PARAMETER,
        },
        "dynamics": {
            "api": {"url": _origin(settings.dynamics.base_url)},
            "token": {"url": _origin(settings.dynamics.token_url)},
            "tenant": token_path[0],
            "client_id": settings.dynamics.client_id,
            "client_secret_parameter": DYNAMICS_SECRET_PARAMETER,
            "scope": settings.dynamics.scope,
        },
    }


async def seed_gateway(stack: Stack) -> None:
    """Credentials into SSM (also for a gateway container beside the stack, see
    gateway/compose.json); where nginx is installed, the gateway's config written and the clients
    pointed at it."""
    settings = load_settings(stack.env)
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("ssm", endpoint_url=stack.aws_endpoint_url) as ssm:
        for name, value in (
            (OBV_KEY_PARAMETER, settings.obv.api_key),
            (DYNAMICS_SECRET_PARAMETER, settings.dynamics.client_secret),
        ):
            if value is not None:
                await ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    if not gateway_available():
        print("gateway    nginx not installed: clients call the simulators directly")
        return
    path = _config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.encode(local_gateway_config(stack)))
    api_path = urlsplit(settings.dynamics.base_url).path
    stack.env.setdefault(
        "FF_DYNAMICS_GATEWAY_URL", f"http://127.0.0.1:{GATEWAY_PORT}/dynamics{api_path}"
    )
    stack.env.setdefault("FF_OBV_GATEWAY_URL", f"http://127.0.0.1:{GATEWAY_PORT}/obv")
    print(f"gateway    http://127.0.0.1:{GATEWAY_PORT} (Dynamics and OBV through nginx)")


def gateway_processes() -> list[tuple[str, list[str]]]:
    """The gateway (agent and nginx, in the foreground) when it can run here."""
    if not gateway_available():
        return []
    argv = [str(GATEWAY_BIN), "run", "--config", str(_config_path())]
    return [("gateway", [*argv, "--out", str(_config_path().with_name("nginx.conf"))])]
