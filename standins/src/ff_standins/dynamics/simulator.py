"""A Dynamics 365 (Dataverse) Web API simulator: the OData subset the platform uses, over HTTP.

    python -m ff_standins.dynamics.simulator --port 8101

- ``POST /{tenant}/oauth2/v2.0/token``: client-credentials grant; tokens are opaque, expire
  after ``token_lifetime_seconds`` and are refused (``401``) afterwards or once revoked.
- ``/api/data/v9.2/{contacts|ff_loanapplications}``: reads with ``$select``, ``$filter``,
  ``$orderby``, ``$top``, ``$count`` and ``Prefer: odata.maxpagesize`` paging through an
  ``@odata.nextLink`` carrying an opaque ``$skiptoken`` (``$skip`` is refused, as Dataverse
  refuses it); create (``204`` + ``OData-EntityId``); PATCH update/upsert by id or by the
  ``ff_platformid`` alternate key with ``If-Match``/``If-None-Match`` (``412`` when they fail);
  DELETE. Rows carry ``@odata.etag`` (``W/"<version>"``) and a server-set ``modifiedon``
  (whole seconds, as Dataverse keeps it).
- Admin, under ``/_sim``: faults and the request log (see :mod:`ff_standins.simulation`),
  ``POST /_sim/config`` (``token_lifetime_seconds``, ``alternate_keys``),
  ``POST /_sim/tokens/revoke``, ``GET /_sim/tokens``, ``GET /_sim/entities/{set}`` (every row)
  and ``POST /_sim/entities/{set}`` (insert rows as given, ``modifiedon`` included, for tests
  and demos).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import itertools
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from aiohttp import web

from ff_shared.clock import now_utc
from ff_standins.dynamics.odata import (
    ColumnType,
    ODataQueryError,
    compare_keys,
    parse_datetime,
    parse_filter,
    parse_orderby,
    parse_select,
    sort_key,
    sort_rows,
)
from ff_standins.simulation import (
    MalformedKind,
    Simulation,
    add_simulation_routes,
    serve,
)

API_PREFIX = "/api/data/v9.2"
DEFAULT_PORT = 8101
DEFAULT_CLIENT_ID = "ff-local-client"
DEFAULT_CLIENT_SECRET = "ff-local-secret"
MAX_PAGE_SIZE = 5000

_SYSTEM_COLUMNS: dict[str, ColumnType] = {
    "createdon": "datetime",
    "modifiedon": "datetime",
    "statecode": "int",
}
_READ_ONLY = frozenset({"createdon", "modifiedon", "versionnumber"})
_KEY = re.compile(r"^(?P<set>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<key>.+)\))?$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ALTERNATE_KEY = re.compile(r"^ff_platformid='(?P<value>(?:[^']|'')*)'$")
_BIND = re.compile(r"^/?(?P<set>[a-z_]+)\((?P<id>[0-9a-fA-F-]{36})\)$")
_MAX_PAGE = re.compile(r"odata\.maxpagesize=(\d+)")


@dataclass(frozen=True)
class Entity:
    logical_name: str
    primary_key: str
    columns: Mapping[str, ColumnType]
    lookups: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Navigation property -> (the ``_x_value`` column, the target entity set)."""

    @property
    def readable(self) -> dict[str, ColumnType]:
        return {
            self.primary_key: "guid",
            **self.columns,
            **{column: "guid" for column, _target in self.lookups.values()},
            **_SYSTEM_COLUMNS,
        }


ENTITIES: dict[str, Entity] = {
    "contacts": Entity(
        logical_name="contact",
        primary_key="contactid",
        columns={
            "ff_platformid": "string",
            "firstname": "string",
            "lastname": "string",
            "fullname": "string",
            "emailaddress1": "string",
            "mobilephone": "string",
            "birthdate": "date",
            "address1_line1": "string",
            "address1_line2": "string",
            "address1_city": "string",
            "address1_postalcode": "string",
            "address1_country": "string",
        },
    ),
    "ff_loanapplications": Entity(
        logical_name="ff_loanapplication",
        primary_key="ff_loanapplicationid",
        columns={
            "ff_platformid": "string",
            "ff_name": "string",
            "ff_obvreference": "string",
            "ff_applicationstatus": "int",
            "ff_decisionoutcome": "int",
            "ff_decisionreasons": "string",
            "ff_decisionversion": "int",
            "ff_requestedamountpence": "int",
            "ff_requestedtermmonths": "int",
            "ff_offeredamountpence": "int",
            "ff_offeredtermmonths": "int",
            "ff_submittedon": "datetime",
            "ff_decidedon": "datetime",
        },
        lookups={"ff_Contact": ("_ff_contact_value", "contacts")},
    ),
}


class ODataFailure(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Store:
    tables: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in ENTITIES}
    )
    versions: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    tokens: dict[str, float] = field(default_factory=dict)
    tokens_issued: int = 0
    tokens_rejected: int = 0
    token_lifetime_seconds: int = 3599
    alternate_keys: bool = True
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET


STORE = web.AppKey("store", Store)


def _now() -> datetime:
    return now_utc().replace(microsecond=0)


def _odata_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _entity(name: str) -> Entity:
    entity = ENTITIES.get(name)
    if entity is None:
        raise ODataFailure(404, "0x8006088a", f"Resource not found for the segment '{name}'.")
    return entity


def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _etag(row: Mapping[str, Any]) -> str:
    return f'W/"{row["versionnumber"]}"'


def _serialise(entity: Entity, row: Mapping[str, Any], select: list[str] | None) -> dict[str, Any]:
    columns = select if select else list(entity.readable)
    out: dict[str, Any] = {"@odata.etag": _etag(row)}
    for name in columns:
        out[name] = _wire_value(row.get(name))
    out[entity.primary_key] = row[entity.primary_key]
    return out


def _convert(entity: Entity, name: str, kind: ColumnType, value: Any) -> Any:
    if value is None:
        return None
    ok: bool
    try:
        if kind == "string":
            ok = isinstance(value, str)
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "guid":
            ok = isinstance(value, str) and bool(_GUID.match(value))
            value = value.lower() if ok else value
        elif kind == "datetime":
            ok = isinstance(value, str)
            value = parse_datetime(value) if ok else value
        else:
            ok = isinstance(value, str)
            value = date.fromisoformat(value) if ok else value
    except ValueError:
        ok = False
    if not ok:
        raise ODataFailure(
            400,
            "0x80048d19",
            f"Error identified in Payload provided by the user for Entity :'{entity.logical_name}'"
            f", Cannot convert the literal for the property '{name}' ({kind}).",
        )
    return value


def _changes(store: Store, entity: Entity, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ODataFailure(400, "0x80048d19", "The request body must be a JSON object.")
    changes: dict[str, Any] = {}
    for name, value in body.items():
        if name.endswith("@odata.bind"):
            navigation = name.removesuffix("@odata.bind")
            if navigation not in entity.lookups:
                raise ODataFailure(
                    400,
                    "0x80048d19",
                    f"An undeclared property '{navigation}' which only has property annotations "
                    "in the payload but no property value was found in the payload.",
                )
            column, target = entity.lookups[navigation]
            if value is None:
                changes[column] = None
                continue
            match = _BIND.match(value) if isinstance(value, str) else None
            if match is None or match["set"] != target:
                raise ODataFailure(400, "0x80048d19", f"Invalid reference for '{navigation}'.")
            target_id = match["id"].lower()
            if target_id not in store.tables[target]:
                raise ODataFailure(
                    404,
                    "0x80040217",
                    f"{ENTITIES[target].logical_name} With Id = {target_id} Does Not Exist",
                )
            changes[column] = target_id
        elif name in _READ_ONLY or name.startswith("@odata"):
            continue
        elif name == entity.primary_key:
            changes[name] = _convert(entity, name, "guid", value)
        elif name in entity.columns:
            changes[name] = _convert(entity, name, entity.columns[name], value)
        else:
            raise ODataFailure(
                400,
                "0x80060888",
                f"The property '{name}' does not exist on type "
                f"'Microsoft.Dynamics.CRM.{entity.logical_name}'. Make sure to only use property "
                "names that are defined by the type.",
            )
    return changes


def _find(store: Store, entity_set: str, key: str) -> tuple[str | None, dict[str, Any] | None]:
    """The row ``key`` names (a GUID or the alternate key), and the platform id it names."""
    table = store.tables[entity_set]
    if _GUID.match(key):
        return None, table.get(key.lower())
    match = _ALTERNATE_KEY.match(key)
    if match is None:
        raise ODataFailure(400, "0x80060888", f"Bad Request - Error in query syntax: '{key}'.")
    if not store.alternate_keys:
        raise ODataFailure(
            400,
            "0x80060891",
            f"The key attribute ff_platformid is not defined as an alternate key for the "
            f"{ENTITIES[entity_set].logical_name} table.",
        )
    platform_id = match["value"].replace("''", "'")
    for row in table.values():
        if row.get("ff_platformid") == platform_id:
            return platform_id, row
    return platform_id, None


def _entity_url(request: web.Request, entity_set: str, row_id: str) -> str:
    return f"{request.scheme}://{request.host}{API_PREFIX}/{entity_set}({row_id})"


def _duplicate_key(store: Store, entity_set: str, platform_id: Any, row_id: str) -> bool:
    if not store.alternate_keys or platform_id is None:
        return False
    return any(
        r.get("ff_platformid") == platform_id and rid != row_id
        for rid, r in store.tables[entity_set].items()
    )


def _insert(store: Store, entity_set: str, changes: dict[str, Any]) -> dict[str, Any]:
    entity = ENTITIES[entity_set]
    row_id = changes.pop(entity.primary_key, None) or str(uuid.uuid4())
    if row_id in store.tables[entity_set]:
        raise ODataFailure(412, "0x80040237", "Cannot insert duplicate key.")
    if _duplicate_key(store, entity_set, changes.get("ff_platformid"), row_id):
        raise ODataFailure(
            412,
            "0x80060892",
            "A record that has the attribute values ff_platformid already exists. The entity "
            "key ff_platformid requires that this set of attributes contains unique values.",
        )
    now = _now()
    row: dict[str, Any] = {name: None for name in entity.readable}
    row.update(changes)
    row.update(
        {
            entity.primary_key: row_id,
            "createdon": changes.get("createdon") or now,
            "modifiedon": changes.get("modifiedon") or now,
            "statecode": 0,
            "versionnumber": next(store.versions),
        }
    )
    if entity_set == "contacts":
        row["fullname"] = " ".join(p for p in (row.get("firstname"), row.get("lastname")) if p)
    store.tables[entity_set][row_id] = row
    return row


def _update(store: Store, entity_set: str, row: dict[str, Any], changes: dict[str, Any]) -> None:
    entity = ENTITIES[entity_set]
    changes.pop(entity.primary_key, None)
    if _duplicate_key(
        store,
        entity_set,
        changes.get("ff_platformid", row.get("ff_platformid")),
        row[entity.primary_key],
    ):
        raise ODataFailure(412, "0x80060892", "A record with these key values already exists.")
    row.update(changes)
    if entity_set == "contacts":
        row["fullname"] = " ".join(p for p in (row.get("firstname"), row.get("lastname")) if p)
    row["modifiedon"] = _now()
    row["versionnumber"] = next(store.versions)


def _encode_skiptoken(key: tuple[Any, ...], page: int) -> str:
    cookie = json.dumps({"k": key, "p": page}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(cookie).decode().rstrip("=")


def _decode_skiptoken(token: str) -> tuple[tuple[Any, ...], int]:
    try:
        cookie = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return tuple(cookie["k"]), int(cookie["p"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ODataFailure(400, "0x80060888", "The $skiptoken is not valid.") from exc


def _without_skiptoken(query_string: str) -> str:
    parts = [p for p in query_string.split("&") if p and not unquote(p).startswith("$skiptoken=")]
    return "&".join(parts)


async def _read_collection(request: web.Request, entity_set: str) -> web.Response:
    store = request.app[STORE]
    entity = _entity(entity_set)
    columns = entity.readable
    query = request.query
    for option in query:
        if option.startswith("$") and option not in (
            "$select",
            "$filter",
            "$orderby",
            "$top",
            "$count",
            "$skiptoken",
        ):
            raise ODataFailure(400, "0x80060888", f"The query parameter {option} is not supported")
    try:
        select = (
            parse_select(query["$select"], columns, entity.logical_name)
            if "$select" in query
            else None
        )
        predicate = (
            parse_filter(query["$filter"], columns, entity.logical_name)
            if "$filter" in query
            else None
        )
        order = (
            parse_orderby(query["$orderby"], columns, entity.logical_name)
            if "$orderby" in query
            else []
        )
    except ODataQueryError as exc:
        raise ODataFailure(400, exc.code, str(exc)) from exc
    top: int | None = None
    if "$top" in query:
        if not query["$top"].isdigit():
            raise ODataFailure(400, "0x80060888", "The $top value must be a non-negative integer.")
        top = int(query["$top"])
    matching = [r for r in store.tables[entity_set].values() if predicate is None or predicate(r)]
    rows = sort_rows(matching, order, entity.primary_key)
    total = len(rows)
    prefer = request.headers.get("Prefer", "")
    asked = _MAX_PAGE.search(prefer)
    page_size = min(int(asked.group(1)), MAX_PAGE_SIZE) if asked else MAX_PAGE_SIZE
    page_size = max(page_size, 1)
    page_number = 1
    if "$skiptoken" in query:
        last_key, page_number = _decode_skiptoken(query["$skiptoken"])
        rows = [
            r
            for r in rows
            if compare_keys(sort_key(r, order, entity.primary_key), last_key, order) > 0
        ]
    base = f"{request.scheme}://{request.host}{API_PREFIX}"
    body: dict[str, Any] = {
        "@odata.context": f"{base}/$metadata#{entity_set}"
        + (f"({','.join(select)})" if select else "")
    }
    if query.get("$count") == "true":
        body["@odata.count"] = total
    headers = {"OData-Version": "4.0"}
    if asked:
        headers["Preference-Applied"] = f"odata.maxpagesize={page_size}"
    if top is not None:
        page, more = rows[:top], False
    else:
        page, more = rows[:page_size], len(rows) > page_size
    body["value"] = [_serialise(entity, r, select) for r in page]
    if more:
        token = _encode_skiptoken(sort_key(page[-1], order, entity.primary_key), page_number + 1)
        kept = _without_skiptoken(request.rel_url.raw_query_string)
        link = f"{base}/{entity_set}?" + (f"{kept}&" if kept else "")
        body["@odata.nextLink"] = link + "$skiptoken=" + quote(token, safe="")
    return web.json_response(body, headers=headers)


async def _read_one(request: web.Request, entity_set: str, key: str) -> web.Response:
    store = request.app[STORE]
    entity = _entity(entity_set)
    _platform_id, row = _find(store, entity_set, key)
    if row is None:
        raise ODataFailure(
            404, "0x80040217", f"{entity.logical_name} With Id = {key} Does Not Exist"
        )
    select = None
    if "$select" in request.query:
        try:
            select = parse_select(request.query["$select"], entity.readable, entity.logical_name)
        except ODataQueryError as exc:
            raise ODataFailure(400, exc.code, str(exc)) from exc
    body = {
        "@odata.context": f"{request.scheme}://{request.host}{API_PREFIX}/$metadata#{entity_set}/$entity",
        **_serialise(entity, row, select),
    }
    return web.json_response(body, headers={"ETag": _etag(row), "OData-Version": "4.0"})


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"null")
    except ValueError as exc:
        raise ODataFailure(400, "0x80048d19", "The request body is not valid JSON.") from exc


def _written(
    request: web.Request, entity_set: str, row: Mapping[str, Any], status: int
) -> web.Response:
    entity = ENTITIES[entity_set]
    headers = {
        "OData-EntityId": _entity_url(request, entity_set, row[entity.primary_key]),
        "OData-Version": "4.0",
        "ETag": _etag(row),
    }
    if "return=representation" in request.headers.get("Prefer", ""):
        return web.json_response(
            _serialise(entity, row, None), status=status or 201, headers=headers
        )
    return web.Response(status=204, headers=headers)


async def _create(request: web.Request, entity_set: str) -> web.Response:
    store = request.app[STORE]
    entity = _entity(entity_set)
    changes = _changes(store, entity, await _json_body(request))
    row = _insert(store, entity_set, changes)
    return _written(request, entity_set, row, 201)


async def _patch(request: web.Request, entity_set: str, key: str) -> web.Response:
    store = request.app[STORE]
    entity = _entity(entity_set)
    changes = _changes(store, entity, await _json_body(request))
    platform_id, row = _find(store, entity_set, key)
    if platform_id is not None:
        if changes.get("ff_platformid", platform_id) != platform_id:
            raise ODataFailure(400, "0x80060888", "ff_platformid in the body differs from the key.")
        changes["ff_platformid"] = platform_id
    if_match = request.headers.get("If-Match")
    if_none_match = request.headers.get("If-None-Match")
    if row is not None:
        if if_none_match == "*":
            raise ODataFailure(
                412, "0x80060892", "A record with matching key values already exists."
            )
        if if_match not in (None, "*") and if_match != _etag(row):
            raise ODataFailure(
                412,
                "0x80060882",
                "The version of the existing record doesn't match the RowVersion property "
                "provided.",
            )
        _update(store, entity_set, row, changes)
        return _written(request, entity_set, row, 200)
    if if_match is not None:
        raise ODataFailure(
            404, "0x80040217", f"{entity.logical_name} With Id = {key} Does Not Exist"
        )
    if platform_id is None:
        changes[entity.primary_key] = key.lower()
    created = _insert(store, entity_set, changes)
    return _written(request, entity_set, created, 201)


async def _delete(request: web.Request, entity_set: str, key: str) -> web.Response:
    store = request.app[STORE]
    entity = _entity(entity_set)
    _platform_id, row = _find(store, entity_set, key)
    if row is None:
        raise ODataFailure(
            404, "0x80040217", f"{entity.logical_name} With Id = {key} Does Not Exist"
        )
    if_match = request.headers.get("If-Match")
    if if_match not in (None, "*") and if_match != _etag(row):
        raise ODataFailure(412, "0x80060882", "The version of the existing record doesn't match.")
    del store.tables[entity_set][row[entity.primary_key]]
    return web.Response(status=204)


def _authorised(request: web.Request) -> bool:
    store = request.app[STORE]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expires = store.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if expires is None or time.monotonic() >= expires:
        store.tokens_rejected += 1
        return False
    return True


async def _api(request: web.Request) -> web.StreamResponse:
    if not _authorised(request):
        return web.json_response(
            {
                "error": {
                    "code": "0x80072184",
                    "message": "The access token is missing, expired or invalid.",
                }
            },
            status=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    resource = request.match_info["resource"]
    try:
        if resource in ("", "/"):
            return web.json_response(
                {
                    "@odata.context": f"{request.scheme}://{request.host}{API_PREFIX}/$metadata",
                    "value": [
                        {"name": name, "kind": "EntitySet", "url": name} for name in ENTITIES
                    ],
                }
            )
        if resource == "WhoAmI" and request.method == "GET":
            return web.json_response({"UserId": "00000000-0000-0000-0000-00000000f00f"})
        match = _KEY.match(resource)
        if match is None:
            raise ODataFailure(
                404, "0x8006088a", f"Resource not found for the segment '{resource}'."
            )
        entity_set, key = match["set"], match["key"]
        if request.method == "GET":
            if key is None:
                return await _read_collection(request, entity_set)
            return await _read_one(request, entity_set, key)
        if request.method == "POST" and key is None:
            return await _create(request, entity_set)
        if request.method == "PATCH" and key is not None:
            return await _patch(request, entity_set, key)
        if request.method == "DELETE" and key is not None:
            return await _delete(request, entity_set, key)
        raise ODataFailure(405, "0x80060888", f"{request.method} is not supported on {resource}.")
    except ODataFailure as failure:
        return _odata_error(failure.status, failure.code, failure.message)


async def _token(request: web.Request) -> web.Response:
    store = request.app[STORE]
    form = await request.post()

    def refuse(status: int, error: str, description: str) -> web.Response:
        return web.json_response(
            {"error": error, "error_description": description, "error_codes": [7000215]},
            status=status,
        )

    if form.get("grant_type") != "client_credentials":
        return refuse(400, "unsupported_grant_type", "AADSTS70003: grant_type is not supported.")
    if form.get("client_id") != store.client_id or not secrets.compare_digest(
        str(form.get("client_secret", "")), store.client_secret
    ):
        return refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
    scope = str(form.get("scope", ""))
    if not scope.endswith("/.default"):
        return refuse(400, "invalid_scope", "AADSTS1002012: The provided scope is not valid.")
    token = secrets.token_urlsafe(32)
    lifetime = store.token_lifetime_seconds
    store.tokens[token] = time.monotonic() + lifetime
    store.tokens_issued += 1
    return web.json_response(
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }
    )


async def _admin_config(request: web.Request) -> web.Response:
    store = request.app[STORE]
    try:
        body = json.loads(await request.read())
        if "token_lifetime_seconds" in body:
            store.token_lifetime_seconds = int(body["token_lifetime_seconds"])
        if "alternate_keys" in body:
            store.alternate_keys = bool(body["alternate_keys"])
    except (ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(
        {
            "token_lifetime_seconds": store.token_lifetime_seconds,
            "alternate_keys": store.alternate_keys,
        }
    )


async def _admin_revoke(request: web.Request) -> web.Response:
    request.app[STORE].tokens.clear()
    return web.Response(status=204)


async def _admin_tokens(request: web.Request) -> web.Response:
    store = request.app[STORE]
    return web.json_response({"issued": store.tokens_issued, "rejected": store.tokens_rejected})


async def _admin_rows(request: web.Request) -> web.Response:
    store = request.app[STORE]
    entity_set = request.match_info["set"]
    if entity_set not in ENTITIES:
        return web.json_response({"error": f"no entity set {entity_set}"}, status=404)
    entity = ENTITIES[entity_set]
    if request.method == "GET":
        rows = [_serialise(entity, r, None) for r in store.tables[entity_set].values()]
        return web.json_response({"value": rows})
    try:
        body = json.loads(await request.read())
        if not isinstance(body, list):
            raise ODataFailure(400, "seed", "POST a JSON list of rows")
        ids = []
        for raw in body:
            given = {
                k: _convert(entity, k, "datetime", raw[k])
                for k in ("createdon", "modifiedon")
                if k in raw
            }
            changes = _changes(store, entity, {k: v for k, v in raw.items() if k not in given})
            row = _insert(store, entity_set, {**changes, **given})
            ids.append(row[entity.primary_key])
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    except ODataFailure as failure:
        return _odata_error(failure.status, failure.code, failure.message)
    return web.json_response({"ids": ids}, status=201)


MALFORMED: dict[MalformedKind, bytes] = {
    "truncated": b'{"@odata.context":"$metadata#contacts","value":[{"@odata.etag":"W/\\"1',
    "wrong_shape": b'{"@odata.context":"$metadata#contacts","value":{"unexpected":true}}',
    "html": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
}


def create_app(
    *, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET
) -> web.Application:
    app = web.Application()
    app[STORE] = Store(client_id=client_id, client_secret=client_secret)
    add_simulation_routes(app, Simulation(MALFORMED))
    app.router.add_post("/{tenant}/oauth2/v2.0/token", _token)
    app.router.add_route("*", API_PREFIX + "/{resource:.*}", _api)
    app.router.add_post("/_sim/config", _admin_config)
    app.router.add_post("/_sim/tokens/revoke", _admin_revoke)
    app.router.add_get("/_sim/tokens", _admin_tokens)
    app.router.add_route("*", "/_sim/entities/{set}", _admin_rows)
    return app


def _default_port() -> int:
    """The port of ``FF_DYNAMICS_BASE_URL`` when it is set (as under ``ff dev``), else 8101."""
    url = os.environ.get("FF_DYNAMICS_BASE_URL")
    port = urlsplit(url).port if url else None
    return port or DEFAULT_PORT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Dynamics 365 Web API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=_default_port())
    parser.add_argument(
        "--client-id", default=os.environ.get("FF_DYNAMICS_CLIENT_ID", DEFAULT_CLIENT_ID)
    )
    parser.add_argument(
        "--client-secret",
        default=os.environ.get("FF_DYNAMICS_CLIENT_SECRET", DEFAULT_CLIENT_SECRET),
        help="the secret the token endpoint accepts (default: FF_DYNAMICS_CLIENT_SECRET)",
    )
    args = parser.parse_args(argv)
    if os.environ.get("FF_ENVIRONMENT") == "production":
        raise SystemExit("the Dynamics simulator does not run in production")
    serve(
        create_app(client_id=args.client_id, client_secret=args.client_secret),
        host=args.host,
        port=args.port,
        name="dynamics simulator",
    )


if __name__ == "__main__":
    main()
