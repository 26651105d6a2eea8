"""The secure gateway: real nginx and its credential agent in front of the simulators, over TLS
verified against a test CA (see tests/fixtures/gateway.py)."""

from __future__ import annotations

import ast
import asyncio
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aioboto3
import aiohttp
import pytest

from ff_gateway.config import ConfigError, PassThroughVendor, Upstream, validate
from ff_gateway.render import CheckFailed, install
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.schemas import ContactWrite
from ff_shared.integrations.obv.client import ObvClient
from ff_shared.settings import DynamicsSettings, ObvSettings
from ff_standins.servers import free_port
from ff_standins.simulation import credential_fingerprint
from tests.fixtures.dynamics import CLIENT_SECRET, DynamicsSimulator
from tests.fixtures.gateway import (
    OBV_KEY_PARAMETER,
    Gateway,
    gateway_config,
    nginx_dir,
)
from tests.fixtures.obv import API_KEY, ObvSimulator

CALLER_KEY = "caller-sent-key-must-not-travel"
CALLER_TOKEN = "Bearer caller-sent-token-must-not-travel"
CONTACTS = "/dynamics/api/data/v9.2/contacts"


def _consent_body() -> dict[str, Any]:
    return {"Data": {"ApplicationReference": str(uuid.uuid4())}}


async def _served(sim: DynamicsSimulator | ObvSimulator, after: int, path: str) -> list[Any]:
    return [r for r in await sim.requests(after) if path in r["path"]]


@pytest.fixture
def closed_port_gateway() -> Iterator[Gateway]:
    """A gateway of its own whose only vendor (Anchor LMS) refuses connections, allowed one
    request a second with no burst."""
    directory = nginx_dir("ff-gateway-closed-")
    config = gateway_config(
        directory,
        anchor_lms=PassThroughVendor(
            api=Upstream(
                url=f"https://127.0.0.1:{free_port()}",
                tls_name="lms.vendor.test",
                rate_per_second=1,
                burst=0,
            )
        ),
    )
    try:
        running = Gateway(config, directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    try:
        yield running
    finally:
        running.close()
        shutil.rmtree(directory, ignore_errors=True)


async def test_an_allowed_caller_reaches_obv_with_the_gateways_key_and_never_its_own(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, obv_sim: ObvSimulator
) -> None:
    before = await obv_sim.last_seq()
    request_id = f"req-{uuid.uuid4().hex}"
    async with gateway_http.post(
        f"{gateway.url}/obv/v1/consents",
        json=_consent_body(),
        headers={
            "X-Api-Key": CALLER_KEY,
            "Authorization": CALLER_TOKEN,
            "Cookie": "session=caller",
            "x-idempotency-key": uuid.uuid4().hex,
            "X-Request-ID": request_id,
        },
    ) as response:
        body = await response.json()
        assert response.status == 201, body
        assert response.headers["X-Request-ID"] == request_id
    assert body["Data"]["Reference"].startswith("OBV-")
    [served] = await _served(obv_sim, before, "/v1/consents")
    assert served["status"] == 201
    assert served["credentials"] == [credential_fingerprint(API_KEY)]
    assert served["headers"]["x-request-id"] == request_id


async def test_dynamics_sees_the_agents_bearer_token_and_never_the_callers(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, dynamics_sim: DynamicsSimulator
) -> None:
    before = await dynamics_sim.last_seq()
    async with gateway_http.get(
        f"{gateway.url}{CONTACTS}",
        params={"$top": "1"},
        headers={"Authorization": CALLER_TOKEN, "x-api-key": CALLER_KEY},
    ) as response:
        assert response.status == 200, await response.text()
    [served] = await _served(dynamics_sim, before, "/contacts")
    assert served["status"] == 200, "the simulator accepted the token: one it issued"
    assert len(served["credentials"]) == 1
    assert served["credentials"][0] not in {
        credential_fingerprint(CALLER_TOKEN),
        credential_fingerprint(CALLER_KEY),
    }


async def test_without_the_gateways_credentials_the_simulators_refuse(
    vendor_front: Any, obv_sim: ObvSimulator, dynamics_sim: DynamicsSimulator
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{obv_sim.url}/v1/consents/OBV-ANY") as response:
            assert response.status == 401
        async with http.get(f"{dynamics_sim.api_url}/contacts") as response:
            assert response.status == 401


async def test_a_caller_outside_the_allow_list_gets_403_and_reaches_no_vendor(
    gateway: Gateway, outsider_http: aiohttp.ClientSession, obv_sim: ObvSimulator
) -> None:
    before = await obv_sim.last_seq()
    async with outsider_http.get(f"{gateway.url}/obv/v1/consents/OBV-ANY") as response:
        body = await response.json()
        assert response.status == 403
    assert body["error"]["code"] == "gateway_forbidden"
    assert await obv_sim.requests(before) == []
    async with outsider_http.get(f"{gateway.url}/health") as response:
        assert response.status == 403
    denied = [line for line in gateway.log_lines() if line["client"] == "127.0.0.2"]
    assert {line["status"] for line in denied} == {403}


async def test_a_token_the_vendor_expires_is_replaced_before_any_call_fails(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, dynamics_sim: DynamicsSimulator
) -> None:
    await dynamics_sim.configure(token_lifetime_seconds=3)
    try:
        async with gateway_http.post(f"{gateway.agent_url}/refresh") as response:
            assert response.status == 200
        counts = await dynamics_sim.token_counts()
        statuses = []
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            async with gateway_http.get(
                f"{gateway.url}{CONTACTS}", params={"$top": "1"}
            ) as response:
                statuses.append(response.status)
            await asyncio.sleep(0.1)
        after = await dynamics_sim.token_counts()
    finally:
        await dynamics_sim.configure(token_lifetime_seconds=3599)
        async with gateway_http.post(f"{gateway.agent_url}/refresh") as response:
            assert response.status == 200
    assert set(statuses) == {200}, statuses
    assert len(statuses) > 10
    assert after["issued"] - counts["issued"] >= 2, "the 3 s tokens were replaced in time"
    assert after["rejected"] == counts["rejected"], "no call went out with an expired token"


async def test_a_token_revoked_early_is_replaced_at_the_first_refusal(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, dynamics_sim: DynamicsSimulator
) -> None:
    counts = await dynamics_sim.token_counts()
    await dynamics_sim.revoke_tokens()
    async with gateway_http.get(f"{gateway.url}{CONTACTS}", params={"$top": "1"}) as response:
        refused = await response.json()
        assert response.status == 401
    assert refused["error"]["code"] == "gateway_token_refused"
    async with gateway_http.get(f"{gateway.url}{CONTACTS}", params={"$top": "1"}) as response:
        assert response.status == 200
    assert (await dynamics_sim.token_counts())["issued"] == counts["issued"] + 1


async def test_a_vendors_5xx_reaches_the_caller_as_a_502_json_body(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, obv_sim: ObvSimulator
) -> None:
    marker = f"OBV-{uuid.uuid4().hex[:12].upper()}"
    await obv_sim.fault("status", status=500, path_contains=marker)
    request_id = f"r-{uuid.uuid4().hex}"
    async with gateway_http.get(
        f"{gateway.url}/obv/v1/consents/{marker}", headers={"X-Request-ID": request_id}
    ) as response:
        body = await response.json()
        assert response.status == 502
        assert response.content_type == "application/json"
    assert body["error"] == {
        "code": "gateway_upstream_unavailable",
        "message": "obv failed or could not be reached",
        "vendor": "obv",
        "upstream_status": "500",
        "request_id": request_id,
    }


async def test_a_vendor_that_does_not_answer_in_time_is_a_504_json_body(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, obv_sim: ObvSimulator
) -> None:
    marker = f"OBV-{uuid.uuid4().hex[:12].upper()}"
    await obv_sim.fault("slow", delay_seconds=6, path_contains=marker)
    started = time.monotonic()
    try:
        async with gateway_http.get(f"{gateway.url}/obv/v1/consents/{marker}") as response:
            body = await response.json()
            assert response.status == 504
    finally:
        await obv_sim.clear_faults()
    assert body["error"]["code"] == "gateway_upstream_timeout"
    assert time.monotonic() - started < 5, "the gateway's read timeout (3 s), not the vendor's"


async def test_a_refused_connection_is_a_502_and_the_rate_limit_a_429_json_body(
    closed_port_gateway: Gateway, gateway_http: aiohttp.ClientSession
) -> None:
    url = f"{closed_port_gateway.url}/anchor-lms/AnchorCollections.svc"
    async with gateway_http.post(url, data=b"<soap/>") as response:
        body = await response.json()
        assert response.status == 502
    assert body["error"]["code"] == "gateway_upstream_unavailable"
    assert body["error"]["vendor"] == "anchor_lms"
    async with gateway_http.post(url, data=b"<soap/>") as response:
        limited = await response.json()
        assert response.status == 429
        assert response.headers["Retry-After"] == "1"
    assert limited["error"]["code"] == "gateway_rate_limited"


async def test_a_vendor_certificate_from_an_untrusted_ca_is_refused(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, obv_sim: ObvSimulator
) -> None:
    before = await obv_sim.last_seq()
    async with gateway_http.get(f"{gateway.url}/anchor-lms/v1/consents/OBV-ANY") as response:
        body = await response.json()
        assert response.status == 502
    assert body["error"]["vendor"] == "anchor_lms"
    assert await obv_sim.requests(before) == [], "nothing was sent over the unverified TLS"
    error_log = (Path(gateway.config.log_dir) / "error.log").read_text()
    assert "upstream SSL certificate verify error" in error_log


async def test_a_body_over_the_vendors_limit_is_a_413_json_body(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, obv_sim: ObvSimulator
) -> None:
    before = await obv_sim.last_seq()
    async with gateway_http.post(
        f"{gateway.url}/obv/v1/consents",
        data=b"x" * 100_000,
        headers={"Content-Type": "application/json"},
    ) as response:
        body = await response.json()
        assert response.status == 413
    assert body["error"]["code"] == "gateway_body_too_large"
    assert await _served(obv_sim, before, "/v1/consents") == []


async def test_health_reports_every_vendors_credential_ready(
    gateway: Gateway, gateway_http: aiohttp.ClientSession
) -> None:
    async with gateway_http.get(f"{gateway.url}/health") as response:
        body = await response.json()
        assert response.status == 200
    assert body["status"] == "ok"
    assert body["vendors"]["obv"] == {"credential": "ready"}
    assert body["vendors"]["dynamics"]["credential"] == "ready"
    async with gateway_http.get(f"{gateway.url}/nowhere") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "gateway_no_route"


async def test_a_rotated_key_in_ssm_is_used_without_a_restart(
    gateway: Gateway, gateway_http: aiohttp.ClientSession, obv_sim: ObvSimulator, moto_url: str
) -> None:
    session = aioboto3.Session(region_name="eu-west-2")

    async def put(value: str) -> None:
        async with session.client("ssm", endpoint_url=moto_url) as ssm:
            await ssm.put_parameter(
                Name=OBV_KEY_PARAMETER, Value=value, Type="SecureString", Overwrite=True
            )
        async with gateway_http.post(f"{gateway.agent_url}/refresh") as response:
            assert response.status == 200

    before = await obv_sim.last_seq()
    await put("rotated-key")
    try:
        async with gateway_http.get(f"{gateway.url}/obv/v1/consents/OBV-ANY") as response:
            assert response.status == 401, "the simulator still expects the old key"
    finally:
        await put(API_KEY)
    async with gateway_http.get(f"{gateway.url}/obv/v1/consents/OBV-ANY") as response:
        assert response.status == 404
    served = await _served(obv_sim, before, "/v1/consents/OBV-ANY")
    assert [r["credentials"] for r in served] == [
        [credential_fingerprint("rotated-key")],
        [credential_fingerprint(API_KEY)],
    ]


async def test_the_access_log_is_json_with_request_ids_and_timings_and_holds_no_secret(
    gateway: Gateway, gateway_http: aiohttp.ClientSession
) -> None:
    request_id = f"log-{uuid.uuid4().hex}"
    async with gateway_http.get(
        f"{gateway.url}{CONTACTS}",
        params={"$filter": "lastname eq 'Personal'"},
        headers={"X-Request-ID": request_id, "Authorization": CALLER_TOKEN},
    ) as response:
        assert response.status == 200
    async with gateway_http.get(
        f"{gateway.url}/obv/v1/consents/OBV-ANY", headers={"X-Request-ID": "bad id {forged}"}
    ) as response:
        assert response.status == 404
        generated = response.headers["X-Request-ID"]
    assert generated != "bad id {forged}"
    lines = await gateway.logged(request_id, generated)
    [mine] = [line for line in lines if line["request_id"] == request_id]
    assert mine["vendor"] == "dynamics"
    assert mine["status"] == 200
    assert mine["path"] == CONTACTS, "no query string: it can carry personal data"
    assert mine["request_time"] >= 0
    assert float(mine["upstream_response_time"]) >= 0
    assert any(line["request_id"] == generated for line in lines)
    assert {line["vendor"] for line in lines} >= {"obv", "dynamics", "dynamics_token"}
    text = gateway.access_log.read_text() + (Path(gateway.config.log_dir) / "error.log").read_text()
    for secret in (API_KEY, CLIENT_SECRET, CALLER_KEY, CALLER_TOKEN, "Bearer", "Personal"):
        assert secret not in text


def test_a_config_nginx_refuses_never_replaces_the_installed_one(tmp_path: Path) -> None:
    directory = nginx_dir("ff-gateway-check-")
    try:
        good = gateway_config(
            directory,
            anchor_lms=PassThroughVendor(api=Upstream(url="https://127.0.0.1:9")),
        )
        target = directory / "nginx.conf"
        install(good, target)
        installed = target.read_text()
        bad = gateway_config(
            directory,
            anchor_lms=PassThroughVendor(api=Upstream(url="https://no-such-vendor.invalid")),
        )
        with pytest.raises(CheckFailed):
            install(bad, target)
        assert target.read_text() == installed
        assert sorted(p.name for p in directory.glob("*.conf")) == ["nginx.conf"]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"allow": ("0.0.0.0/0",)}, "admits everyone"),
        ({"allow": ()}, "at least one CIDR"),
        ({"allow": ("10.0.0.1/8",)}, "not a CIDR"),
        ({"anchor_lms": PassThroughVendor(api=Upstream(url="http://lms.example"))}, "not TLS"),
        (
            {"anchor_lms": PassThroughVendor(api=Upstream(url="https://lms.example/svc"))},
            "without a path",
        ),
    ],
)
def test_an_unsafe_config_is_refused_before_rendering(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    fields: dict[str, Any] = {
        "anchor_lms": PassThroughVendor(api=Upstream(url="https://lms.example")),
        **change,
    }
    with pytest.raises(ConfigError, match=problem):
        validate(gateway_config(tmp_path, **fields))


async def test_the_platform_client_rides_out_a_token_revoked_at_the_gateway(
    dynamics: DynamicsClient, dynamics_sim: DynamicsSimulator
) -> None:
    platform_id = str(uuid.uuid4())
    await dynamics.upsert_contact(ContactWrite(ff_platformid=platform_id, lastname="Gateway"))
    counts = await dynamics_sim.token_counts()
    await dynamics_sim.revoke_tokens()
    contact = await dynamics.get_contact(platform_id)
    assert contact is not None
    assert dynamics.tokens_fetched == 0, "behind the gateway the client holds no token"
    assert (await dynamics_sim.token_counts())["issued"] == counts["issued"] + 1


def test_a_client_without_a_credential_or_a_gateway_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="client secret"):
        DynamicsClient(None, DynamicsSettings(client_secret=None))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="API key"):
        ObvClient(None, ObvSettings(api_key=None))  # type: ignore[arg-type]


def test_the_gateway_package_needs_nothing_from_the_platform() -> None:
    root = Path(__file__).parents[2] / "gateway" / "src" / "ff_gateway"
    imported = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert {"ff_shared", "ff_api", "ff_workers"} & imported == set()


async def test_a_caller_can_never_read_a_credential(
    gateway: Gateway, gateway_http: aiohttp.ClientSession
) -> None:
    for vendor in ("obv", "dynamics"):
        async with gateway_http.get(f"{gateway.url}/_credentials/{vendor}") as response:
            body = await response.read()
            assert response.status == 404
            assert "X-Credential" not in response.headers
        assert API_KEY.encode() not in body
    async with gateway_http.get(f"{gateway.url}/obv/v1/consents/OBV-ANY") as response:
        assert response.status == 404
        assert "X-Credential" not in response.headers
