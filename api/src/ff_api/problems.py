"""The one place that turns failures into RFC 9457 problem documents.

Expected business failures are ``DomainError``s and keep their status and stable ``code``;
the pure domain's refusals (state-machine and pricing rules) are translated into them here;
Litestar's own HTTP errors (unknown route, wrong method, body too large, undecodable body) are
translated to the same shape; anything else is a bug, logged with its traceback and answered 500
without internals.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
import structlog
from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap

from ff_shared.errors import (
    DOMAIN_REFUSALS,
    DependencyUnavailable,
    DomainError,
    FieldProblem,
    as_domain_error,
)
from ff_shared.faults import unavailable_from
from ff_shared.logging import scrub_text

log = structlog.get_logger()

PROBLEM_JSON = "application/problem+json"


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] = msgspec.field(default_factory=list)
    dependency: str | None = None
    """``dependency_unavailable``: the server or service that did not answer."""


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
    dependency: str | None = None,
) -> Response[Problem]:
    body = Problem(
        type=f"https://docs.fairfinance.example/problems/{code}",
        title=title,
        status=status,
        code=code,
        detail=detail,
        instance=request.url.path,
        request_id=_request_id(request),
        errors=errors or [],
        dependency=dependency,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    assert isinstance(exc, DomainError)
    if isinstance(exc, DependencyUnavailable):
        return dependency_unavailable_response(request, exc)
    if exc.status >= 500:
        log.warning("request_dependency_failed", code=exc.code, detail=exc.detail)
    headers = {"WWW-Authenticate": 'Bearer realm="fairfinance"'} if exc.status == 401 else None
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=list(exc.errors),
        headers=headers,
    )


def domain_refusal_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """A refusal of the pure domain (a state-machine or pricing rule), as its domain error."""
    return domain_error_handler(request, as_domain_error(exc))


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _validation_errors(exc: ValidationException) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key", ""))
        source = item.get("source")
        path = key if source in (None, "body") else f"{source}.{key}"
        problems.append(FieldProblem(path=path, message=str(item.get("message", "is invalid"))))
    return problems


def http_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        if any("malformed" in e.message.lower() for e in errors) or not errors:
            return problem_response(
                request,
                status=400,
                code="malformed_body",
                title="The request body is not valid JSON",
                detail=scrub_text(errors[0].message) if errors else exc.detail,
                errors=errors,
            )
        return problem_response(
            request,
            status=422,
            code="validation_failed",
            title="The request did not pass validation",
            detail="; ".join(f"{e.path}: {e.message}" if e.path else e.message for e in errors),
            errors=errors,
        )
    if status == 400 and "malformed" in str(exc.detail).lower():
        return problem_response(
            request,
            status=400,
            code="malformed_body",
            title="The request body is not valid JSON",
            detail=scrub_text(str(exc.detail)),
        )
    if status >= 500:
        log.error("request_failed", status=status, error=type(exc).__name__)
        return problem_response(
            request, status=status, code="internal_error", title=HTTPStatus(status).phrase
        )
    return problem_response(
        request,
        status=status,
        code=_HTTP_CODES.get(status, "http_error"),
        title=HTTPStatus(status).phrase,
        detail=exc.detail if exc.detail != HTTPStatus(status).phrase else None,
        headers=exc.headers,
    )


def dependency_unavailable_response(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[Problem]:
    """A dependency's outage: 503 naming it, with ``Retry-After``."""
    unavailable = unavailable_from(exc)
    assert unavailable is not None
    dependency = unavailable.dependency or "unknown"
    log.warning(
        "request_dependency_unavailable",
        dependency=dependency,
        code=unavailable.code,
        error=type(exc).__name__,
    )
    return problem_response(
        request,
        status=unavailable.status,
        code=unavailable.code,
        title=unavailable.title,
        detail=unavailable.detail,
        headers={"Retry-After": str(unavailable.retry_after_seconds)},
        dependency=dependency,
    )


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if unavailable_from(exc) is not None:
        return dependency_unavailable_response(request, exc)
    log.exception("request_crashed", error=type(exc).__name__)
    return problem_response(
        request,
        status=500,
        code="internal_error",
        title="Internal server error",
        detail="An unexpected error occurred; quote the request id when reporting it.",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error_handler,
    **{refusal: domain_refusal_handler for refusal in DOMAIN_REFUSALS},
    HTTPException: http_exception_handler,
    Exception: unexpected_error_handler,
}


_DESCRIPTIONS = {
    400: "The body is not valid JSON (`malformed_body`)",
    401: "Missing, expired, forged or other-pool bearer token (`not_authenticated`)",
    403: "The caller's roles lack the route's permission (`forbidden`)",
    404: "No such resource, or not the caller's (`not_found`)",
    409: "Conflicts with the current state or a newer version (`stale_version`, ...)",
    413: "The body is larger than the API accepts (`body_too_large`)",
    422: "Validation failed; `errors` lists each field path and message (`validation_failed`)",
    503: "A dependency is unavailable; `dependency` names it, `Retry-After` says when to retry "
    "(`dependency_unavailable`)",
}


def document_problem_responses(app: Litestar) -> None:
    """Describe the problem documents each route can answer with, for generated portal clients."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            path = route.path
            statuses = [400, 413, 422, 503]
            if path.startswith("/v1/") and not path.startswith(
                ("/v1/quotes", "/v1/application-form")
            ):
                statuses += [401, 404, 409]
            if path.startswith("/v1/staff"):
                statuses.append(403)
            documented = {
                status: ResponseSpec(
                    data_container=Problem,
                    description=_DESCRIPTIONS[status],
                    media_type=PROBLEM_JSON,
                    generate_examples=False,
                )
                for status in sorted(statuses)
            }
            handler.responses = {**documented, **(handler.responses or {})}
