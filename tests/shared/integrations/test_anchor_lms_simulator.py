"""The Anchor LMS simulator's wire format, and its in-memory mode (no loan book)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest
from aiohttp import web
from lxml import etree
from tests.fixtures.anchor_lms import AnchorSimulator

from ff_shared.domain.loans import CustomerDetails, LoanTerms
from ff_shared.integrations.anchor_lms.client import WSDL_PATH, AnchorLmsClient
from ff_shared.integrations.anchor_lms.schemas import NAMESPACE
from ff_shared.settings import AnchorLmsSettings
from ff_standins.anchor_lms.simulator import Credentials, create_app
from ff_standins.servers import free_port

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CREDENTIALS = Credentials(username="u", user_id="7", password="memory-pw")


@pytest.fixture(scope="module")
async def memory_lms() -> AsyncIterator[str]:
    """An in-memory simulator in this process (no loan book)."""
    port = free_port()
    runner = web.AppRunner(create_app(credentials=CREDENTIALS))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _settings(url: str) -> AnchorLmsSettings:
    return AnchorLmsSettings(
        base_url=f"{url}/AnchorCollections.svc",
        username=CREDENTIALS.username,
        user_id=CREDENTIALS.user_id,
        password=CREDENTIALS.password,
        timeout_seconds=2.0,
        backoff_seconds=0.01,
    )


def _fault_code(body: bytes) -> tuple[str, str]:
    root = etree.fromstring(body)
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None
    code = fault.find(f"detail/{{{NAMESPACE}}}AnchorFault/{{{NAMESPACE}}}Code")
    assert code is not None
    return fault.findtext("faultcode") or "", code.text or ""


async def test_the_wsdl_is_served_as_kept_in_the_repository(
    anchor_sim: AnchorSimulator, anchor_http: aiohttp.ClientSession
) -> None:
    async with anchor_http.get(f"{anchor_sim.service_url}?wsdl") as response:
        assert response.status == 200
        assert await response.read() == WSDL_PATH.read_bytes()


async def test_a_body_that_is_not_xml_gets_a_client_fault(
    anchor_sim: AnchorSimulator, anchor_http: aiohttp.ClientSession
) -> None:
    async with anchor_http.post(
        anchor_sim.service_url, data=b"<not-closed", headers={"Content-Type": "text/xml"}
    ) as response:
        assert response.status == 400
        assert _fault_code(await response.read()) == ("s:Client", "DeserializationFailed")


async def test_an_unknown_operation_gets_action_not_supported(
    anchor_sim: AnchorSimulator, anchor_http: aiohttp.ClientSession
) -> None:
    envelope = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
        f'<DeleteEverything xmlns="{NAMESPACE}"/></s:Body></s:Envelope>'
    ).encode()
    async with anchor_http.post(
        anchor_sim.service_url,
        data=envelope,
        headers={"Content-Type": "text/xml", "SOAPAction": '"x/DeleteEverything"'},
    ) as response:
        assert response.status == 500
        assert _fault_code(await response.read()) == ("s:Client", "ActionNotSupported")


async def test_a_request_without_its_required_parts_is_a_validation_fault(
    anchor_sim: AnchorSimulator, anchor_http: aiohttp.ClientSession
) -> None:
    defaults = AnchorLmsSettings()
    envelope = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><GetAgreement xmlns="{NAMESPACE}"><request>'
        f"<Credentials><UserName>{defaults.username}</UserName><UserID>{defaults.user_id}"
        f"</UserID><Password>{defaults.password}</Password></Credentials>"
        "</request></GetAgreement></s:Body></s:Envelope>"
    ).encode()
    async with anchor_http.post(
        anchor_sim.service_url, data=envelope, headers={"Content-Type": "text/xml"}
    ) as response:
        assert response.status == 500
        assert _fault_code(await response.read()) == ("s:Client", "ValidationFailed")


async def test_in_memory_the_simulator_books_once_per_application(memory_lms: str) -> None:
    customer = CustomerDetails(platform_customer_id="sub-memory", first_name="A", last_name="B")
    terms = LoanTerms(
        advance_pence=50_000,
        term_months=6,
        annual_rate_bps=3600,
        apr_percent=42.6,
        start_date=date(2026, 3, 1),
    )
    application_id = f"app-{uuid.uuid4().hex}"
    async with AnchorLmsClient(_settings(memory_lms)) as client:
        first = await client.create_agreement(
            application_id=application_id, customer=customer, terms=terms
        )
        second = await client.create_agreement(
            application_id=application_id, customer=customer, terms=terms
        )
        other = await client.create_agreement(
            application_id=f"app-{uuid.uuid4().hex}", customer=customer, terms=terms
        )
        assert (first.created, second.created, other.created) == (True, False, True)
        assert first.loan.agreement_number == second.loan.agreement_number
        assert other.loan.agreement_number != first.loan.agreement_number
        schedule = await client.get_schedule(first.loan.agreement_number)
        assert len(schedule) == 6
        receipt = await client.record_payment(
            first.loan.agreement_number,
            amount_pence=schedule[0].amount_pence,
            payment_date=date(2026, 4, 1),
            reference="MEM-1",
        )
        assert receipt.balance_pence == first.loan.balance_pence - schedule[0].amount_pence
        after = await client.get_schedule(first.loan.agreement_number)
        assert after[0].paid_pence == after[0].amount_pence
