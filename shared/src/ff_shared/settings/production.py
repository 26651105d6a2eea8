"""What production refuses: local defaults, demo secrets, stand-in URLs and simulators.

:func:`production_problems` names every variable that still points at the local stack (a
loopback or ``localhost`` address, a simulator's or moto's port), still holds a secret shipped
with the code (``ff-local-...``), or points AWS at a stand-in endpoint. Start-up
(:func:`ff_shared.startup.load_runtime_settings`) refuses to run in production while any remain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec

from ff_shared.settings.model import PREFIX, Settings

_LOOPBACK = re.compile(
    r"(?i)(?<![\w.-])(localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[?::1\]?)(?![\w.-])"
)
# The local stack's stand-ins: moto (8100), the simulators (8101-8106), the SFTP server (8122).
_STAND_IN_PORT = re.compile(r":(81(?:0[0-6]|22))(?!\d)")
_DEMO_SECRET = re.compile(r"(?i)ff-local|local-simulator|demo|changeme|example-secret")
_SECRET_NAME = re.compile(r"(?i)password|secret|api_key|access_token|salt|credentials|token$")
_BIND_ADDRESSES = {f"{PREFIX}API_HOST"}
# With a secure gateway in front of a third party, its direct URL and credential go unused.
_UNUSED_WITH_GATEWAY = {"base_url", "api_key", "client_secret", "token_url", "scope", "client_id"}


def _leaves(struct: msgspec.Struct, prefix: str) -> Iterator[tuple[str, str, Any, Any]]:
    """(variable, field, value, default) for every string-valued leaf."""
    gateway = getattr(struct, "gateway_url", None)
    for field in msgspec.structs.fields(type(struct)):
        value = getattr(struct, field.name)
        name = f"{prefix}{field.name.upper()}"
        if isinstance(value, msgspec.Struct):
            yield from _leaves(value, f"{name}_")
        elif isinstance(value, str) and not (gateway and field.name in _UNUSED_WITH_GATEWAY):
            yield name, field.name, value, field.default


def production_problems(settings: Settings) -> list[str]:
    """Every reason these settings cannot run in production, one per variable (empty: none)."""
    problems: list[str] = []
    for name, field, value, default in _leaves(settings, PREFIX):
        if name in _BIND_ADDRESSES:
            continue
        if (
            _SECRET_NAME.search(field)
            and value
            and (value == default or _DEMO_SECRET.search(value))
        ):
            problems.append(f"{name} is a local demo secret; set the real one (ssm:/...)")
        elif _LOOPBACK.search(value):
            problems.append(f"{name} points at this machine (a local default or stand-in)")
        elif _STAND_IN_PORT.search(value):
            problems.append(f"{name} points at a stand-in's port (a simulator or moto)")
        elif "ff_standins" in value:
            problems.append(f"{name} runs a test stand-in (ff_standins)")
    if settings.aws.endpoint_url:
        problems.append(
            f"{PREFIX}AWS_ENDPOINT_URL is set (a stand-in such as moto); production calls AWS"
        )
    return sorted(set(problems))


def docs_enabled(settings: Settings) -> bool:
    """Whether the API serves its OpenAPI document and UI: as set, else on outside production."""
    enabled = settings.api.docs_enabled
    return settings.environment != "production" if enabled is None else enabled
