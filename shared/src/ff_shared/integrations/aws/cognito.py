"""Cognito: verifying bearer tokens against a user pool's JWKS, and pool administration.

Verification is done here rather than trusted to a gateway: the RS256 signature against the
pool's published keys (fetched, cached, refetched once on an unknown key id), the issuer (the
pool), expiry, ``token_use`` and the app client. Anything else is a 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
import jwt
import msgspec
import structlog

from ff_shared.errors import DependencyUnavailable, NotAuthenticated

log = structlog.get_logger()

_JWKS_MIN_REFRESH_SECONDS = 30.0


class TokenClaims(msgspec.Struct, frozen=True, kw_only=True):
    sub: str
    username: str
    client_id: str
    groups: tuple[str, ...] = ()
    expires_at: int


def issuer_for(region: str, pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


class PoolVerifier:
    """Verifies access tokens issued by one user pool to one app client."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        region: str,
        pool_id: str,
        client_id: str,
        jwks_base_url: str | None = None,
        cache_seconds: int = 3600,
        leeway_seconds: int = 30,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._http = http
        self.issuer = issuer_for(region, pool_id)
        base = (jwks_base_url or f"https://cognito-idp.{region}.amazonaws.com").rstrip("/")
        self.jwks_url = f"{base}/{pool_id}/.well-known/jwks.json"
        self._client_id = client_id
        self._cache_seconds = cache_seconds
        self._leeway = leeway_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and (age < self._cache_seconds) and not force:
                return
            if force and age < _JWKS_MIN_REFRESH_SECONDS:
                return
            try:
                async with self._http.get(self.jwks_url, timeout=self._timeout) as resp:
                    resp.raise_for_status()
                    document = await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.warning("jwks_fetch_failed", url=self.jwks_url, error=type(exc).__name__)
                if not self._keys:
                    raise DependencyUnavailable(
                        "the identity provider's keys are unavailable", dependency="cognito"
                    ) from exc
                return
            keys: dict[str, jwt.PyJWK] = {}
            for entry in document.get("keys", []):
                try:
                    keys[entry["kid"]] = jwt.PyJWK(entry)
                except (jwt.PyJWKError, KeyError):
                    continue
            self._keys = keys
            self._fetched_at = time.monotonic()
            log.info("jwks_fetched", url=self.jwks_url, keys=len(keys))

    async def ready(self) -> None:
        await self._refresh(force=False)

    async def verify(self, token: str) -> TokenClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise NotAuthenticated("the bearer token is malformed") from exc
        if header.get("alg") != "RS256":
            raise NotAuthenticated("the bearer token is not RS256-signed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise NotAuthenticated("the bearer token names no signing key")
        await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None:
            raise NotAuthenticated("the bearer token was not signed by this user pool")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise NotAuthenticated("the bearer token has expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise NotAuthenticated("the bearer token was issued by another user pool") from exc
        except jwt.PyJWTError as exc:
            raise NotAuthenticated("the bearer token is not valid") from exc
        if claims.get("token_use") != "access":
            raise NotAuthenticated("an access token is required")
        if claims.get("client_id") != self._client_id:
            raise NotAuthenticated("the bearer token was issued to another application")
        groups = claims.get("cognito:groups") or []
        return TokenClaims(
            sub=str(claims["sub"]),
            username=str(claims.get("username", "")),
            client_id=str(claims["client_id"]),
            groups=tuple(str(g) for g in groups),
            expires_at=int(claims["exp"]),
        )


class PoolIds(msgspec.Struct, frozen=True, kw_only=True):
    pool_id: str
    client_id: str


STAFF_ACCESS_TOKEN_MINUTES = 15
"""Lifetime of a staff access token (as in terraform's staff pool): a staff member disabled in
Cognito can no longer get one, and the one they hold stops working within this time."""
CUSTOMER_ACCESS_TOKEN_MINUTES = 60
"""Lifetime of a customer access token (an erased customer's writes are refused at once anyway)."""


async def ensure_pool(
    cognito: Any, name: str, *, access_token_minutes: int = CUSTOMER_ACCESS_TOKEN_MINUTES
) -> PoolIds:
    """Find or create a user pool and its portal app client (local stack and tests)."""
    pools = await cognito.list_user_pools(MaxResults=60)
    pool_id = next((p["Id"] for p in pools["UserPools"] if p["Name"] == name), None)
    if pool_id is None:
        pool_id = (await cognito.create_user_pool(PoolName=name, AutoVerifiedAttributes=["email"]))[
            "UserPool"
        ]["Id"]
    clients = await cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    client_id = next(
        (c["ClientId"] for c in clients["UserPoolClients"] if c["ClientName"] == f"{name}-portal"),
        None,
    )
    if client_id is None:
        client_id = (
            await cognito.create_user_pool_client(
                UserPoolId=pool_id,
                ClientName=f"{name}-portal",
                ExplicitAuthFlows=["ADMIN_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"],
                ReadAttributes=["email"],
                AccessTokenValidity=access_token_minutes,
                IdTokenValidity=access_token_minutes,
                TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes"},
            )
        )["UserPoolClient"]["ClientId"]
    return PoolIds(pool_id=pool_id, client_id=client_id)


async def ensure_user(
    cognito: Any, pool_id: str, email: str, password: str, groups: Sequence[str] = ()
) -> str:
    """Create (or find) a confirmed user with a permanent password; return its ``sub``."""
    try:
        user = await cognito.admin_get_user(UserPoolId=pool_id, Username=email)
    except cognito.exceptions.UserNotFoundException:
        user = (
            await cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )
        )["User"]
    await cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=password, Permanent=True
    )
    for group in groups:
        with contextlib.suppress(cognito.exceptions.GroupExistsException):
            await cognito.create_group(UserPoolId=pool_id, GroupName=group)
        await cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    attributes = user.get("UserAttributes") or user.get("Attributes") or []
    return str(next(a["Value"] for a in attributes if a["Name"] == "sub"))


async def access_token(cognito: Any, ids: PoolIds, email: str, password: str) -> str:
    result = await cognito.admin_initiate_auth(
        UserPoolId=ids.pool_id,
        ClientId=ids.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["AccessToken"])
