"""Anchor LMS's failures, in the integrations' one error tree.

Transport failures are the shared kinds (``UpstreamUnavailable``, ``UpstreamTimeout``,
``MalformedResponse``, ``RequestRejected``); SOAP faults are :class:`AnchorLmsFault` subclasses
that also belong to the shared kind they mean (``AgreementNotFound`` is a ``ResourceNotFound``).
``retryable`` tells the job to ``arq.Retry`` and the API to answer 503. Every operation the
platform calls is idempotent on the LMS side (agreements by the platform's application id,
payments, reversals and returned collections by their reference), so asking again after an
unknown outcome never books twice. Messages never carry SOAP bodies.
"""

from __future__ import annotations

from ff_shared.integrations.errors import (
    AuthenticationFailed,
    IntegrationError,
    PermanentIntegrationError,
    ResourceNotFound,
    RetryableIntegrationError,
)

SERVICE = "anchor_lms"


class AnchorLmsFault(IntegrationError):
    """A SOAP fault; ``fault_code`` is its AnchorFault Code (or the SOAP faultcode)."""

    kind = "fault"

    def __init__(self, detail: str, *, fault_code: str, operation: str) -> None:
        IntegrationError.__init__(self, SERVICE, detail, status=500)
        self.fault_code = fault_code
        self.operation = operation


class AnchorLmsServerFault(AnchorLmsFault, RetryableIntegrationError):
    """``s:Server`` faults: the LMS failed on its side (busy, its database down)."""

    kind = "server_fault"


class AnchorLmsClientFault(AnchorLmsFault, PermanentIntegrationError):
    """An ``s:Client`` fault with a code the platform does not tell apart."""

    kind = "client_fault"


class AnchorLmsAuthenticationFailed(AnchorLmsFault, AuthenticationFailed):
    kind = "authentication_failed"


class AnchorLmsAgreementNotFound(AnchorLmsFault, ResourceNotFound):
    kind = "not_found"


class AnchorLmsValidationFault(AnchorLmsFault, PermanentIntegrationError):
    kind = "validation_failed"


class AnchorLmsPaymentRejected(AnchorLmsFault, PermanentIntegrationError):
    """The LMS refused the payment (above the balance, or the agreement is settled)."""

    kind = "payment_rejected"


class AnchorLmsPaymentNotFound(AnchorLmsFault, ResourceNotFound):
    """A reversal of a payment the agreement has no record of."""

    kind = "payment_not_found"


FAULT_TYPES: dict[str, type[AnchorLmsFault]] = {
    "AuthenticationFailed": AnchorLmsAuthenticationFailed,
    "AgreementNotFound": AnchorLmsAgreementNotFound,
    "ValidationFailed": AnchorLmsValidationFault,
    "PaymentExceedsBalance": AnchorLmsPaymentRejected,
    "AgreementSettled": AnchorLmsPaymentRejected,
    "PaymentNotFound": AnchorLmsPaymentNotFound,
    "ServiceUnavailable": AnchorLmsServerFault,
    "InternalError": AnchorLmsServerFault,
}
"""AnchorFault codes the platform tells apart; other ``s:Server`` faults are retryable, other
``s:Client`` faults permanent."""
