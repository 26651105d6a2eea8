"""Reading the environment into :class:`Settings`, and back."""

from __future__ import annotations

import os
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec

from ff_shared.errors import SettingsError
from ff_shared.settings.model import PREFIX, SSM_PREFIX, Settings
from ff_shared.settings.reference import is_struct, type_name

S = typing.TypeVar("S", bound=msgspec.Struct)


def _section(
    cls: type[msgspec.Struct], env: Mapping[str, str], prefix: str, problems: list[str]
) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for field in msgspec.structs.fields(cls):
        name = f"{prefix}{field.name.upper()}"
        if is_struct(field.type):
            nested = _section(field.type, env, f"{name}_", problems)
            raw[field.name] = nested
            continue
        value = env.get(name)
        if value is None or value == "":
            if field.required:
                problems.append(f"{name} is required but not set")
            continue
        try:
            raw[field.name] = msgspec.convert(value, field.type, strict=False)
        except msgspec.ValidationError as exc:
            problems.append(f"{name}={value!r} is not valid ({type_name(field.type)}): {exc}")
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Parse the environment into :class:`Settings`; raise one error naming every bad variable."""
    environ = os.environ if env is None else env
    problems: list[str] = []
    raw = _section(Settings, environ, PREFIX, problems)
    if problems:
        raise SettingsError(problems)
    try:
        return msgspec.convert(raw, Settings)
    except msgspec.ValidationError as exc:  # a section's own checks (its __post_init__)
        raise SettingsError([str(exc)]) from exc


def settings_to_env(settings: msgspec.Struct, prefix: str = PREFIX) -> dict[str, str]:
    """The inverse of :func:`load_settings`: what a child process needs to see the same settings."""
    env: dict[str, str] = {}
    for field in msgspec.structs.fields(type(settings)):
        value = getattr(settings, field.name)
        name = f"{prefix}{field.name.upper()}"
        if isinstance(value, msgspec.Struct):
            env.update(settings_to_env(value, f"{name}_"))
        elif value is not None:
            env[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


async def resolve_ssm_references(settings: S, fetch: Callable[[str], Awaitable[str]]) -> S:
    """Replace every ``ssm:/name`` value with the parameter's (decrypted) value."""
    changes: dict[str, Any] = {}
    for field in msgspec.structs.fields(type(settings)):
        value = getattr(settings, field.name)
        if isinstance(value, msgspec.Struct):
            resolved = await resolve_ssm_references(value, fetch)
            if resolved is not value:
                changes[field.name] = resolved
        elif isinstance(value, str) and value.startswith(SSM_PREFIX):
            changes[field.name] = await fetch(value.removeprefix(SSM_PREFIX))
    return msgspec.structs.replace(settings, **changes) if changes else settings
