"""Reading Dataverse's answers: the id a write returns, and the typed error for a refusal."""

from __future__ import annotations

import re

import msgspec

from ff_shared.integrations.dynamics.schemas import ODataError
from ff_shared.integrations.errors import (
    AuthenticationFailed,
    IntegrationError,
    MalformedResponse,
    PreconditionFailed,
    RequestRejected,
    ResourceNotFound,
    UpstreamUnavailable,
)
from ff_shared.integrations.http import HttpResponse

SERVICE = "dynamics"

_ENTITY_ID = re.compile(
    r"\(([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\)$"
)


def entity_id(response: HttpResponse) -> str:
    header = response.header("odata-entityid")
    match = _ENTITY_ID.search(header or "")
    if match is None:
        raise MalformedResponse(
            SERVICE,
            "the write answered without a readable OData-EntityId header",
            status=response.status,
            raw=response.body,
        )
    return match.group(1).lower()


def oauth_error(body: bytes) -> str:
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return "no error code"
    code = decoded.get("error") if isinstance(decoded, dict) else None
    return str(code) if isinstance(code, str) else "no error code"


def odata_error(response: HttpResponse) -> tuple[str | None, str]:
    try:
        error = msgspec.json.decode(response.body, type=ODataError).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None, f"HTTP {response.status}"
    return error.code or None, error.message or f"HTTP {response.status}"


def unexpected(response: HttpResponse, what: str) -> IntegrationError:
    if response.status >= 500:
        return UpstreamUnavailable(
            SERVICE, f"{what} answered {response.status}", status=response.status
        )
    return MalformedResponse(
        SERVICE,
        f"{what} answered an unexpected {response.status}",
        status=response.status,
        raw=response.body,
    )


def error_for(response: HttpResponse, what: str) -> IntegrationError:
    status = response.status
    if status >= 500:
        return UpstreamUnavailable(SERVICE, f"{what} answered {status}", status=status)
    if status < 400:
        return unexpected(response, what)
    code, message = odata_error(response)
    if status == 401:
        return AuthenticationFailed(SERVICE, f"{what}: {message}", status=status)
    if status == 404:
        return ResourceNotFound(SERVICE, f"{what}: {message}", status=status)
    if status == 412:
        return PreconditionFailed(SERVICE, f"{what}: {message}", status=status)
    return RequestRejected(SERVICE, f"{what}: {message}", status=status, code=code)
