"""sync_customer_to_crm: staff corrections of a customer's profile reach the Dynamics contact,
erasure empties the contact's personal columns, and the subject-access export shows the contact
as the CRM holds it (read from the simulator through the real client)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.dynamics import DynamicsSimulator
from tests.fixtures.staff import ApplicantFactory, StaffFactory, SubmitFactory
from tests.workers.core.sync_harness import drain

from ff_shared.integrations.dynamics.schemas import CONTACTS, LOAN_APPLICATIONS
from ff_shared.settings import Settings

Client = AsyncTestClient[Litestar]

PERSONAL_COLUMNS = (
    "firstname",
    "lastname",
    "emailaddress1",
    "mobilephone",
    "birthdate",
    "address1_line1",
    "address1_city",
    "address1_postalcode",
)


async def _contact(sim: DynamicsSimulator, customer_id: str) -> dict[str, Any]:
    [contact] = [r for r in await sim.rows(CONTACTS) if r["ff_platformid"] == customer_id]
    return contact


async def _version(client: Client, headers: dict[str, str], customer_id: str) -> int:
    view = await client.get(f"/v1/staff/customers/{customer_id}", headers=headers)
    version: int = view.json()["version"]
    return version


async def test_staff_edits_reach_the_crm_contact_and_erasure_empties_it(
    client: Client,
    settings: Settings,
    dynamics_sim: DynamicsSimulator,
    applicant: ApplicantFactory,
    submit_application: SubmitFactory,
    staff_as: StaffFactory,
) -> None:
    who = await applicant()
    app = await submit_application(who)
    await drain(settings)
    synced = await _contact(dynamics_sim, who.customer_id)
    assert synced["lastname"] == who.personal["last_name"]

    operations = await staff_as("operations")
    edit = await client.patch(
        f"/v1/staff/customers/{who.customer_id}",
        json={
            "version": await _version(client, operations.headers, who.customer_id),
            "mobile": "07700 900461",
            "email": "corrected@example.net",
        },
        headers=operations.headers,
    )
    assert edit.status_code == 200, edit.text
    await drain(settings)
    corrected = await _contact(dynamics_sim, who.customer_id)
    assert corrected["mobilephone"] == "07700 900461"
    assert corrected["emailaddress1"] == "corrected@example.net"
    assert corrected["lastname"] == who.personal["last_name"], "the rest is from the form"

    export = await client.get(
        f"/v1/staff/customers/{who.customer_id}/export", headers=operations.headers
    )
    assert export.status_code == 200, export.text
    held = export.json()["crm_contact"]
    assert held["contactid"] == corrected["contactid"]
    assert held["mobilephone"] == "07700 900461"

    admin = await staff_as("admin")
    erased = await client.post(
        f"/v1/staff/customers/{who.customer_id}/erase",
        json={"version": await _version(client, admin.headers, who.customer_id)},
        headers=admin.headers,
    )
    assert erased.status_code == 200, erased.text
    assert any(e["where"].startswith("Dynamics 365 contact") for e in erased.json()["erased"])
    await drain(settings)
    emptied = await _contact(dynamics_sim, who.customer_id)
    assert emptied["contactid"] == synced["contactid"], "the same row, emptied"
    assert {column: emptied.get(column) for column in PERSONAL_COLUMNS} == dict.fromkeys(
        PERSONAL_COLUMNS
    )
    [row] = [
        r for r in await dynamics_sim.rows(LOAN_APPLICATIONS) if r["ff_platformid"] == app["id"]
    ]
    assert row["ff_obvreference"] is None
