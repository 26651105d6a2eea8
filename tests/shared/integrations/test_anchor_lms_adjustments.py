"""ReversePayment and RecordUnpaidCollection: the client against the simulator over a real
socket, in the loan book and in memory; each adjustment is made once, whatever the repeats."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aioodbc
import pytest
from aiohttp import web

from ff_shared.clock import london_today
from ff_shared.domain.loans import (
    CustomerDetails,
    InstalmentStatus,
    LoanStatus,
    LoanTerms,
    TransactionType,
)
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.anchor_lms.errors import (
    AnchorLmsPaymentNotFound,
    AnchorLmsValidationFault,
)
from ff_shared.settings import AnchorLmsSettings
from ff_shared.stores.loanbook import queries
from ff_standins.anchor_lms.simulator import Credentials, create_app
from ff_standins.servers import free_port

CREDENTIALS = Credentials(username="u", user_id="7", password="memory-pw")


def _terms() -> LoanTerms:
    # Starting today: no instalment is due yet, so any arrears come from the adjustments.
    return LoanTerms(
        advance_pence=60_000,
        term_months=6,
        annual_rate_bps=3600,
        apr_percent=42.6,
        start_date=london_today(),
    )


async def _book(client: AnchorLmsClient) -> str:
    created = await client.create_agreement(
        application_id=f"app-{uuid.uuid4().hex}",
        customer=CustomerDetails(
            platform_customer_id=f"sub-{uuid.uuid4().hex}", first_name="Ada", last_name="Lo"
        ),
        terms=_terms(),
    )
    return created.loan.agreement_number


@pytest.fixture(scope="module")
async def memory_client() -> AsyncIterator[AnchorLmsClient]:
    port = free_port()
    runner = web.AppRunner(create_app(credentials=CREDENTIALS))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    settings = AnchorLmsSettings(
        base_url=f"http://127.0.0.1:{port}/AnchorCollections.svc",
        username=CREDENTIALS.username,
        user_id=CREDENTIALS.user_id,
        password=CREDENTIALS.password,
        timeout_seconds=2.0,
        backoff_seconds=0.01,
    )
    try:
        async with AnchorLmsClient(settings) as client:
            yield client
    finally:
        await runner.cleanup()


async def _reversal_round_trip(client: AnchorLmsClient) -> str:
    number = await _book(client)
    opening = await client.get_agreement(number)
    schedule = await client.get_schedule(number)
    first = schedule[0].amount_pence
    await client.record_payment(
        number, amount_pence=first, payment_date=london_today(), reference="FFPAY-PM1"
    )
    await client.record_payment(
        number, amount_pence=2_000, payment_date=london_today(), reference="FFPAY-PM2"
    )
    reversed_ = await client.reverse_payment(
        number, reference="FFPAY-PM2", reversal_date=london_today(), reason="charged_back"
    )
    assert reversed_.duplicate is False
    assert reversed_.amount_pence == 2_000
    assert reversed_.balance_pence == opening.balance_pence - first
    again = await client.reverse_payment(
        number, reference="FFPAY-PM2", reversal_date=london_today(), reason="charged_back"
    )
    assert (again.duplicate, again.transaction_id) == (True, reversed_.transaction_id)
    assert again.balance_pence == reversed_.balance_pence
    # Reversing the first instalment's payment leaves the schedule as it was booked.
    await client.reverse_payment(
        number, reference="FFPAY-PM1", reversal_date=london_today(), reason="charged_back"
    )
    after = await client.get_schedule(number)
    assert [i.paid_pence for i in after] == [0] * len(after)
    loan = await client.get_agreement(number)
    assert loan.balance_pence == opening.balance_pence
    # A reversed payment recorded again is still the payment the LMS has: not booked twice.
    replay = await client.record_payment(
        number, amount_pence=2_000, payment_date=london_today(), reference="FFPAY-PM2"
    )
    assert replay.duplicate is True
    with pytest.raises(AnchorLmsPaymentNotFound):
        await client.reverse_payment(
            number, reference="FFPAY-NEVER", reversal_date=london_today(), reason="charged_back"
        )
    kinds = [t.type_id for t in await client.get_transactions(number)]
    assert kinds.count(TransactionType.PAYMENT_REVERSAL) == 2
    return number


async def test_a_payment_is_reversed_once_in_the_loan_book(
    anchor: AnchorLmsClient, loanbook_conn: aioodbc.Connection
) -> None:
    number = await _reversal_round_trip(anchor)
    stored = await queries.find_loan(loanbook_conn, number)
    assert stored is not None
    assert stored.balance_pence == stored.total_repayable_pence
    listed = await queries.all_transactions(loanbook_conn, number)
    reversals = [t for t in listed if t.type_id == TransactionType.PAYMENT_REVERSAL]
    assert [(t.reference, t.direction, t.type) for t in reversals] == [
        ("FFPAY-PM2", 1, "payment_reversal"),
        ("FFPAY-PM1", 1, "payment_reversal"),
    ]


async def test_a_payment_is_reversed_once_in_memory(memory_client: AnchorLmsClient) -> None:
    await _reversal_round_trip(memory_client)


async def _unpaid_round_trip(client: AnchorLmsClient) -> str:
    number = await _book(client)
    schedule = await client.get_schedule(number)
    assert schedule[0].status is InstalmentStatus.DUE
    amount = schedule[0].amount_pence
    noted = await client.record_unpaid_collection(
        number,
        instalment_number=1,
        amount_pence=amount,
        return_date=london_today(),
        reference="FFRTN-PM9-0",
        reason="insufficient_funds",
    )
    assert noted.duplicate is False
    assert noted.arrears_pence == amount
    assert noted.status is LoanStatus.ARREARS
    repeat = await client.record_unpaid_collection(
        number,
        instalment_number=1,
        amount_pence=amount,
        return_date=london_today(),
        reference="FFRTN-PM9-0",
        reason="insufficient_funds",
    )
    assert (repeat.duplicate, repeat.transaction_id) == (True, noted.transaction_id)
    loan = await client.get_agreement(number)
    assert (loan.arrears_pence, loan.status) == (amount, LoanStatus.ARREARS)
    assert loan.balance_pence == loan.total_repayable_pence
    assert (await client.get_schedule(number))[0].status is InstalmentStatus.OVERDUE
    # Paying the arrears clears them.
    await client.record_payment(
        number, amount_pence=amount, payment_date=london_today(), reference="FFPAY-PN1"
    )
    cleared = await client.get_agreement(number)
    assert (cleared.arrears_pence, cleared.status) == (0, LoanStatus.LIVE)
    with pytest.raises(AnchorLmsValidationFault):
        await client.record_unpaid_collection(
            number,
            instalment_number=99,
            amount_pence=amount,
            return_date=london_today(),
            reference="FFRTN-PM9-1",
            reason="insufficient_funds",
        )
    notes = [
        t
        for t in await client.get_transactions(number)
        if t.type_id == TransactionType.UNPAID_COLLECTION
    ]
    assert [(t.reference, t.direction, t.amount_pence) for t in notes] == [
        ("FFRTN-PM9-0", 0, amount)
    ]
    return number


async def test_a_returned_collection_is_arrears_in_the_loan_book(
    anchor: AnchorLmsClient, loanbook_conn: aioodbc.Connection
) -> None:
    number = await _unpaid_round_trip(anchor)
    stored = await queries.find_loan(loanbook_conn, number)
    assert stored is not None
    assert stored.arrears_pence == 0


async def test_a_returned_collection_is_arrears_in_memory(memory_client: AnchorLmsClient) -> None:
    await _unpaid_round_trip(memory_client)
