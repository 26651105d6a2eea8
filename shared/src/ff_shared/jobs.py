"""Job names and payloads: the contract between the API and the workers.

Jobs take ids, not objects; each worker reloads what it needs and is idempotent, because arq may
run a job more than once. The API enqueues by name and never imports a worker.
"""

from __future__ import annotations

import msgspec

CORE_QUEUE = "ff:queue:core"


class JobRef(msgspec.Struct, frozen=True, kw_only=True):
    """What an enqueue returns to the caller: enough to find the job again."""

    job_id: str
    name: str


LMS_RUN = "lms_run"
"""lms-restorer: carry out the run ``run_id`` (already catalogued, status queued)."""


class LmsRunJob(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str


JOB_CREATE_LMS_LOAN = "create_lms_loan"
"""Book an accepted offer as a loan in Anchor LMS. Payload: ``application_id``; enqueued with
``_job_id=lms_loan_job_id(application_id)`` so a repeated acceptance never books twice."""


def lms_loan_job_id(application_id: str) -> str:
    return f"{JOB_CREATE_LMS_LOAN}:{application_id}"


JOB_SEND_APPLICATION_EMAIL = "send_application_email"
"""E-mail the customer about a review event. Payload: ``application_id``, ``kind`` (an
``ff_shared.domain.emails.EmailKind``) and ``version``, the application version whose write
recorded the event; the job sends only if that write happened, and only once."""


def application_email_job_id(application_id: str, kind: str, version: int) -> str:
    return f"{JOB_SEND_APPLICATION_EMAIL}:{application_id}:{kind}:{version}"
