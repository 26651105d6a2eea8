"""Dynamics 365 (Dataverse) Web API client: OData v4 over aiohttp with client-credentials tokens.

- Tokens come from the configured OAuth2 token URL, are cached, and are replaced
  ``token_refresh_margin_seconds`` before they expire; a ``401`` (a revoked token) fetches a new
  one and retries the call once.
- Collections are read as an async iterator of pages: ``Prefer: odata.maxpagesize=N`` on every
  request and ``@odata.nextLink`` followed verbatim (Dataverse has no ``$skip``).
- Writes: create answers ``204`` with ``OData-EntityId``; update sends ``If-Match`` (``412``
  becomes :class:`PreconditionFailed`); upsert matches ``ff_platformid`` through the alternate
  key (one PATCH, atomic in Dataverse) or, where no key is defined, a query then a write.
- Every call has a timeout and a deadline, honours ``429`` + ``Retry-After`` and retries 5xx
  and dropped connections with jittered backoff (:mod:`ff_shared.integrations.http`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
import msgspec
import structlog

from ff_shared.integrations.dynamics import answers
from ff_shared.integrations.dynamics.answers import SERVICE
from ff_shared.integrations.dynamics.odata import (
    EVERYTHING,
    ROW,
    Page,
    Query,
    UpsertResult,
    literal,
)
from ff_shared.integrations.dynamics.schemas import (
    CONTACTS,
    LOAN_APPLICATIONS,
    Collection,
    Contact,
    ContactWrite,
    LoanApplication,
    LoanApplicationWrite,
    TokenResponse,
)
from ff_shared.integrations.errors import (
    AuthenticationFailed,
    MalformedResponse,
    PreconditionFailed,
    RequestRejected,
)
from ff_shared.integrations.http import HttpResponse, RetryPolicy, decode_json, send
from ff_shared.settings import DynamicsSettings

log = structlog.get_logger()

_ODATA_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
}
_PRIMARY_KEYS = {CONTACTS: "contactid", LOAN_APPLICATIONS: "ff_loanapplicationid"}


class DynamicsClient:
    """One client per process; share it between tasks (token fetches are serialised)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: DynamicsSettings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._settings = settings
        # Behind the gateway the client holds no credential: the gateway injects its token.
        self._via_gateway = settings.gateway_url is not None
        if not self._via_gateway and settings.client_secret is None:
            raise ValueError("Dynamics needs a client secret, or a gateway URL to call through")
        self._base = (settings.gateway_url or settings.base_url).rstrip("/")
        self._origin = urlsplit(self._base)._replace(path="", query="", fragment="").geturl()
        self._policy = RetryPolicy(
            timeout_seconds=settings.timeout_seconds,
            deadline_seconds=settings.retry_deadline_seconds,
        )
        self._monotonic = monotonic
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = asyncio.Lock()
        self.tokens_fetched = 0

    async def access_token(self) -> str:
        """A cached token, replaced before it comes within the refresh margin of expiry."""
        async with self._token_lock:
            margin = self._settings.token_refresh_margin_seconds
            if self._token is not None and self._monotonic() < self._token_expires_at - margin:
                return self._token
            return await self._fetch_token()

    async def _fetch_token(self) -> str:
        started = self._monotonic()
        form = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self._settings.client_id,
                "client_secret": self._settings.client_secret or "",
                "scope": self._settings.scope,
            }
        ).encode()

        async def headers() -> Mapping[str, str]:
            return {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            }

        response = await send(
            self._session,
            "POST",
            self._settings.token_url,
            service=SERVICE,
            policy=self._policy,
            headers=headers,
            body=form,
            idempotent=True,
        )
        if response.status in (400, 401, 403):
            error = answers.oauth_error(response.body)
            raise AuthenticationFailed(
                SERVICE, f"the token endpoint refused the client ({error})", status=response.status
            )
        if response.status != 200:
            raise answers.unexpected(response, "token request")
        token = decode_json(response, TokenResponse, service=SERVICE, what="the token response")
        if not token.access_token or token.expires_in <= 0:
            raise MalformedResponse(
                SERVICE, "the token response has no usable token", status=200, raw=response.body
            )
        self._token = token.access_token
        self._token_expires_at = started + token.expires_in
        self.tokens_fetched += 1
        log.info("dynamics_token_fetched", expires_in_seconds=token.expires_in)
        return token.access_token

    def _forget_token(self, token: str) -> None:
        if self._token == token:
            self._token = None

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        url = f"{self._base}/{path.lstrip('/')}"
        if params:
            url += "?" + urlencode(params, quote_via=quote, safe="$,'()")
        return url

    async def _request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        extra: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> HttpResponse:
        used: dict[str, str] = {}

        async def headers() -> Mapping[str, str]:
            values = dict(_ODATA_HEADERS)
            if not self._via_gateway:
                used["token"] = await self.access_token()
                values["Authorization"] = f"Bearer {used['token']}"
            if body is not None:
                values["Content-Type"] = "application/json; charset=utf-8"
            return {**values, **(extra or {})}

        for attempt in (1, 2):
            response = await send(
                self._session,
                method,
                url,
                service=SERVICE,
                policy=self._policy,
                headers=headers,
                body=body,
                idempotent=idempotent,
            )
            if response.status == 401 and attempt == 1:
                # Revoked or expired early: one fresh token (ours, or the gateway's, which it
                # fetched when the vendor refused the old one), one more try.
                self._forget_token(used.get("token", ""))
                log.info("dynamics_token_rejected", path=urlsplit(url).path)
                continue
            return response
        return response

    def _check_next_link(self, link: str) -> None:
        # The token goes wherever the link points: only ever to the API it came from.
        if not link.startswith(self._origin + "/"):
            raise MalformedResponse(SERVICE, "@odata.nextLink points outside the Web API")

    async def pages(
        self,
        entity_set: str,
        row_type: type[ROW],
        query: Query = EVERYTHING,
        *,
        page_size: int | None = None,
    ) -> AsyncIterator[Page[ROW]]:
        """Every page of ``entity_set`` matching ``query``, fetched one at a time as consumed."""
        size = page_size or self._settings.page_size
        prefer = {"Prefer": f'odata.maxpagesize={size},odata.include-annotations="*"'}
        url: str | None = self.url(entity_set, query.params())
        number = 0
        while url is not None:
            number += 1
            response = await self._request("GET", url, extra=prefer, idempotent=True)
            if response.status != 200:
                raise answers.error_for(response, f"reading {entity_set}")
            page: Collection[ROW] = decode_json(
                response,
                Collection[row_type],  # type: ignore[valid-type]
                service=SERVICE,
                what=f"page {number} of {entity_set}",
            )
            if page.next_link is not None:
                self._check_next_link(page.next_link)
            log.debug(
                "dynamics_page_read", entity_set=entity_set, page=number, rows=len(page.value)
            )
            yield Page(
                number=number, rows=tuple(page.value), next_link=page.next_link, count=page.count
            )
            url = page.next_link

    async def rows(
        self,
        entity_set: str,
        row_type: type[ROW],
        query: Query = EVERYTHING,
        *,
        page_size: int | None = None,
    ) -> AsyncIterator[ROW]:
        """Every matching row, page by page."""
        async for page in self.pages(entity_set, row_type, query, page_size=page_size):
            for row in page.rows:
                yield row

    async def get(
        self, entity_set: str, key: str, row_type: type[ROW], *, select: tuple[str, ...] = ()
    ) -> ROW | None:
        """One row by primary key (a GUID) or alternate key (``ff_platformid='...'``)."""
        params = {"$select": ",".join(select)} if select else None
        response = await self._request(
            "GET", self.url(f"{entity_set}({key})", params), idempotent=True
        )
        if response.status == 404:
            return None
        if response.status != 200:
            raise answers.error_for(response, f"reading one of {entity_set}")
        return decode_json(response, row_type, service=SERVICE, what=f"a row of {entity_set}")

    async def find_by_platform_id(
        self, entity_set: str, platform_id: str, row_type: type[ROW]
    ) -> list[ROW]:
        query = Query(filter=f"ff_platformid eq {literal(platform_id)}", top=2)
        return [row async for row in self.rows(entity_set, row_type, query)]

    async def create(self, entity_set: str, body: msgspec.Struct) -> str:
        """Create a row; its id comes from ``OData-EntityId``. Never retried once delivered:
        a retry could create a second row, so callers make creates safe (see ``upsert``)."""
        response = await self._request(
            "POST", self.url(entity_set), body=msgspec.json.encode(body), idempotent=False
        )
        if response.status not in (201, 204):
            raise answers.error_for(response, f"creating in {entity_set}")
        return answers.entity_id(response)

    async def update(
        self, entity_set: str, key: str, body: msgspec.Struct, *, if_match: str = "*"
    ) -> str:
        """Update an existing row. ``if_match`` is the ETag read (``412`` when the row changed
        since) or ``*`` (any version, but never create)."""
        response = await self._request(
            "PATCH",
            self.url(f"{entity_set}({key})"),
            body=msgspec.json.encode(body),
            extra={"If-Match": if_match},
            idempotent=True,
        )
        if response.status == 412:
            raise PreconditionFailed(
                SERVICE, f"{entity_set} row changed since it was read", status=412
            )
        if response.status not in (200, 204):
            raise answers.error_for(response, f"updating {entity_set}")
        return answers.entity_id(response) if response.header("odata-entityid") else key

    async def upsert(
        self,
        entity_set: str,
        body: msgspec.Struct,
        *,
        platform_id: str,
        mode: Literal["alternate_key", "query"] | None = None,
    ) -> UpsertResult:
        """Create or update the row whose ``ff_platformid`` is ``platform_id``; run twice, or
        cut off half-way and run again, it leaves exactly one row."""
        if (mode or self._settings.upsert_by) == "alternate_key":
            key = f"ff_platformid={literal(platform_id)}"
            response = await self._request(
                "PATCH",
                self.url(f"{entity_set}({key})"),
                body=msgspec.json.encode(body),
                idempotent=True,
            )
            if response.status not in (200, 201, 204):
                raise answers.error_for(response, f"upserting {entity_set}")
            return UpsertResult(id=answers.entity_id(response), created=None)
        found = await self.find_by_platform_id(entity_set, platform_id, _KeyOnly[entity_set])
        if len(found) > 1:
            raise RequestRejected(
                SERVICE, f"{len(found)} {entity_set} rows share one ff_platformid", code="duplicate"
            )
        if found:
            row_id = found[0].id
            await self.update(entity_set, row_id, body, if_match="*")
            return UpsertResult(id=row_id, created=False)
        return UpsertResult(id=await self.create(entity_set, body), created=True)

    async def upsert_contact(self, contact: ContactWrite) -> UpsertResult:
        return await self.upsert(CONTACTS, contact, platform_id=contact.ff_platformid)

    async def upsert_loan_application(self, application: LoanApplicationWrite) -> UpsertResult:
        return await self.upsert(
            LOAN_APPLICATIONS, application, platform_id=application.ff_platformid
        )

    async def get_loan_application(self, platform_id: str) -> LoanApplication | None:
        return await self.get(
            LOAN_APPLICATIONS, f"ff_platformid={literal(platform_id)}", LoanApplication
        )

    async def get_contact(self, platform_id: str) -> Contact | None:
        return await self.get(CONTACTS, f"ff_platformid={literal(platform_id)}", Contact)

    def applications_with_obv_reference(
        self,
        *,
        modified_after: datetime | None = None,
        select: tuple[str, ...] = (),
        page_size: int | None = None,
    ) -> AsyncIterator[Page[LoanApplication]]:
        """Pages of loan applications that have an OBV reference, oldest change first, modified
        strictly after ``modified_after`` when given (obv-archiver's incremental read)."""
        clauses = ["ff_obvreference ne null"]
        if modified_after is not None:
            clauses.append(f"modifiedon gt {literal(modified_after)}")
        query = Query(
            select=select,
            filter=" and ".join(clauses),
            orderby="modifiedon asc,ff_loanapplicationid asc",
        )
        return self.pages(LOAN_APPLICATIONS, LoanApplication, query, page_size=page_size)


class _ContactKey(msgspec.Struct, frozen=True):
    contactid: str

    @property
    def id(self) -> str:
        return self.contactid


class _ApplicationKey(msgspec.Struct, frozen=True):
    ff_loanapplicationid: str

    @property
    def id(self) -> str:
        return self.ff_loanapplicationid


_KeyOnly: dict[str, Any] = {CONTACTS: _ContactKey, LOAN_APPLICATIONS: _ApplicationKey}
