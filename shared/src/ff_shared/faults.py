"""Which dependency an infrastructure failure belongs to: the one translation of a driver's
connection error or timeout into :class:`~ff_shared.errors.DependencyUnavailable`.

Stores and clients let their drivers' errors through; the API's problem mapping and the
workers' job wrapper ask :func:`unavailable_from` whether a failure was an outage (a refused or
dropped connection, a server that did not answer within its deadline) and of what. Anything it
does not recognise stays what it is: a bug.
"""

from __future__ import annotations

import types

import aiohttp
import asyncpg
import botocore.exceptions
import pymongo.errors
import pyodbc
import redis.exceptions

from ff_shared.errors import DependencyUnavailable
from ff_shared.integrations.errors import IntegrationError

_BY_TYPE: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError), "redis"),
    ((pymongo.errors.ConnectionFailure, pymongo.errors.ExecutionTimeout), "mongodb"),
    (
        (
            asyncpg.PostgresConnectionError,
            asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.AdminShutdownError,
            asyncpg.exceptions.CrashShutdownError,
            asyncpg.exceptions.TooManyConnectionsError,
        ),
        "postgres",
    ),
    ((pyodbc.OperationalError,), "loan_book"),
)

# A bare OSError or TimeoutError (a refused connect, a socket reset, a deadline) names its
# dependency by the driver it was raised in.
_BY_MODULE = {
    "redis": "redis",
    "arq": "redis",
    "pymongo": "mongodb",
    "asyncpg": "postgres",
    "aioodbc": "loan_book",
    "pyodbc": "loan_book",
}

_AWS_TRANSPORT = (
    botocore.exceptions.ConnectionError,
    botocore.exceptions.HTTPClientError,
    aiohttp.ClientConnectionError,
)


def _aws_service(tb: types.TracebackType | None) -> str | None:
    """The AWS service whose client made the failed call (its ``_make_api_call`` frame)."""
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "_make_api_call":
            meta = getattr(frame.f_locals.get("self"), "meta", None)
            model = getattr(meta, "service_model", None)
            name = getattr(model, "service_name", None)
            if isinstance(name, str):
                return {"cognito-idp": "cognito"}.get(name, name)
        tb = tb.tb_next
    return None


def _driver(tb: types.TracebackType | None) -> str | None:
    """The dependency of the innermost driver frame in the traceback."""
    found: str | None = None
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        found = _BY_MODULE.get(module.split(".")[0], found)
        tb = tb.tb_next
    return found


def _one(exc: BaseException) -> str | None:
    if isinstance(exc, DependencyUnavailable):
        return exc.dependency
    if isinstance(exc, IntegrationError):
        return exc.service if exc.retryable else None
    for types_, name in _BY_TYPE:
        if isinstance(exc, types_):
            return name
    if isinstance(exc, _AWS_TRANSPORT):
        return _aws_service(exc.__traceback__) or "aws"
    if isinstance(exc, (OSError, TimeoutError, asyncpg.InterfaceError, pyodbc.InterfaceError)):
        return _aws_service(exc.__traceback__) or _driver(exc.__traceback__)
    return None


def dependency_of(exc: BaseException) -> str | None:
    """The dependency whose outage ``exc`` is (or was raised from), else ``None``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = _one(current)
        if name is not None:
            return name
        current = current.__cause__ or current.__context__
    return None


def unavailable_from(exc: BaseException) -> DependencyUnavailable | None:
    """``exc`` as the outage it is, or ``None`` when it is not one (a bug, a refusal)."""
    if isinstance(exc, DependencyUnavailable):
        if exc.dependency is None:
            exc.dependency = dependency_of(exc.__cause__) if exc.__cause__ else None
        return exc
    name = dependency_of(exc)
    if name is None:
        return None
    return DependencyUnavailable(f"{name} is unavailable; try again shortly", dependency=name)
