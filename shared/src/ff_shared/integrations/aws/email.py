"""Outgoing e-mail through SES. Callers compose the text; this module only sends it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import structlog
from botocore.exceptions import ClientError

log = structlog.get_logger()


class EmailNotSent(Exception):
    """SES refused or failed the message; ``retryable`` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


_PERMANENT = {"MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue"}


@runtime_checkable
class SesClient(Protocol):
    """The SES call made here (an aioboto3 ``ses`` client)."""

    async def send_email(
        self,
        *,
        Source: str,
        Destination: Mapping[str, Any],
        Message: Mapping[str, Any],
    ) -> Mapping[str, Any]: ...


async def send_email(
    ses: SesClient, *, sender: str, to: Sequence[str], subject: str, text: str, purpose: str
) -> str:
    """Send a plain-text message; return the SES message id. ``purpose`` is logged, not the text."""
    try:
        result = await ses.send_email(
            Source=sender,
            Destination={"ToAddresses": list(to)},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
            },
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        log.warning("email_failed", purpose=purpose, code=code)
        raise EmailNotSent(
            f"SES refused the message: {code}", retryable=code not in _PERMANENT
        ) from exc
    message_id = str(result["MessageId"])
    log.info("email_sent", purpose=purpose, message_id=message_id, recipients=len(to))
    return message_id
