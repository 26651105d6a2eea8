"""The settings every entry point starts from: the API, every worker and every ``ff`` command.

:func:`load_runtime_settings` parses the environment, fetches each ``ssm:/...`` value from SSM
Parameter Store (decrypted), and in production refuses local defaults, demo secrets, stand-in
URLs and simulators (:func:`ff_shared.settings.production_problems`), naming each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import msgspec

from ff_shared.errors import SettingsError
from ff_shared.integrations.aws.session import client_options, make_session
from ff_shared.integrations.aws.ssm import SecretUnavailable, get_parameter
from ff_shared.settings import (
    SSM_PREFIX,
    Settings,
    load_settings,
    production_problems,
    resolve_ssm_references,
)


def _has_ssm_reference(struct: msgspec.Struct) -> bool:
    for field in msgspec.structs.fields(type(struct)):
        value = getattr(struct, field.name)
        if isinstance(value, msgspec.Struct) and _has_ssm_reference(value):
            return True
        if isinstance(value, str) and value.startswith(SSM_PREFIX):
            return True
    return False


async def resolve_secrets(settings: Settings) -> Settings:
    """``settings`` with every ``ssm:/name`` value replaced by the parameter's value."""
    if not _has_ssm_reference(settings):
        return settings
    aws = make_session(settings.aws)
    async with aws.client("ssm", **client_options(settings.aws)) as ssm:
        return await resolve_ssm_references(settings, lambda name: get_parameter(ssm, name))


def _resolve_now(settings: Settings) -> Settings:
    # Its own event loop on its own thread, so callers inside a running loop can use it too.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ff-settings") as pool:
        return pool.submit(asyncio.run, resolve_secrets(settings)).result()


def load_runtime_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings a process runs on; :class:`SettingsError` names every problem."""
    settings = load_settings(env)
    try:
        settings = _resolve_now(settings)
    except SecretUnavailable as exc:
        raise SettingsError([str(exc)]) from exc
    if settings.environment == "production":
        problems = production_problems(settings)
        if problems:
            raise SettingsError([f"production refuses to start: {problem}" for problem in problems])
    return settings
