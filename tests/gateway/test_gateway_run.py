"""``ff-gateway run`` (the container's and the gateway host's entry point, and ``ff dev``'s):
agent and nginx together, SIGHUP re-renders and reloads, SIGTERM stops both."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import msgspec

from ff_gateway.config import AgentConfig, GatewayConfig, load_config
from ff_gateway.render import install
from ff_standins.dev.gateway import (
    DYNAMICS_SECRET_PARAMETER,
    OBV_KEY_PARAMETER,
    local_gateway_config,
)
from ff_standins.dev.stack import Stack
from ff_standins.servers import free_port, port_open, wait_for_port
from tests.fixtures.gateway import (
    CertificateAuthority,
    VendorFront,
    nginx_dir,
    session_gateway_config,
)


async def test_run_serves_reloads_on_sighup_and_stops_on_sigterm(
    gateway_pki: tuple[Path, CertificateAuthority, CertificateAuthority],
    vendor_front: VendorFront,
    gateway_ssm: str,
    gateway_http: aiohttp.ClientSession,
) -> None:
    directory = nginx_dir("ff-gateway-run-")
    config = msgspec.structs.replace(
        session_gateway_config(directory, vendor_front, gateway_pki[1], gateway_ssm),
        agent=AgentConfig(port=free_port()),
        anchor_lms=None,
    )
    config_path = directory / "gateway.json"
    config_path.write_bytes(msgspec.json.encode(config))
    out = directory / "nginx.conf"
    argv = [sys.executable, "-m", "ff_gateway.cli", "run", "--config", str(config_path)]
    log = (directory / "run.log").open("wb")
    process = await asyncio.to_thread(
        subprocess.Popen,
        [*argv, "--out", str(out)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{config.listen_port}"
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", config.listen_port, name="gateway")
        await asyncio.to_thread(wait_for_port, "127.0.0.1", config.agent.port, name="agent")
        async with gateway_http.get(f"{url}/obv/v1/consents/OBV-ANY") as response:
            assert response.status == 404, "through to the simulator with the injected key"
        async with gateway_http.get(f"{url}/anchor-lms/x") as response:
            assert response.status == 404, "no Anchor LMS location yet"
        with_anchor = session_gateway_config(directory, vendor_front, gateway_pki[1], gateway_ssm)
        config_path.write_bytes(
            msgspec.json.encode(
                msgspec.structs.replace(
                    config, anchor_lms=with_anchor.anchor_lms, listen_port=config.listen_port
                )
            )
        )
        process.send_signal(signal.SIGHUP)
        status = 404
        for _ in range(50):
            async with gateway_http.get(f"{url}/anchor-lms/x") as response:
                status = response.status
            if status != 404:
                break
            await asyncio.sleep(0.1)
        assert status == 502, "reloaded: Anchor LMS is routed (to a front it must not trust)"
        async with gateway_http.get(f"{url}/health") as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 15) == 0
        assert not port_open("127.0.0.1", config.listen_port)
        assert not port_open("127.0.0.1", config.agent.port)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)


def test_the_local_stacks_gateway_config_is_one_nginx_accepts(moto_url: str) -> None:
    stack = Stack(
        env={
            "FF_COGNITO_CUSTOMER_POOL_ID": "p",
            "FF_COGNITO_CUSTOMER_CLIENT_ID": "c",
            "FF_COGNITO_STAFF_POOL_ID": "p",
            "FF_COGNITO_STAFF_CLIENT_ID": "c",
        },
        pools={},
        aws_endpoint_url=moto_url,
        aws_region="eu-west-2",
    )
    directory = nginx_dir("ff-gateway-dev-")
    try:
        data = local_gateway_config(stack)
        data.update(runtime_dir=str(directory / "run"), log_dir=str(directory / "logs"))
        config = msgspec.convert(data, GatewayConfig)
        assert install(config, directory / "nginx.conf")
        rendered = (directory / "nginx.conf").read_text()
        assert "proxy_pass http://obv_vendor/;" in rendered
        assert "server 127.0.0.1:8101;" in rendered
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_the_compose_gateway_config_is_one_nginx_accepts() -> None:
    """gateway/compose.json: the gateway container sharing the local stack's network."""
    directory = nginx_dir("ff-gateway-compose-")
    try:
        config = load_config(Path(__file__).parents[2] / "gateway" / "compose.json")
        assert config.obv is not None
        assert config.obv.api_key_parameter == OBV_KEY_PARAMETER
        assert config.dynamics is not None
        assert config.dynamics.client_secret_parameter == DYNAMICS_SECRET_PARAMETER
        local = msgspec.structs.replace(
            config, runtime_dir=str(directory / "run"), log_dir=str(directory / "logs")
        )
        assert install(local, directory / "nginx.conf")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
