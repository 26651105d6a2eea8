"""Staff see a customer's loans, schedules and transactions, with the LMS's customer record."""

from __future__ import annotations

import aioodbc
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.loanbook import customer_with_loans

Client = AsyncTestClient[Litestar]


async def test_casework_staff_see_a_customers_loans_and_lms_record(
    client: Client,
    customer_token: TokenFactory,
    staff_token: TokenFactory,
    loanbook_conn: aioodbc.Connection,
) -> None:
    customer_headers, customer_id = await customer_with_loans(customer_token, loanbook_conn)
    staff = bearer(await staff_token("operations"))
    response = await client.get(f"/v1/staff/customers/{customer_id}/loans", headers=staff)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer_id"] == customer_id
    assert body["lms_customer"]["last_name"]
    assert body["lms_customer"]["postcode"]
    own = (await client.get("/v1/loans", headers=customer_headers)).json()["items"]
    assert body["items"] == own

    live = next(loan for loan in own if loan["status"] == "live")
    base = f"/v1/staff/customers/{customer_id}/loans/{live['id']}"
    assert (await client.get(base, headers=staff)).json() == live
    schedule = (await client.get(f"{base}/schedule", headers=staff)).json()
    assert len(schedule["instalments"]) == 12
    page = (await client.get(f"{base}/transactions", params={"limit": 3}, headers=staff)).json()
    assert (page["total"], len(page["items"]), page["next_offset"]) == (5, 3, 3)


async def test_a_loan_under_the_wrong_customer_is_not_found(
    client: Client,
    customer_token: TokenFactory,
    staff_token: TokenFactory,
    loanbook_conn: aioodbc.Connection,
) -> None:
    owner_headers, _ = await customer_with_loans(customer_token, loanbook_conn)
    _, other_id = await customer_with_loans(customer_token, loanbook_conn)
    loan_id = (await client.get("/v1/loans", headers=owner_headers)).json()["items"][0]["id"]
    staff = bearer(await staff_token("underwriter"))
    response = await client.get(f"/v1/staff/customers/{other_id}/loans/{loan_id}", headers=staff)
    assert response.status_code == 404


async def test_a_customer_unknown_to_the_lms_has_no_record_and_no_loans(
    client: Client, staff_token: TokenFactory
) -> None:
    staff = bearer(await staff_token("admin"))
    response = await client.get("/v1/staff/customers/sub-nobody/loans", headers=staff)
    assert response.status_code == 200
    assert response.json() == {"customer_id": "sub-nobody", "lms_customer": None, "items": []}


async def test_analysts_may_not_see_a_persons_loans(
    client: Client, staff_token: TokenFactory, customer_token: TokenFactory
) -> None:
    analyst = bearer(await staff_token("analyst"))
    response = await client.get("/v1/staff/customers/sub-anyone/loans", headers=analyst)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    as_customer = bearer(await customer_token())
    refused = await client.get("/v1/staff/customers/sub-anyone/loans", headers=as_customer)
    assert refused.status_code == 401
