"""The Anchor LMS client against the simulator over a real socket (booking into the loan book)."""

from __future__ import annotations

import uuid
from datetime import date

import aioodbc
import msgspec
import pytest
from tests.fixtures.anchor_lms import AnchorSimulator

from ff_shared.clock import london_today
from ff_shared.domain.loans import CustomerDetails, LoanStatus, LoanTerms, TransactionType
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.anchor_lms.errors import (
    AnchorLmsAgreementNotFound,
    AnchorLmsAuthenticationFailed,
    AnchorLmsPaymentRejected,
    AnchorLmsServerFault,
    AnchorLmsValidationFault,
)
from ff_shared.integrations.errors import MalformedResponse, UpstreamTimeout, UpstreamUnavailable
from ff_shared.settings import AnchorLmsSettings
from ff_shared.stores.loanbook import queries


def _customer() -> CustomerDetails:
    return CustomerDetails(
        platform_customer_id=f"sub-{uuid.uuid4().hex}",
        title="Ms",
        first_name="Amelia",
        last_name="O'Brien",
        date_of_birth=date(1990, 5, 14),
        email="amelia@example.com",
        mobile_phone="07700900123",
        address_line1="12 Harbour Street",
        town="Leeds",
        postcode="LS1 4AP",
    )


TERMS = LoanTerms(
    advance_pence=100_000,
    term_months=12,
    annual_rate_bps=3600,
    apr_percent=42.6,
    start_date=date(2026, 1, 15),
)


async def _requests_since(sim: AnchorSimulator, seq: int) -> list[dict[str, object]]:
    return [r for r in await sim.requests(after=seq) if r["path"] == "/AnchorCollections.svc"]


async def test_create_agreement_books_the_offer_and_it_is_in_the_loan_book(
    anchor: AnchorLmsClient, loanbook_conn: aioodbc.Connection
) -> None:
    customer = _customer()
    application_id = f"app-{uuid.uuid4().hex}"
    created = await anchor.create_agreement(
        application_id=application_id, customer=customer, terms=TERMS
    )
    assert created.created is True
    loan = created.loan
    assert loan.application_id == application_id
    assert loan.customer_id == customer.platform_customer_id
    assert loan.advance_pence == 100_000
    assert loan.instalment_pence == 10_046
    assert loan.total_repayable_pence == 120_557
    assert loan.balance_pence == 120_557
    assert loan.first_payment_date == date(2026, 2, 15)

    stored = await queries.find_loan_by_application(loanbook_conn, application_id)
    assert stored is not None
    assert stored.agreement_number == loan.agreement_number
    assert stored.balance_pence == 120_557
    schedule = await queries.get_schedule(loanbook_conn, loan.agreement_number)
    assert len(schedule) == 12
    assert sum(i.amount_pence for i in schedule) == 120_557
    record = await queries.find_loan_customer(loanbook_conn, customer.platform_customer_id or "")
    assert record is not None
    assert (record.first_name, record.last_name, record.postcode) == (
        "Amelia",
        "O'Brien",
        "LS1 4AP",
    )


async def test_a_second_create_for_the_same_application_returns_the_first_agreement(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator, loanbook_conn: aioodbc.Connection
) -> None:
    application_id = f"app-{uuid.uuid4().hex}"
    customer = _customer()
    first = await anchor.create_agreement(
        application_id=application_id, customer=customer, terms=TERMS
    )
    second = await anchor.create_agreement(
        application_id=application_id, customer=customer, terms=TERMS
    )
    assert (first.created, second.created) == (True, False)
    assert second.loan.agreement_number == first.loan.agreement_number
    assert await anchor_sim.agreements_for(application_id) == [first.loan.agreement_number]
    async with loanbook_conn.cursor() as cur:
        await cur.execute(
            "SELECT COUNT(*) FROM Agreements WHERE ExternalReference = ?", (application_id,)
        )
        assert (await cur.fetchone())[0] == 1


async def test_an_answer_lost_after_booking_is_retried_without_booking_twice(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator
) -> None:
    application_id = f"app-{uuid.uuid4().hex}"
    seq = await anchor_sim.last_seq()
    await anchor_sim.fault("drop", after_processing=True, times=1)
    created = await anchor.create_agreement(
        application_id=application_id, customer=_customer(), terms=TERMS
    )
    assert created.created is False  # the retry found the agreement the lost answer booked
    assert await anchor_sim.agreements_for(application_id) == [created.loan.agreement_number]
    assert len(await _requests_since(anchor_sim, seq)) == 2


async def test_an_unknown_agreement_is_a_permanent_fault_asked_once(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator
) -> None:
    seq = await anchor_sim.last_seq()
    with pytest.raises(AnchorLmsAgreementNotFound) as caught:
        await anchor.get_agreement("FF99999999")
    assert caught.value.retryable is False
    assert caught.value.fault_code == "AgreementNotFound"
    assert len(await _requests_since(anchor_sim, seq)) == 1


async def test_a_passing_server_fault_is_retried(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator
) -> None:
    booked = await anchor.create_agreement(
        application_id=f"app-{uuid.uuid4().hex}", customer=_customer(), terms=TERMS
    )
    seq = await anchor_sim.last_seq()
    await anchor_sim.soap_fault("ServiceUnavailable", times=1)
    loan = await anchor.get_agreement(booked.loan.agreement_number)
    assert loan.agreement_number == booked.loan.agreement_number
    assert len(await _requests_since(anchor_sim, seq)) == 2


async def test_a_lasting_server_fault_is_a_retryable_error_after_every_attempt(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator, anchor_lms_settings: AnchorLmsSettings
) -> None:
    seq = await anchor_sim.last_seq()
    await anchor_sim.soap_fault("InternalError", times=None)
    with pytest.raises(AnchorLmsServerFault) as caught:
        await anchor.get_agreement("FF00000001")
    assert caught.value.retryable is True
    assert caught.value.fault_code == "InternalError"
    assert len(await _requests_since(anchor_sim, seq)) == anchor_lms_settings.max_attempts


async def test_refused_credentials_are_a_permanent_authentication_error(
    anchor_lms_settings: AnchorLmsSettings, anchor_sim: AnchorSimulator
) -> None:
    wrong = msgspec.structs.replace(anchor_lms_settings, password="not-the-password")
    seq = await anchor_sim.last_seq()
    async with AnchorLmsClient(wrong) as client:
        with pytest.raises(AnchorLmsAuthenticationFailed) as caught:
            await client.get_agreement("FF00000001")
    assert caught.value.retryable is False
    assert len(await _requests_since(anchor_sim, seq)) == 1


async def test_an_invalid_loan_is_a_validation_fault(anchor: AnchorLmsClient) -> None:
    bad = msgspec.structs.replace(TERMS, term_months=0)
    with pytest.raises(AnchorLmsValidationFault):
        await anchor.create_agreement(
            application_id=f"app-{uuid.uuid4().hex}", customer=_customer(), terms=bad
        )


async def test_http_5xx_is_retried_then_reported_unavailable(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator, anchor_lms_settings: AnchorLmsSettings
) -> None:
    seq = await anchor_sim.last_seq()
    await anchor_sim.fault("status", status=503, times=None)
    with pytest.raises(UpstreamUnavailable) as caught:
        await anchor.get_schedule("FF00000001")
    assert caught.value.status == 503
    assert caught.value.retryable is True
    assert len(await _requests_since(anchor_sim, seq)) == anchor_lms_settings.max_attempts


@pytest.mark.parametrize("body", ["truncated", "wrong_shape", "html"])
async def test_a_malformed_reply_is_rejected_as_malformed(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator, body: str
) -> None:
    await anchor_sim.fault("malformed", body=body, times=None)
    with pytest.raises(MalformedResponse) as caught:
        await anchor.get_transactions("FF00000001")
    assert caught.value.retryable is True


async def test_a_dropped_connection_is_unavailable(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator
) -> None:
    await anchor_sim.fault("drop", times=None)
    with pytest.raises(UpstreamUnavailable):
        await anchor.get_agreement("FF00000001")


async def test_a_slow_lms_times_out(
    anchor_lms_settings: AnchorLmsSettings, anchor_sim: AnchorSimulator
) -> None:
    await anchor_sim.clear()
    once = msgspec.structs.replace(anchor_lms_settings, max_attempts=1, timeout_seconds=0.5)
    await anchor_sim.fault("slow", delay_seconds=3.0, times=1)
    async with AnchorLmsClient(once) as client:
        with pytest.raises(UpstreamTimeout):
            await client.get_agreement("FF00000001")
    await anchor_sim.clear()


async def test_a_payment_is_recorded_once_per_reference(
    anchor: AnchorLmsClient, loanbook_conn: aioodbc.Connection
) -> None:
    booked = await anchor.create_agreement(
        application_id=f"app-{uuid.uuid4().hex}", customer=_customer(), terms=TERMS
    )
    number = booked.loan.agreement_number
    today = london_today()
    first = await anchor.record_payment(
        number, amount_pence=12_345, payment_date=today, reference="PAY-ONCE-1"
    )
    again = await anchor.record_payment(
        number, amount_pence=12_345, payment_date=today, reference="PAY-ONCE-1"
    )
    assert first.duplicate is False
    assert again.duplicate is True
    assert again.transaction_id == first.transaction_id
    assert first.balance_pence == 120_557 - 12_345

    transactions = await anchor.get_transactions(number)
    payments = [t for t in transactions if t.type_id == TransactionType.PAYMENT]
    assert [(p.amount_pence, p.reference) for p in payments] == [(12_345, "PAY-ONCE-1")]
    assert {t.type for t in transactions} == {"advance", "interest", "payment"}
    stored = await queries.find_loan(loanbook_conn, number)
    assert stored is not None
    assert stored.balance_pence == 120_557 - 12_345
    schedule = await anchor.get_schedule(number)
    assert schedule[0].paid_pence == schedule[0].amount_pence
    assert schedule[1].paid_pence == 12_345 - schedule[0].amount_pence


async def test_a_payment_answer_lost_after_recording_is_retried_into_the_same_payment(
    anchor: AnchorLmsClient, anchor_sim: AnchorSimulator
) -> None:
    booked = await anchor.create_agreement(
        application_id=f"app-{uuid.uuid4().hex}", customer=_customer(), terms=TERMS
    )
    number = booked.loan.agreement_number
    await anchor_sim.fault("malformed", body="truncated", after_processing=True, times=1)
    receipt = await anchor.record_payment(
        number, amount_pence=5_000, payment_date=london_today(), reference="PAY-LOST-1"
    )
    assert receipt.duplicate is True
    payments = [
        t for t in await anchor.get_transactions(number) if t.type_id == TransactionType.PAYMENT
    ]
    assert len(payments) == 1


async def test_a_payment_above_the_balance_is_refused_and_changes_nothing(
    anchor: AnchorLmsClient, loanbook_conn: aioodbc.Connection
) -> None:
    booked = await anchor.create_agreement(
        application_id=f"app-{uuid.uuid4().hex}", customer=_customer(), terms=TERMS
    )
    number = booked.loan.agreement_number
    with pytest.raises(AnchorLmsPaymentRejected) as caught:
        await anchor.record_payment(
            number, amount_pence=120_558, payment_date=london_today(), reference="PAY-TOO-MUCH"
        )
    assert caught.value.fault_code == "PaymentExceedsBalance"
    stored = await queries.find_loan(loanbook_conn, number)
    assert stored is not None
    assert stored.balance_pence == 120_557
    assert len(await queries.all_transactions(loanbook_conn, number)) == 2


async def test_paying_the_balance_settles_the_loan(anchor: AnchorLmsClient) -> None:
    booked = await anchor.create_agreement(
        application_id=f"app-{uuid.uuid4().hex}", customer=_customer(), terms=TERMS
    )
    number = booked.loan.agreement_number
    receipt = await anchor.record_payment(
        number, amount_pence=120_557, payment_date=london_today(), reference="PAY-ALL"
    )
    assert (receipt.balance_pence, receipt.status) == (0, LoanStatus.SETTLED)
    with pytest.raises(AnchorLmsPaymentRejected) as caught:
        await anchor.record_payment(
            number, amount_pence=1, payment_date=london_today(), reference="PAY-MORE"
        )
    assert caught.value.fault_code == "AgreementSettled"


async def test_soap_bodies_and_credentials_never_reach_the_logs(
    anchor_lms_settings: AnchorLmsSettings, capfd: pytest.CaptureFixture[str]
) -> None:
    from ff_shared.logging import configure_logging

    secret = f"pw-{uuid.uuid4().hex}"
    configure_logging(level="debug", json=True)
    try:
        settings = msgspec.structs.replace(anchor_lms_settings, password=secret, max_attempts=1)
        async with AnchorLmsClient(settings) as client:
            with pytest.raises(AnchorLmsAuthenticationFailed):
                await client.get_agreement("FF00000001")
    finally:
        configure_logging(level="warning", json=True)
    out, err = capfd.readouterr()
    assert "anchor_lms_call_failed" in out + err
    assert secret not in out + err
    assert "Envelope" not in out + err
