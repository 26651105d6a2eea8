"""What can go wrong talking to a third party: one error type per failure kind.

Every integration client raises only these (or subclasses of them). ``retryable`` says whether
the same call may succeed later: jobs turn retryable errors into ``arq.Retry(defer=...)``
(honouring ``retry_after`` when the third party gave one) and record permanent ones as failed.
Messages never carry request or response bodies, so they are safe to log and to show to staff.
"""

from __future__ import annotations

from typing import ClassVar


class IntegrationError(Exception):
    """A call to ``service`` failed; ``status`` is the HTTP status when there was a response."""

    retryable: ClassVar[bool] = False
    kind: ClassVar[str] = "integration_error"

    def __init__(
        self,
        service: str,
        detail: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.detail = detail
        self.status = status
        self.retry_after = retry_after

    def summary(self) -> str:
        """A one-line description for a sync's ``last_error`` (no bodies, no personal data)."""
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.kind}{status}: {self}"


class RetryableIntegrationError(IntegrationError):
    """The third party may answer this call successfully later."""

    retryable = True
    kind = "retryable"


class PermanentIntegrationError(IntegrationError):
    """Asking again will not help: the request, the credentials or the data need changing."""

    retryable = False
    kind = "permanent"


class UpstreamUnavailable(RetryableIntegrationError):
    """A 5xx answer, a refused connection, or a connection dropped before the answer came."""

    kind = "unavailable"


class UpstreamTimeout(RetryableIntegrationError):
    """No complete answer within the call's timeout."""

    kind = "timeout"


class UpstreamThrottled(RetryableIntegrationError):
    """``429 Too Many Requests``; ``retry_after`` is the wait the third party asked for."""

    kind = "throttled"


class RetryDeadlineExceeded(RetryableIntegrationError):
    """The call kept failing in retryable ways until its deadline; ``last`` is the last failure."""

    kind = "deadline_exceeded"

    def __init__(self, service: str, detail: str, *, last: IntegrationError, attempts: int) -> None:
        super().__init__(service, detail, status=last.status, retry_after=last.retry_after)
        self.last = last
        self.attempts = attempts


class MalformedResponse(RetryableIntegrationError):
    """The answer was not the documented shape (not JSON, wrong types, a bad header).

    ``raw`` keeps the body exactly as received so a caller can quarantine or hash it; it is never
    logged. Retryable, because a gateway or a truncated transfer is the usual cause; a peer that
    keeps answering garbage exhausts the job's tries and is recorded as failed.
    """

    kind = "malformed_response"

    def __init__(
        self,
        service: str,
        detail: str,
        *,
        status: int | None = None,
        raw: bytes = b"",
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(service, detail, status=status)
        self.raw = raw
        self.problems = problems


class AuthenticationFailed(PermanentIntegrationError):
    """The credentials were refused (a wrong client secret or API key, a revoked client)."""

    kind = "authentication_failed"


class RequestRejected(PermanentIntegrationError):
    """A 4xx other than the kinds below: the request itself is wrong. ``code`` is the third
    party's own error code when it sent one."""

    kind = "rejected"

    def __init__(
        self, service: str, detail: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(service, detail, status=status)
        self.code = code


class ResourceNotFound(PermanentIntegrationError):
    kind = "not_found"


class PreconditionFailed(PermanentIntegrationError):
    """``412``: the record changed since its ETag was read; re-read and decide again."""

    kind = "precondition_failed"
