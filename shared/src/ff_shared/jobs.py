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


JOB_SYNC_APPLICATION_TO_CRM = "sync_application_to_crm"
"""Upsert the customer as a Dynamics contact and the application as an ``ff_loanapplications``
row, and record the CRM ids on the application. Enqueued (before the write it is about, keyed by
the version that write produces) on submission, on every staff review action and when open
banking changes the application; the job syncs the latest state, so any run is enough."""


class CrmSyncJob(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    version: int
    """The application version whose write asked for the sync; the job waits briefly for it to
    land and skips the sync if it never does (the write was refused)."""


def crm_sync_job_id(application_id: str, version: int) -> str:
    return f"{JOB_SYNC_APPLICATION_TO_CRM}:{application_id}:{version}"


JOB_CHECK_OPEN_BANKING = "check_open_banking"
"""Check an application's OBV consent; once the report is ready, fetch it, keep its summary and
re-run the decision on the verified income and essential spending as a new decision version.
Enqueued when the consent starts (then it polls itself) and when the customer comes back from
the bank journey (the callback)."""


class OpenBankingCheckJob(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    reference: str
    """The OBV reference the job is about; a newer consent on the application supersedes it."""


def open_banking_job_id(application_id: str, reference: str, source: str) -> str:
    """``source`` is ``poll`` or ``callback``: a callback runs at once even while a poll waits."""
    return f"{JOB_CHECK_OPEN_BANKING}:{application_id}:{reference}:{source}"


JOB_PROCESS_PAYMENT_EVENT = "process_payment_event"
"""Apply one stored payment-provider webhook event: read the resource's current state from the
provider and bring the mandate or payment (and the loan book, on confirmation) up to it, once.
Payload: ``event_id``; enqueued with ``_job_id=payment_event_job_id(event_id)``."""


def payment_event_job_id(event_id: str) -> str:
    return f"{JOB_PROCESS_PAYMENT_EVENT}:{event_id}"


JOB_SCHEDULE_COLLECTIONS = "schedule_collections"
"""Create the Direct Debit collections of instalments falling due (Bacs lead time, working
days, forbearance). Payload: optional ``today`` (ISO date) for operations and tests; daily cron."""


JOB_SEND_PAYMENT_EMAIL = "send_payment_email"
"""E-mail the customer about a failed collection. Payload: ``payment_id`` (ours); enqueued with
``_job_id=payment_email_job_id(...)`` so each failure is told once."""


def payment_email_job_id(provider_payment_id: str, retries: int) -> str:
    """Keyed by the provider's payment id (unique across environments sharing a Redis) and the
    presentation that failed."""
    return f"{JOB_SEND_PAYMENT_EMAIL}:{provider_payment_id}:{retries}"


def funding_job_id(application_id: str) -> str:
    """``create_lms_loan`` enqueued when the customer's mandate becomes active (the acceptance's
    own job may have found no mandate yet)."""
    return f"{JOB_CREATE_LMS_LOAN}:{application_id}:mandate-active"


JOB_SYNC_CUSTOMER_TO_CRM = "sync_customer_to_crm"
"""Upsert the customer's Dynamics contact from their profile (staff corrections) and latest
application, or, once they are erased, with every personal column empty. Payload:
``customer_id`` and ``version``, the profile version whose write asked for it (the job waits
briefly for it to land); enqueued with ``_job_id=customer_crm_job_id(...)``."""


def customer_crm_job_id(customer_id: str, version: int) -> str:
    return f"{JOB_SYNC_CUSTOMER_TO_CRM}:{customer_id}:{version}"
