"""Bearer tokens are verified for real against moto's Cognito: signature, issuer, expiry, use."""

from __future__ import annotations

import gzip
import json
import time
from importlib import resources
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.fixtures.api import PASSWORD, TokenFactory, bearer
from tests.fixtures.servers import REGION

from ff_shared.integrations.aws.cognito import access_token, ensure_pool, ensure_user, issuer_for

Client = AsyncTestClient[Litestar]


def _moto_private_key() -> Any:
    """The key moto's Cognito signs every pool's tokens with, to mint tokens moto would not."""
    raw = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    return jwt.PyJWK(json.loads(gzip.decompress(raw))).key


def _claims(pool_id: str, client_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": issuer_for(REGION, pool_id),
        "sub": "9d0c6b5e-0000-4000-8000-000000000001",
        "client_id": client_id,
        "token_use": "access",
        "iat": now,
        "exp": now + 600,
        "username": "someone@example.com",
    }
    claims.update(overrides)
    return claims


async def _assert_401(client: Client, headers: dict[str, str], detail_fragment: str) -> None:
    response = await client.get("/v1/me", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert detail_fragment in body["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_valid_access_token_is_accepted(client: Client, customer_token: TokenFactory) -> None:
    response = await client.get("/v1/me", headers=bearer(await customer_token()))
    assert response.status_code == 200, response.text


async def test_missing_token_is_401(client: Client) -> None:
    await _assert_401(client, {}, "bearer token is required")


async def test_non_bearer_scheme_is_401(client: Client) -> None:
    await _assert_401(client, {"Authorization": "Basic dXNlcjpwYXNz"}, "bearer token is required")


async def test_garbage_token_is_401(client: Client) -> None:
    await _assert_401(client, bearer("not-a-jwt"), "malformed")


async def test_token_signed_by_another_key_is_401(client: Client, customer_pool: Any) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        _claims(customer_pool.pool_id, customer_pool.client_id),
        forger,
        algorithm="RS256",
        headers={"kid": "dummy"},
    )
    await _assert_401(client, bearer(token), "not valid")


async def test_token_with_unknown_key_id_is_401(client: Client, customer_pool: Any) -> None:
    token = jwt.encode(
        _claims(customer_pool.pool_id, customer_pool.client_id),
        _moto_private_key(),
        algorithm="RS256",
        headers={"kid": "rotated-away"},
    )
    await _assert_401(client, bearer(token), "not signed by this user pool")


async def test_expired_token_is_401(client: Client, customer_pool: Any) -> None:
    past = int(time.time()) - 7200
    token = jwt.encode(
        _claims(customer_pool.pool_id, customer_pool.client_id, iat=past, exp=past + 3600),
        _moto_private_key(),
        algorithm="RS256",
        headers={"kid": "dummy"},
    )
    await _assert_401(client, bearer(token), "expired")


async def test_unsigned_token_is_401(client: Client, customer_pool: Any) -> None:
    token = jwt.encode(
        _claims(customer_pool.pool_id, customer_pool.client_id), None, algorithm="none"
    )
    await _assert_401(client, bearer(token), "RS256")


async def test_token_from_another_pool_is_401(client: Client, cognito_client: Any) -> None:
    other = await ensure_pool(cognito_client, "some-other-pool")
    await ensure_user(cognito_client, other.pool_id, "intruder@example.com", PASSWORD)
    token = await access_token(cognito_client, other, "intruder@example.com", PASSWORD)
    await _assert_401(client, bearer(token), "another user pool")


async def test_token_for_another_app_client_is_401(client: Client, customer_pool: Any) -> None:
    token = jwt.encode(
        _claims(customer_pool.pool_id, "some-other-client"),
        _moto_private_key(),
        algorithm="RS256",
        headers={"kid": "dummy"},
    )
    await _assert_401(client, bearer(token), "another application")


async def test_id_token_is_not_an_access_token(
    client: Client, cognito_client: Any, customer_pool: Any
) -> None:
    await ensure_user(cognito_client, customer_pool.pool_id, "idtoken@example.com", PASSWORD)
    result = await cognito_client.admin_initiate_auth(
        UserPoolId=customer_pool.pool_id,
        ClientId=customer_pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "idtoken@example.com", "PASSWORD": PASSWORD},
    )
    await _assert_401(client, bearer(result["AuthenticationResult"]["IdToken"]), "access token")


@pytest.mark.parametrize("path", ["/v1/applications", "/v1/me"])
async def test_customer_routes_need_a_token(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
