"""The role matrix: every route under /v1/staff, for every role, against the permission table.

The routes are read from the app itself, so a route added later is covered without touching
this test. Allowed roles must get past the guard (a made-up id may then be 404, an empty body
422); every other role gets exactly 403. Customer and staff tokens never cross portals.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.staff import StaffFactory

from ff_api.security import customer_guard, staff_guard
from ff_shared.domain.permissions import PERMISSIONS, Role

Client = AsyncTestClient[Litestar]

_PARAM = re.compile(r"\{(\w+):(\w+)\}")
BODY_METHODS = {"POST", "PUT", "PATCH"}


def _concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        kind = match.group(2)
        if kind == "int":
            return "1"
        if kind == "uuid":
            return str(uuid.uuid4())
        return f"matrix-{uuid.uuid4().hex[:12]}"

    return _PARAM.sub(value, path)


def _routes(app: Litestar, guard: object) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if guard not in handler.resolve_guards():
                continue
            for method in sorted(handler.http_methods):
                if method in {"HEAD", "OPTIONS"}:
                    continue
                yield method, route.path, handler


async def _call(client: Client, method: str, path: str, headers: dict[str, str]) -> int:
    kwargs: dict[str, object] = {"headers": headers}
    if method in BODY_METHODS:
        kwargs["json"] = {}
    response = await client.request(method, _concrete(path), **kwargs)  # type: ignore[arg-type]
    return response.status_code


def test_every_staff_route_names_a_permission_in_the_table(app: Litestar) -> None:
    routes = list(_routes(app, staff_guard))
    assert len(routes) >= 20
    missing = [
        (method, path)
        for method, path, handler in routes
        if handler.opt.get("permission") not in PERMISSIONS
    ]
    assert missing == []
    assert all(path.startswith("/v1/staff") for _, path, _ in routes)


async def test_every_staff_route_for_every_role(
    app: Litestar, client: Client, staff_as: StaffFactory, staff_token: TokenFactory
) -> None:
    members = {role: await staff_as(role.value) for role in Role}
    nobody = bearer(await staff_token())
    wrong: list[tuple[str, str, str, int]] = []
    checked = 0
    for method, path, handler in _routes(app, staff_guard):
        permitted = PERMISSIONS[handler.opt["permission"]]
        for role, member in members.items():
            status = await _call(client, method, path, member.headers)
            checked += 1
            if role in permitted:
                if status in {401, 403} or status >= 500:
                    wrong.append((method, path, role.value, status))
            elif status != 403:
                wrong.append((method, path, role.value, status))
        status = await _call(client, method, path, nobody)
        if status != 403:
            wrong.append((method, path, "no role", status))
    assert wrong == []
    assert checked >= 100


async def test_lists_answer_2xx_for_the_roles_allowed(
    client: Client, staff_as: StaffFactory
) -> None:
    routes = {
        "/v1/staff/me": "staff.self",
        "/v1/staff/applications": "applications.read",
        "/v1/staff/applications/counts": "applications.read",
        "/v1/staff/customers": "customers.read",
        "/v1/staff/audit": "audit.read",
    }
    for path, permission in routes.items():
        for role in PERMISSIONS[permission]:
            response = await client.get(path, headers=(await staff_as(role.value)).headers)
            assert response.status_code == 200, (path, role, response.text)


async def test_a_customer_token_is_refused_on_every_staff_route(
    app: Litestar, client: Client, customer_token: TokenFactory
) -> None:
    headers = bearer(await customer_token())
    wrong = [
        (method, path, status)
        for method, path, _ in _routes(app, staff_guard)
        if (status := await _call(client, method, path, headers)) != 401
    ]
    assert wrong == []


async def test_a_staff_token_is_refused_on_every_customer_route(
    app: Litestar, client: Client, staff_as: StaffFactory
) -> None:
    headers = (await staff_as("admin")).headers
    routes = list(_routes(app, customer_guard))
    assert {"/v1/applications/{application_id:str}/offer/accept", "/v1/documents"} <= {
        path for _, path, _ in routes
    }
    wrong = [
        (method, path, status)
        for method, path, _ in routes
        if (status := await _call(client, method, path, headers)) != 401
    ]
    assert wrong == []
