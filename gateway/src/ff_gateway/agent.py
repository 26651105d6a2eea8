"""The credential agent: nginx's ``auth_request`` target on the gateway host's loopback.

nginx asks it, for every proxied call, for the credential to inject (``GET /credentials/obv``,
``GET /credentials/dynamics``) and reads it from the ``X-Credential`` response header, which
never leaves the host. Why ``auth_request`` rather than a file rewritten with each new token:
a credential never touches the disk or nginx's config (which stays exactly what the template
rendered and ``nginx -t`` checked), a refresh or a rotation needs no reload (no worker churn, no
dropped keep-alive pools), and a token the vendor refuses is replaced at once. The cost is one
loopback subrequest per call, well under the vendors' own rate limits (see bench/gateway_bench.py).

- The OBV API key and the Dynamics client secret are read from SSM at start-up and again every
  ``ssm_refresh_seconds`` (or on ``SIGHUP`` / ``POST /refresh``), so a rotated value is picked up
  without a restart.
- The Dynamics token comes from the client-credentials grant (through nginx's token location, so
  it leaves from the same address, over the same verified TLS) and is replaced
  ``refresh_margin_seconds`` before it expires, or at half its life when that is sooner, by a
  background task: calls never wait for a token while the current one is good.
- A ``401`` from Dynamics (a token revoked early) reaches ``POST /credentials/dynamics/refused``:
  a new token is fetched at once and the caller is answered ``401``, which the platform client
  retries once.

Logs name vendors, statuses and expiries; never a credential.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import quote, urlencode

import aioboto3
import aiohttp
import msgspec
import structlog
from aiohttp import web

from ff_gateway.config import GatewayConfig

log = structlog.get_logger()

CREDENTIAL_HEADER = "X-Credential"
FetchParameters = Callable[[list[str]], Awaitable[dict[str, str]]]


class TokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    expires_in: int
    token_type: str = "Bearer"


class TokenUnavailable(RuntimeError):
    pass


class Token(msgspec.Struct, frozen=True, kw_only=True):
    value: str
    expires_at: float
    """``time.monotonic()`` when the vendor stops accepting it."""
    refresh_at: float
    fetched_at: float


def ssm_fetcher(config: GatewayConfig) -> FetchParameters:
    """Parameters by name from SSM Parameter Store, decrypted; a missing one is an error."""
    session = aioboto3.Session(region_name=config.ssm.region)

    async def fetch(names: list[str]) -> dict[str, str]:
        async with session.client("ssm", endpoint_url=config.ssm.endpoint_url) as ssm:
            answer = await ssm.get_parameters(Names=names, WithDecryption=True)
        if answer.get("InvalidParameters"):
            raise KeyError(f"SSM parameters not found: {', '.join(answer['InvalidParameters'])}")
        return {p["Name"]: p["Value"] for p in answer["Parameters"]}

    return fetch


class Agent:
    def __init__(
        self,
        config: GatewayConfig,
        fetch_parameters: FetchParameters,
        http: aiohttp.ClientSession,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._fetch_parameters = fetch_parameters
        self._http = http
        self._monotonic = monotonic
        self._parameters: dict[str, str] = {}
        self._parameters_at: float | None = None
        self._token: Token | None = None
        self._token_lock = asyncio.Lock()
        self._token_changed = asyncio.Event()
        self.tokens_fetched = 0
        self.tokens_refused = 0
        self._last_refusal: float | None = None

    def _parameter_names(self) -> list[str]:
        names = []
        if self.config.obv is not None:
            names.append(self.config.obv.api_key_parameter)
        if self.config.dynamics is not None:
            names.append(self.config.dynamics.client_secret_parameter)
        return names

    async def load_parameters(self) -> None:
        """Read every credential from SSM; a changed Dynamics secret gets a new token at once."""
        names = self._parameter_names()
        values = await self._fetch_parameters(names) if names else {}
        dynamics = self.config.dynamics
        secret_changed = (
            dynamics is not None
            and self._parameters.get(dynamics.client_secret_parameter)
            != values.get(dynamics.client_secret_parameter)
            and self._parameters_at is not None
        )
        self._parameters = values
        self._parameters_at = self._monotonic()
        log.info("gateway_credentials_loaded", parameters=len(values))
        if secret_changed:
            log.info("gateway_client_secret_rotated")
            await self.refresh_token()

    def obv_key(self) -> str | None:
        if self.config.obv is None:
            return None
        return self._parameters.get(self.config.obv.api_key_parameter)

    def _token_url(self) -> str:
        assert self.config.dynamics is not None
        tenant = quote(self.config.dynamics.tenant, safe="")
        return f"{self.config.loopback_url}/dynamics-token/{tenant}/oauth2/v2.0/token"

    async def refresh_token(self) -> Token:
        """Fetch a new token now (one fetch at a time; a caller that waited reuses its result)."""
        dynamics = self.config.dynamics
        if dynamics is None:
            raise TokenUnavailable("Dynamics 365 is not configured")
        started = self._monotonic()
        async with self._token_lock:
            current = self._token
            if current is not None and current.fetched_at >= started:
                return current
            secret = self._parameters.get(dynamics.client_secret_parameter)
            if secret is None:
                raise TokenUnavailable("the client secret has not been read from SSM")
            form = urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": dynamics.client_id,
                    "client_secret": secret,
                    "scope": dynamics.scope,
                }
            )
            asked = self._monotonic()
            try:
                async with self._http.post(
                    self._token_url(),
                    data=form,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/json",
                    },
                    timeout=aiohttp.ClientTimeout(total=15),
                ) as response:
                    body = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("gateway_token_fetch_failed", error=type(exc).__name__)
                raise TokenUnavailable(f"the token endpoint did not answer: {exc}") from exc
            if status != 200:
                log.warning("gateway_token_fetch_failed", status=status, error=_oauth_error(body))
                raise TokenUnavailable(f"the token endpoint answered {status}")
            try:
                answer = msgspec.json.decode(body, type=TokenResponse)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise TokenUnavailable("the token response is not the documented shape") from exc
            if not answer.access_token or answer.expires_in <= 0:
                raise TokenUnavailable("the token response has no usable token")
            life = float(answer.expires_in)
            early = min(dynamics.refresh_margin_seconds, life / 2)
            token = Token(
                value=answer.access_token,
                expires_at=asked + life,
                refresh_at=asked + life - early,
                fetched_at=self._monotonic(),
            )
            self._token = token
            self.tokens_fetched += 1
            self._token_changed.set()
            log.info("gateway_token_fetched", expires_in_seconds=answer.expires_in)
            return token

    async def dynamics_token(self) -> str:
        """The current token while it is good; a new one when there is none (start-up, expiry
        after the refresher failed for its whole margin)."""
        token = self._token
        if token is None or self._monotonic() >= token.expires_at:
            token = await self.refresh_token()
        return token.value

    async def token_refused(self, refused: str | None) -> None:
        """Dynamics refused the token nginx injected (``refused``, as the header it sent):
        replace it unless that was already done (many calls in flight are refused together)."""
        self.tokens_refused += 1
        token = self._token
        if refused:
            if token is not None and f"Bearer {token.value}" != refused:
                return
        elif (
            self._last_refusal is not None
            and self._monotonic() - self._last_refusal
            < self.config.agent.rejected_refresh_min_seconds
        ):
            return
        self._last_refusal = self._monotonic()
        log.info("gateway_token_refused_by_vendor")
        with contextlib.suppress(TokenUnavailable):
            await self.refresh_token()

    async def keep_token_fresh(self) -> None:
        """Replace the token before it expires; on failure try again with backoff while the old
        one is still good."""
        backoff = 1.0
        quick_tries = 0
        while True:
            self._token_changed.clear()
            token = self._token
            wait = 0.0 if token is None else max(0.0, token.refresh_at - self._monotonic())
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._token_changed.wait(), timeout=wait)
                    continue  # fetched meanwhile (a refusal or a rotation): plan from the new one
            try:
                await self.refresh_token()
                backoff = 1.0
            except TokenUnavailable:
                quick_tries += 1
                if self._token is None and quick_tries <= 20:
                    # Start-up: nginx (the way out) opens just after the agent.
                    await asyncio.sleep(0.5)
                    continue
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def keep_parameters_fresh(self) -> None:
        while True:
            await asyncio.sleep(self.config.agent.ssm_refresh_seconds)
            try:
                await self.load_parameters()
            except Exception as exc:  # noqa: BLE001 - keep serving the values already read
                log.warning("gateway_credentials_reload_failed", error=type(exc).__name__)

    def health(self) -> tuple[bool, dict[str, object]]:
        vendors: dict[str, object] = {}
        ok = True
        if self.config.obv is not None:
            ready = self.obv_key() is not None
            ok = ok and ready
            vendors["obv"] = {"credential": "ready" if ready else "missing"}
        if self.config.dynamics is not None:
            token = self._token
            now = self._monotonic()
            ready = token is not None and now < token.expires_at
            ok = ok and ready
            vendors["dynamics"] = {
                "credential": "ready" if ready else "missing",
                "expires_in_seconds": None if token is None else round(token.expires_at - now),
                "tokens_fetched": self.tokens_fetched,
                "tokens_refused": self.tokens_refused,
            }
        if self.config.anchor_lms is not None:
            vendors["anchor_lms"] = {"credential": "carried by the platform"}
        return ok, {"status": "ok" if ok else "degraded", "vendors": vendors}


AGENT = web.AppKey("agent", Agent)


def _unavailable(vendor: str, why: str) -> web.Response:
    log.warning("gateway_credential_unavailable", vendor=vendor, reason=why)
    return web.json_response(
        {"error": {"code": "gateway_credential_unavailable", "message": why}}, status=503
    )


async def _obv_credential(request: web.Request) -> web.StreamResponse:
    key = request.app[AGENT].obv_key()
    if key is None:
        return _unavailable("obv", "the OBV API key has not been read from SSM")
    return web.Response(status=204, headers={CREDENTIAL_HEADER: key})


async def _dynamics_credential(request: web.Request) -> web.StreamResponse:
    try:
        token = await request.app[AGENT].dynamics_token()
    except TokenUnavailable as exc:
        return _unavailable("dynamics", str(exc))
    return web.Response(status=204, headers={CREDENTIAL_HEADER: f"Bearer {token}"})


async def _dynamics_refused(request: web.Request) -> web.StreamResponse:
    await request.app[AGENT].token_refused(request.headers.get("X-Refused-Credential"))
    return web.json_response(
        {
            "error": {
                "code": "gateway_token_refused",
                "message": "Dynamics 365 refused the gateway's token; a new one is in use: retry",
            }
        },
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


async def _health(request: web.Request) -> web.StreamResponse:
    ok, body = request.app[AGENT].health()
    return web.json_response(body, status=200 if ok else 503)


async def _refresh(request: web.Request) -> web.StreamResponse:
    agent = request.app[AGENT]
    await agent.load_parameters()
    if agent.config.dynamics is not None:
        with contextlib.suppress(TokenUnavailable):
            await agent.refresh_token()
    ok, body = agent.health()
    return web.json_response(body, status=200 if ok else 503)


def create_app(agent: Agent) -> web.Application:
    app = web.Application()
    app[AGENT] = agent
    app.router.add_get("/credentials/obv", _obv_credential)
    app.router.add_get("/credentials/dynamics", _dynamics_credential)
    app.router.add_post("/credentials/dynamics/refused", _dynamics_refused)
    app.router.add_get("/health", _health)
    app.router.add_post("/refresh", _refresh)
    return app


def _oauth_error(body: bytes) -> str:
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return "unreadable"
    code = decoded.get("error") if isinstance(decoded, dict) else None
    return code if isinstance(code, str) else "unreadable"


@contextlib.asynccontextmanager
async def running_agent(
    config: GatewayConfig, fetch_parameters: FetchParameters | None = None
) -> AsyncIterator[Agent]:
    """The agent serving on its loopback port, with its refreshers running, until exit."""
    async with aiohttp.ClientSession() as http:
        agent = Agent(config, fetch_parameters or ssm_fetcher(config), http)
        await agent.load_parameters()
        runner = web.AppRunner(create_app(agent), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", config.agent.port)
        await site.start()
        tasks = [asyncio.create_task(agent.keep_parameters_fresh())]
        if config.dynamics is not None:
            # The first token is fetched once nginx (its way out) answers; calls before that
            # fetch one themselves.
            tasks.append(asyncio.create_task(agent.keep_token_fresh()))
        log.info("gateway_agent_started", port=config.agent.port)
        try:
            yield agent
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await runner.cleanup()


async def serve(config: GatewayConfig) -> None:
    """Run until SIGTERM/SIGINT; SIGHUP re-reads SSM and fetches a new token."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    reloads: set[asyncio.Task[None]] = set()
    async with running_agent(config) as agent:

        def _reload() -> None:
            task = asyncio.create_task(_reload_now(agent))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, _reload)
        await stop.wait()


async def _reload_now(agent: Agent) -> None:
    try:
        await agent.load_parameters()
        if agent.config.dynamics is not None:
            await agent.refresh_token()
    except Exception as exc:  # noqa: BLE001 - a signal handler: log and keep serving
        log.warning("gateway_reload_failed", error=type(exc).__name__)
