"""Direct Debit collections on the core worker: ``schedule_collections`` (daily) creates each
instalment's collection ahead of its due date (Bacs lead time, working days), honouring
forbearance: nothing in a breathing space, the plan's amount under a payment plan."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import structlog
from arq import Retry

from ff_shared.clock import london_today, now_utc
from ff_shared.domain import payments as rules
from ff_shared.domain.loans import InstalmentStatus
from ff_shared.domain.payments import (
    MandateRecord,
    PaymentKind,
    PaymentStatus,
)
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.errors import IntegrationError
from ff_shared.integrations.payments.provider import PaymentProvider
from ff_shared.stores.postgres import forbearance
from ff_shared.stores.postgres import payments as store

log = structlog.get_logger()


async def schedule_collections(ctx: dict[str, Any], today: str | None = None) -> dict[str, Any]:
    pool: asyncpg.Pool = ctx["payments_pg"]
    day = date.fromisoformat(today) if today else london_today()
    async with pool.acquire() as conn:
        mandates = await store.active_mandates_with_loans(conn)
    created = 0
    failed: list[str] = []
    retry = False
    for mandate in mandates:
        # One loan the provider or the LMS refuses must not stop the others' collections.
        try:
            created += await _collect_for_loan(ctx, mandate, day)
        except IntegrationError as exc:
            failed.append(str(mandate.loan_id))
            retry = retry or exc.retryable
            log.error(
                "collection_not_created",
                loan_id=mandate.loan_id,
                error=exc.kind,
                retryable=exc.retryable,
            )
    log.info("collections_scheduled", loans=len(mandates), created=created, failed=len(failed))
    if retry and int(ctx.get("job_try") or 1) < 3:
        # Every step is idempotent: a second run creates only what the first could not.
        raise Retry(defer=ctx["settings"].payments.retry_defer_seconds)
    return {"loans": len(mandates), "created": created, "failed": failed}


async def _collect_for_loan(ctx: dict[str, Any], mandate: MandateRecord, day: date) -> int:
    pool: asyncpg.Pool = ctx["payments_pg"]
    provider: PaymentProvider = ctx["payments_provider"]
    lms: AnchorLmsClient = ctx["anchor_lms"]
    lead = ctx["settings"].payments.lead_working_days
    assert mandate.loan_id is not None
    assert mandate.mandate_id is not None
    loan_id = mandate.loan_id
    schedule = await lms.get_schedule(loan_id)
    created = 0
    for instalment in schedule:
        if instalment.status is InstalmentStatus.PAID:
            continue
        if not rules.collection_due(instalment.due_date, day):
            continue
        charge_date = rules.planned_charge_date(instalment.due_date, day, lead)
        async with pool.acquire() as conn:
            existing = await store.find_collection(conn, loan_id, instalment.number)
            arrangement = rules.active_arrangement(
                await forbearance.loan_arrangements(conn, loan_id), charge_date
            )
        if existing is not None and existing.provider_payment_id is not None:
            continue
        amount = rules.collection_amount(
            instalment.amount_pence - instalment.paid_pence, arrangement
        )
        if amount <= 0:
            log.info("collection_paused", loan_id=loan_id, instalment=instalment.number)
            continue
        key = f"collection:{loan_id}:{instalment.number}"
        async with pool.acquire() as conn:
            if existing is None:
                # Recorded before the provider is asked: a crash in between re-asks with the
                # same Idempotency-Key, which answers the payment already created.
                existing = await store.insert_payment(
                    conn,
                    kind=PaymentKind.COLLECTION,
                    customer_id=mandate.customer_id,
                    loan_id=loan_id,
                    amount_pence=amount,
                    idempotency_key=key,
                    status=PaymentStatus.PENDING_SUBMISSION,
                    instalment_number=instalment.number,
                    charge_date=charge_date,
                    now=now_utc(),
                )
        payment = await provider.create_collection(
            mandate_id=mandate.mandate_id,
            amount_pence=existing.amount_pence,
            charge_date=charge_date,
            reference=loan_id,
            metadata={"loan_id": loan_id, "instalment": str(instalment.number), "payment_key": key},
            idempotency_key=key,
        )
        async with pool.acquire() as conn:
            await store.update_payment(
                conn,
                existing.id,
                status=payment.status,
                now=now_utc(),
                provider_payment_id=payment.id,
                charge_date=payment.charge_date,
            )
        created += 1
    return created


# --- e-mails -----------------------------------------------------------------------------------
