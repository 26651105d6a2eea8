"""Who is calling: bearer tokens verified against the right Cognito pool for each portal."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from ff_api.services import Services
from ff_shared.domain.permissions import Role, allowed, roles_from_groups
from ff_shared.errors import NotAuthenticated, NotPermitted


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


async def customer_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    claims = await services_of(connection).customer_tokens.verify(bearer_token(connection))
    connection.state.customer = CustomerPrincipal(customer_id=claims.sub, username=claims.username)


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
    claims = await services_of(connection).staff_tokens.verify(bearer_token(connection))
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
