"""The gateway's nginx config: one template, rendered from :class:`GatewayConfig`, and checked
with ``nginx -t`` before it replaces the config nginx runs (a bad render never reaches nginx)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

import jinja2

from ff_gateway.config import GatewayConfig, validate

TEMPLATE = "nginx.conf.j2"


class CheckFailed(RuntimeError):
    """``nginx -t`` refused a rendered config; the running one was left as it was."""


def render(config: GatewayConfig) -> str:
    validate(config)
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - nginx config, not HTML
        keep_trailing_newline=True,
    )
    template = environment.from_string(
        resources.files("ff_gateway").joinpath(TEMPLATE).read_text(encoding="utf-8")
    )
    credential_vendors = [
        name
        for name, present in (("obv", config.obv), ("dynamics", config.dynamics))
        if present is not None
    ]
    return template.render(
        config=config, upstreams=config.upstreams(), credential_vendors=credential_vendors
    )


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if found is None:
        raise FileNotFoundError("nginx is not installed (apt-get install -y nginx)")
    return found


def prepare_dirs(config: GatewayConfig) -> None:
    """The prefix and log directories; the prefix must be reachable by nginx's worker user."""
    for directory in (config.runtime_dir, config.log_dir):
        Path(directory).mkdir(parents=True, exist_ok=True)
        Path(directory).chmod(0o755)


def nginx_argv(config: GatewayConfig, conf: Path, *extra: str) -> list[str]:
    return [
        nginx_binary(),
        "-p",
        config.runtime_dir,
        "-c",
        str(conf),
        "-e",
        f"{config.log_dir}/error.log",
        *extra,
    ]


def check(config: GatewayConfig, conf: Path) -> None:
    result = subprocess.run(
        nginx_argv(config, conf, "-t", "-q"), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise CheckFailed(f"nginx -t refused {conf}: {result.stderr.strip()}")


def install(config: GatewayConfig, target: Path) -> bool:
    """Render, check the result with ``nginx -t``, and only then move it over ``target``.

    Returns whether ``target`` changed."""
    prepare_dirs(config)
    text = render(config)
    if target.exists() and target.read_text(encoding="utf-8") == text:
        check(config, target)
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".nginx-", suffix=".conf", dir=target.parent)
    candidate = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        candidate.chmod(0o644)
        check(config, candidate)
        candidate.replace(target)
    finally:
        candidate.unlink(missing_ok=True)
    return True


def reload(config: GatewayConfig, target: Path) -> bool:
    """Install the rendered config and tell the running nginx to load it (graceful: workers
    finish what they are serving). Returns whether the config changed."""
    changed = install(config, target)
    subprocess.run(nginx_argv(config, target, "-s", "reload"), check=True, capture_output=True)
    return changed
