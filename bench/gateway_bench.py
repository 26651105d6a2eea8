"""What the secure gateway costs: the same simulator called directly and through the gateway,
in the same run.

    uv run python -m bench.gateway_bench [--seconds 5] [--connections 16] [--samples 2000]

The gateway path is the production one: nginx asks the credential agent for the credential
(``auth_request``), injects it, and calls the vendor over TLS verified against a CA (a test CA
here, with nginx terminating TLS in front of the simulator as the vendor would). For OBV
(``GET /v1/consents/{ref}``, x-api-key) and Dynamics 365 (``GET contacts?$top=5``, a bearer
token and the nextLink rewrite):

- requests per second under load (``wrk``, keep-alive, ``--connections``) direct and through it;
- latency of one request at a time, direct and through the gateway interleaved, and the
  latency the gateway adds at p50 and p99.

Needs ``apt-get install -y nginx wrk``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import aioboto3
import aiohttp
from tests.fixtures.gateway import (
    DYNAMICS_NAME,
    LOGIN_NAME,
    OBV_NAME,
    CertificateAuthority,
    Gateway,
    VendorFront,
    gateway_config,
    nginx_dir,
)

from ff_gateway.config import AgentConfig, DynamicsVendor, ObvVendor, SsmConfig, Upstream
from ff_standins.servers import free_port, reset_moto, start_moto, start_simulator

API_KEY = "bench-obv-key"
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"
UNLIMITED = {"rate_per_second": 1_000_000, "burst": 100_000, "max_concurrent": 60_000}


def _wrk(url: str, seconds: float, connections: int, headers: dict[str, str]) -> float:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url} answered {non2xx.group(1)} errors under load:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


async def _latencies(
    http: aiohttp.ClientSession, paths: dict[str, tuple[str, dict[str, str]]], samples: int
) -> dict[str, list[float]]:
    """One request at a time, alternating between the paths so both see the same machine."""
    found: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(samples):
        for name, (url, headers) in paths.items():
            started = time.perf_counter()
            async with http.get(url, headers=headers) as response:
                await response.read()
                assert response.status == 200, (name, response.status)
            found[name].append((time.perf_counter() - started) * 1000)
    return found


def _pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def _prepare(obv_url: str, dynamics_url: str, moto_url: str) -> tuple[str, str]:
    session = aioboto3.Session(region_name="eu-west-2")
    async with session.client("ssm", endpoint_url=moto_url) as ssm:
        for name, value in (("/bench/obv", API_KEY), ("/bench/dynamics", CLIENT_SECRET)):
            await ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{obv_url}/_sim/consents", json={"count": 1}) as response:
            reference = (await response.json())["consents"][0]["reference"]
        rows = [{"ff_platformid": f"bench-{n}", "lastname": "Bench"} for n in range(5)]
        async with http.post(f"{dynamics_url}/_sim/entities/contacts", json=rows) as response:
            assert response.status < 300
        form = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": f"{dynamics_url}/.default",
        }
        async with http.post(f"{dynamics_url}/t/oauth2/v2.0/token", data=form) as response:
            token = (await response.json())["access_token"]
    return reference, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y nginx wrk")
    # moto's SSM, for the bench process and the agent it starts.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    work = Path(tempfile.mkdtemp(prefix="ff-gateway-bench-"))
    pki = nginx_dir("ff-gateway-bench-pki-")
    front_dir = nginx_dir("ff-gateway-bench-front-")
    gateway_dir = nginx_dir("ff-gateway-bench-gw-")
    started = []
    try:
        moto = start_moto(work)
        started.append(moto)
        reset_moto(moto.url)
        obv = start_simulator("obv-sim", "ff_standins.obv.simulator", work, "--api-key", API_KEY)
        started.append(obv)
        dynamics = start_simulator(
            "dynamics-sim",
            "ff_standins.dynamics.simulator",
            work,
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
        )
        started.append(dynamics)
        ca = CertificateAuthority(pki, "vendors")
        front = VendorFront(
            front_dir,
            {
                OBV_NAME: (ca, obv.port),
                DYNAMICS_NAME: (ca, dynamics.port),
                LOGIN_NAME: (ca, dynamics.port),
            },
        )
        started.append(front)
        config = gateway_config(
            gateway_dir,
            trusted_ca_file=str(ca.cert_path),
            agent=AgentConfig(port=free_port()),
            ssm=SsmConfig(endpoint_url=moto.url),
            obv=ObvVendor(
                api=Upstream(url=front.url(OBV_NAME), tls_name=OBV_NAME, **UNLIMITED),
                api_key_parameter="/bench/obv",
            ),
            dynamics=DynamicsVendor(
                api=Upstream(url=front.url(DYNAMICS_NAME), tls_name=DYNAMICS_NAME, **UNLIMITED),
                token=Upstream(url=front.url(LOGIN_NAME), tls_name=LOGIN_NAME),
                tenant="bench",
                client_id=CLIENT_ID,
                client_secret_parameter="/bench/dynamics",
                scope=f"https://{DYNAMICS_NAME}/.default",
            ),
        )
        reference, token = asyncio.run(_prepare(obv.url, dynamics.url, moto.url))
        gateway = Gateway(config, gateway_dir)
        started.append(gateway)
        cases = {
            "OBV": (
                (f"{obv.url}/v1/consents/{reference}", {"x-api-key": API_KEY}),
                (f"{gateway.url}/obv/v1/consents/{reference}", {}),
            ),
            "Dynamics": (
                (
                    f"{dynamics.url}/api/data/v9.2/contacts?$top=5",
                    {"Authorization": f"Bearer {token}"},
                ),
                (f"{gateway.url}/dynamics/api/data/v9.2/contacts?$top=5", {}),
            ),
        }

        async def latencies() -> dict[str, dict[str, list[float]]]:
            async with aiohttp.ClientSession() as http:
                out = {}
                for vendor, (direct, through) in cases.items():
                    await _latencies(http, {"direct": direct, "gateway": through}, 50)  # warm
                    out[vendor] = await _latencies(
                        http, {"direct": direct, "gateway": through}, args.samples
                    )
                return out

        measured = asyncio.run(latencies())
        print(f"gateway bench: {args.connections} connections for {args.seconds:.0f} s each")
        for vendor, (direct, through) in cases.items():
            _wrk(direct[0], 1, args.connections, direct[1])
            direct_rps = _wrk(direct[0], args.seconds, args.connections, direct[1])
            _wrk(through[0], 1, args.connections, through[1])
            gateway_rps = _wrk(through[0], args.seconds, args.connections, through[1])
            lat = measured[vendor]
            d50, d99 = _pct(lat["direct"], 50), _pct(lat["direct"], 99)
            g50, g99 = _pct(lat["gateway"], 50), _pct(lat["gateway"], 99)
            print(f"{vendor}")
            print(f"  direct to the simulator      {direct_rps:>9,.0f} req/s")
            print(
                f"  through the gateway          {gateway_rps:>9,.0f} req/s "
                f"({gateway_rps / direct_rps:.0%} of direct)"
            )
            print(
                f"  latency, one at a time ({args.samples} each): direct p50 {d50:.2f} ms "
                f"p99 {d99:.2f} ms; gateway p50 {g50:.2f} ms p99 {g99:.2f} ms"
            )
            print(
                f"  added by the gateway         p50 {g50 - d50:+.2f} ms   p99 {g99 - d99:+.2f} ms"
            )
    finally:
        for server in reversed(started):
            server.close()
        for directory in (work, pki, front_dir, gateway_dir):
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
