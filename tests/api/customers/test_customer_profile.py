from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.api import TokenFactory, bearer

Client = AsyncTestClient[Litestar]


async def test_profile_is_created_on_first_sight_with_the_token_email(
    client: Client, customer_token: TokenFactory
) -> None:
    headers = bearer(await customer_token("profile.first@example.com"))
    me = (await client.get("/v1/me", headers=headers)).json()
    assert me["email"] == "profile.first@example.com"
    assert me["version"] == 1
    assert me["settings"] == {
        "marketing_opt_in": False,
        "contact_channel": "email",
        "paperless": True,
    }


async def test_patch_changes_only_what_was_sent(
    client: Client, customer_token: TokenFactory
) -> None:
    headers = bearer(await customer_token())
    me = (await client.get("/v1/me", headers=headers)).json()
    response = await client.patch(
        "/v1/me",
        json={
            "version": me["version"],
            "preferred_name": "Sam",
            "settings": {"contact_channel": "sms"},
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["preferred_name"] == "Sam"
    assert updated["settings"] == {
        "marketing_opt_in": False,
        "contact_channel": "sms",
        "paperless": True,
    }
    assert updated["version"] == me["version"] + 1


async def test_a_stale_profile_write_is_a_conflict(
    client: Client, customer_token: TokenFactory
) -> None:
    headers = bearer(await customer_token())
    me = (await client.get("/v1/me", headers=headers)).json()
    ok = await client.patch(
        "/v1/me", json={"version": me["version"], "preferred_name": "A"}, headers=headers
    )
    assert ok.status_code == 200
    stale = await client.patch(
        "/v1/me", json={"version": me["version"], "preferred_name": "B"}, headers=headers
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert (await client.get("/v1/me", headers=headers)).json()["preferred_name"] == "A"


async def test_profile_patch_rejects_unknown_fields_and_bad_values(
    client: Client, customer_token: TokenFactory
) -> None:
    headers = bearer(await customer_token())
    me = (await client.get("/v1/me", headers=headers)).json()
    unknown = await client.patch(
        "/v1/me", json={"version": me["version"], "email": "x@example.com"}, headers=headers
    )
    assert unknown.status_code == 422
    bad = await client.patch(
        "/v1/me", json={"version": me["version"], "mobile": "not a phone"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "mobile"
    assert (await client.get("/v1/me", headers=headers)).json()["version"] == me["version"]
