"""In this folder the platform's Dynamics and OBV clients are configured as in production: only
the gateway's URL, no vendor credential."""

from __future__ import annotations

import pytest

from ff_shared.settings import DynamicsSettings, ObvSettings
from tests.fixtures.gateway import Gateway


@pytest.fixture(scope="session")
def dynamics_settings(gateway: Gateway) -> DynamicsSettings:
    return DynamicsSettings(
        gateway_url=f"{gateway.url}/dynamics/api/data/v9.2",
        client_secret=None,
        timeout_seconds=2.0,
        retry_deadline_seconds=6.0,
        page_size=50,
        retry_defer_seconds=0.5,
    )


@pytest.fixture(scope="session")
def obv_settings(gateway: Gateway) -> ObvSettings:
    return ObvSettings(
        gateway_url=f"{gateway.url}/obv",
        api_key=None,
        timeout_seconds=2.0,
        retry_deadline_seconds=6.0,
        callback_url="http://testserver.local/v1/open-banking/callback",
        poll_interval_seconds=0.3,
        retry_defer_seconds=0.3,
    )
