"""The API served by granian over a real socket, called with a real Cognito token."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from tests.fixtures.api import TokenFactory, bearer

from ff_shared.domain.application import STEPS, example_for
from ff_shared.settings import Settings, settings_to_env
from ff_standins.dev.run import api_argv
from ff_standins.servers import ServerProcess, free_port


@pytest.fixture(scope="module")
def served_api(settings: Settings, workdir: Path) -> Iterator[str]:
    port = free_port()
    argv = api_argv(port)
    saved = dict(os.environ)
    os.environ.update(settings_to_env(settings))
    try:
        server = ServerProcess("granian-api", argv, port=port, workdir=workdir)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


async def test_the_whole_journey_over_a_real_socket(
    served_api: str, customer_token: TokenFactory
) -> None:
    headers = bearer(await customer_token())
    async with aiohttp.ClientSession(base_url=served_api, headers=headers) as http:
        async with http.get("/health/ready") as ready:
            assert ready.status == 200, await ready.text()
        async with http.post("/v1/applications") as created:
            assert created.status == 201
            app = await created.json()
        for step in STEPS:
            async with http.put(
                f"/v1/applications/{app['id']}/steps/{step}", json=example_for(step)
            ) as saved:
                assert saved.status == 200, await saved.text()
        async with http.post(f"/v1/applications/{app['id']}/submit") as submitted:
            assert submitted.status == 200
            body = await submitted.json()
            assert body["status"] in {"in_review", "declined"}
            assert submitted.headers["x-request-id"]
        async with http.get(
            "/v1/me", headers={"Authorization": "Bearer expired.or.forged"}
        ) as denied:
            assert denied.status == 401
            assert denied.headers["content-type"].startswith("application/problem+json")


def test_missing_settings_stop_start_up_with_a_message_naming_them(workdir: Path) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("FF_")}
    result = subprocess.run(
        [sys.executable, "-c", "from ff_api.app import app_from_env; app_from_env()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "FF_COGNITO_CUSTOMER_POOL_ID is required" in result.stderr
    assert "Traceback" not in result.stderr
