"""Telling operations a run went wrong: an error log line and an e-mail through SES."""

from __future__ import annotations

import structlog

from ff_shared.integrations.aws.email import EmailNotSent, send_email
from ff_workers.lms_restorer.context import Clients

log = structlog.get_logger()


async def alert(clients: Clients, *, run_id: str, subject: str, lines: list[str]) -> str | None:
    """Log and e-mail; return the SES message id (None when SES refused: the log line and the
    catalogue still carry the failure, and the mail failure is logged at error level)."""
    lms = clients.lms
    recipients = [r.strip() for r in lms.alert_recipients.split(",") if r.strip()]
    log.error("lms_alert_raised", run_id=run_id, subject=subject)
    if not recipients:
        return None
    text = "\n".join(
        [
            *lines,
            "",
            f"Run: {run_id}",
            "See: GET /v1/staff/ops/lms/runs/" + run_id + "  or  ff lms runs",
        ]
    )
    try:
        return await send_email(
            clients.ses,
            sender=lms.alert_sender,
            to=recipients,
            subject=f"[lms-restorer] {subject}",
            text=text,
            purpose="lms_alert",
        )
    except EmailNotSent as exc:
        log.error("lms_alert_email_failed", run_id=run_id, retryable=exc.retryable)
        return None
