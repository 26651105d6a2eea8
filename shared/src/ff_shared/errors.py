"""One tree of domain errors.

Each error carries the HTTP status the API answers with and a stable machine-readable ``code``;
the API maps every ``DomainError`` to an RFC 9457 problem document in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ff_shared.domain.lifecycle import FourEyesError, LifecycleError, SeniorOverrideRequiredError
from ff_shared.domain.pricing import OutsideProductError
from ff_shared.domain.review_actions import OfferAboveRequestError


class FieldProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One field-level failure: a dotted path into the request and a human message."""

    path: str
    message: str


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, errors: Sequence[FieldProblem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)


class InvalidInput(DomainError):
    status = 422
    code = "validation_failed"
    title = "The request did not pass validation"


class MalformedBody(DomainError):
    status = 400
    code = "malformed_body"
    title = "The request body is not valid JSON"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    title = "Authentication required"


class NotPermitted(DomainError):
    status = 403
    code = "forbidden"
    title = "Not permitted"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict with the current state"


class StaleVersion(Conflict):
    code = "stale_version"
    title = "The resource changed since it was read"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Not allowed in the current state"


class ApplicationLocked(Conflict):
    code = "application_locked"
    title = "The application can no longer be edited"


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"
    title = "The idempotency key was used for a different request"


class FourEyesRequired(NotPermitted):
    code = "four_eyes_required"
    title = "A second, different senior underwriter must confirm this approval"


class SeniorOverrideRequired(NotPermitted):
    code = "senior_override_required"
    title = "Only a senior underwriter may override a decline"


class CustomerErased(Conflict):
    code = "customer_erased"
    title = "The customer's personal data has been erased"


class UploadNotFound(Conflict):
    code = "upload_not_found"
    title = "Nothing has been uploaded for this document yet"


class UploadRejected(Conflict):
    code = "upload_rejected"
    title = "The upload is not the document that was declared"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


class DependencyUnavailable(DomainError):
    """A server or service the platform depends on did not answer (in time): retryable.

    ``dependency`` names it (``redis``, ``mongodb``, ``postgres``, ``s3``, ``cognito``,
    ``loan_book``...); ``None`` lets the problem mapping name it from the exception this one was
    raised from. ``retry_after_seconds`` becomes the answer's ``Retry-After``.
    """

    status = 503
    code = "dependency_unavailable"
    title = "A service the platform depends on is unavailable"
    dependency: str | None = None
    retry_after_seconds: int = 5

    def __init__(
        self,
        detail: str,
        *,
        dependency: str | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(detail)
        if dependency is not None:
            self.dependency = dependency
        if retry_after_seconds is not None:
            self.retry_after_seconds = retry_after_seconds


DOMAIN_REFUSALS: tuple[type[Exception], ...] = (
    LifecycleError,
    OutsideProductError,
    OfferAboveRequestError,
)
"""Refusals the pure domain raises (it knows nothing of HTTP); :func:`as_domain_error` says
what each one is in this tree."""


def as_domain_error(exc: Exception) -> DomainError:
    """The one translation of a domain refusal into this tree (the API's problem mapping calls
    it; stores and services let refusals through untranslated)."""
    match exc:
        case FourEyesError():
            return FourEyesRequired(str(exc))
        case SeniorOverrideRequiredError():
            return SeniorOverrideRequired(str(exc))
        case LifecycleError():
            return IllegalTransition(str(exc))
        case OutsideProductError():
            return InvalidInput(
                exc.message, errors=[FieldProblem(path=exc.field, message=exc.message)]
            )
        case OfferAboveRequestError():
            return InvalidInput(
                str(exc),
                errors=[
                    FieldProblem(
                        path="amount_pence",
                        message=f"must be at most the {exc.requested_pence} requested",
                    )
                ],
            )
    raise TypeError(f"{type(exc).__name__} is not a domain refusal")


class SettingsError(Exception):
    """Raised at start-up when the environment does not describe a runnable platform."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid settings:\n  " + "\n  ".join(self.problems))
