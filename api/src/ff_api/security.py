"""Who is calling: bearer tokens verified against the right Cognito pool for each portal.

Writes (any unsafe method) also check the caller's current state, since a token outlives it:
an erased customer, or a staff member disabled in Cognito, can no longer change anything, even
with a token issued before (staff tokens last 15 minutes, and reads end with them).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from ff_api.services import Services
from ff_shared.domain.permissions import Role, allowed, roles_from_groups
from ff_shared.errors import NotAuthenticated, NotPermitted
from ff_shared.integrations.aws.session import client_options
from ff_shared.stores.mongo import customers


class CustomerPrincipal(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: str
    username: str

    @property
    def email(self) -> str | None:
        return self.username if "@" in self.username else None


def services_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    services: Services = connection.app.state.services
    return services


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("a bearer token is required")
    return token.strip()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _writes(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.scope.get("method", "GET") not in SAFE_METHODS


async def customer_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    claims = await services_of(connection).customer_tokens.verify(bearer_token(connection))
    if _writes(connection) and await customers.is_erased(claims.sub):
        raise NotPermitted("this account was erased and can no longer make changes")
    connection.state.customer = CustomerPrincipal(customer_id=claims.sub, username=claims.username)


async def _staff_enabled(services: Services, username: str) -> bool:
    """Whether the staff pool still has the user, enabled."""
    settings = services.settings
    async with services.aws.client("cognito-idp", **client_options(settings.aws)) as cognito:
        try:
            user = await cognito.admin_get_user(
                UserPoolId=settings.cognito.staff_pool_id, Username=username
            )
        except cognito.exceptions.UserNotFoundException:
            return False
    return bool(user.get("Enabled", True))


async def provide_customer(request: ASGIConnection[Any, Any, Any, Any]) -> CustomerPrincipal:
    principal = request.state.get("customer")
    if not isinstance(principal, CustomerPrincipal):
        raise NotAuthenticated("a bearer token is required")
    return principal


class StaffPrincipal(msgspec.Struct, frozen=True, kw_only=True):
    staff_id: str
    username: str
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles


async def staff_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Verify a staff-pool token, then the route's permission from the one permission table."""
    services = services_of(connection)
    claims = await services.staff_tokens.verify(bearer_token(connection))
    if _writes(connection) and not await _staff_enabled(services, claims.username):
        raise NotAuthenticated("this staff account is disabled")
    principal = StaffPrincipal(
        staff_id=claims.sub, username=claims.username, roles=roles_from_groups(claims.groups)
    )
    connection.state.staff = principal
    permission = handler.opt.get("permission")
    if not isinstance(permission, str):
        raise NotPermitted("this route declares no permission, so nobody may call it")
    if not allowed(permission, principal.roles):
        raise NotPermitted(f"your roles do not include the permission {permission!r}")


async def provide_staff(request: ASGIConnection[Any, Any, Any, Any]) -> StaffPrincipal:
    principal = request.state.get("staff")
    if not isinstance(principal, StaffPrincipal):
        raise NotAuthenticated("a staff bearer token is required")
    return principal
