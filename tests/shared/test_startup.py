"""Start-up settings: ``ssm:/`` values resolved from SSM (moto) at every entry point, and
production refusing local defaults, demo secrets, stand-in URLs and simulators, naming each."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path
from typing import Any

import aioboto3
import pytest
from tests.fixtures.servers import REGION

from ff_shared.errors import SettingsError
from ff_shared.integrations.aws.ssm import put_secret
from ff_shared.settings import docs_enabled, load_settings, production_problems
from ff_shared.startup import load_runtime_settings
from ff_workers.cli.main import main

ROOT = Path(__file__).parents[2]
REQUIRED = {
    "FF_COGNITO_CUSTOMER_POOL_ID": "eu-west-2_customers",
    "FF_COGNITO_CUSTOMER_CLIENT_ID": "customer-client",
    "FF_COGNITO_STAFF_POOL_ID": "eu-west-2_staff",
    "FF_COGNITO_STAFF_CLIENT_ID": "staff-client",
}
# A production environment with every local default replaced (secrets from SSM, services named).
PRODUCTION = {
    **REQUIRED,
    "FF_ENVIRONMENT": "production",
    "FF_API_CORS_ORIGINS": "https://apply.fairfinance.example,https://staff.fairfinance.example",
    "FF_MONGO_URL": "mongodb+srv://api@cluster0.fairfinance.example/",
    "FF_REDIS_URL": "rediss://cache.fairfinance.example:6379/0",
    "FF_POSTGRES_DSN": "postgresql://api@db.fairfinance.example:5432/fairfinance",
    "FF_LMS_SFTP_HOST": "sftp.anchor.example",
    "FF_LOANBOOK_CONNECTION_STRING": "Driver={ODBC Driver 18 for SQL Server};Server=lb.example",
    "FF_ANCHOR_LMS_BASE_URL": "https://anchor.example/AnchorCollections.svc",
    "FF_ANCHOR_LMS_PASSWORD": "s3cret-from-ssm",
    "FF_DYNAMICS_GATEWAY_URL": "https://gateway.fairfinance.example/dynamics/api/data/v9.2",
    "FF_OBV_GATEWAY_URL": "https://gateway.fairfinance.example/obv",
    "FF_OBV_CALLBACK_URL": "https://api.fairfinance.example/v1/open-banking/callback",
    "FF_PAYMENTS_BASE_URL": "https://api.gocardless.com",
    "FF_PAYMENTS_ACCESS_TOKEN": "live-token",
    "FF_PAYMENTS_WEBHOOK_SECRET": "live-webhook-secret",
    "FF_GOOGLE_ANALYTICS_BASE_URL": "https://analyticsdata.googleapis.com",
    "FF_ANALYST_BASE_URL": "https://api.anthropic.com",
    "FF_ANALYST_API_KEY": "sk-live",
    "FF_ADP_CUSTOMER_KEY_SALT": "live-salt",
}


@pytest.fixture
async def ssm(moto_url: str) -> Any:
    session = aioboto3.Session(region_name=REGION)
    async with session.client("ssm", endpoint_url=moto_url) as client:
        yield client


async def test_ssm_values_are_fetched_at_start_up(ssm: Any, moto_url: str) -> None:
    name = f"/ff/test/{uuid.uuid4().hex}/analyst-key"
    await put_secret(ssm, name, "sk-from-ssm")
    env = {
        **REQUIRED,
        "FF_AWS_REGION": REGION,
        "FF_AWS_ENDPOINT_URL": moto_url,
        "FF_ANALYST_API_KEY": f"ssm:{name}",
    }
    # Called from inside a running event loop, as an async entry point would.
    settings = load_runtime_settings(env)
    assert settings.analyst.api_key == "sk-from-ssm"
    assert settings.mongo == load_settings(env).mongo


async def test_a_missing_parameter_is_named_and_stops_start_up(moto_url: str) -> None:
    name = f"/ff/test/{uuid.uuid4().hex}/absent"
    env = {**REQUIRED, "FF_AWS_ENDPOINT_URL": moto_url, "FF_ANALYST_API_KEY": f"ssm:{name}"}
    with pytest.raises(SettingsError) as raised:
        load_runtime_settings(env)
    assert name in str(raised.value)
    assert "ParameterNotFound" in str(raised.value)


def test_the_ff_command_resolves_ssm_values(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"/ff/test/{uuid.uuid4().hex}/absent"
    for key, value in {**REQUIRED, "FF_AWS_ENDPOINT_URL": moto_url}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FF_PAYMENTS_ACCESS_TOKEN", f"ssm:{name}")
    with pytest.raises(SystemExit) as exited:
        main(["settings", "--check"])
    assert exited.value.code == 2
    assert name in capsys.readouterr().err


def test_every_entry_point_starts_from_the_runtime_settings() -> None:
    """The API, the workers' and every ``ff`` command's settings come from one function."""
    allowed = {"shared/src/ff_shared/settings/loading.py", "shared/src/ff_shared/startup.py"}
    offenders = []
    for package in ("api/src", "workers/src", "shared/src"):
        for path in (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "load_settings"
                    and relative not in allowed
                ):
                    offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []


def test_production_names_every_local_default() -> None:
    problems = production_problems(load_settings({**REQUIRED, "FF_ENVIRONMENT": "production"}))
    named = {p.split()[0] for p in problems}
    for variable in (
        "FF_MONGO_URL",
        "FF_REDIS_URL",
        "FF_POSTGRES_DSN",
        "FF_API_CORS_ORIGINS",
        "FF_ANCHOR_LMS_BASE_URL",
        "FF_ANCHOR_LMS_PASSWORD",
        "FF_DYNAMICS_CLIENT_SECRET",
        "FF_OBV_API_KEY",
        "FF_OBV_CALLBACK_URL",
        "FF_PAYMENTS_BASE_URL",
        "FF_PAYMENTS_ACCESS_TOKEN",
        "FF_PAYMENTS_WEBHOOK_SECRET",
        "FF_ANALYST_API_KEY",
        "FF_ADP_CUSTOMER_KEY_SALT",
        "FF_LOANBOOK_CONNECTION_STRING",
    ):
        assert variable in named, variable
    assert "FF_API_HOST" not in named, "a bind address is not a stand-in"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FF_AWS_ENDPOINT_URL", "http://moto.internal:8100"),
        ("FF_MONGO_URL", "mongodb://localhost:27017"),
        ("FF_OBV_GATEWAY_URL", "http://127.0.0.1:8103"),
        ("FF_PAYMENTS_BASE_URL", "http://payments-sim:8104"),
        ("FF_PAYMENTS_WEBHOOK_SECRET", "ff-local-webhook-secret"),
        ("FF_COGNITO_JWKS_BASE_URL", "http://[::1]:8100"),
        ("FF_LMS_CONVERTER_COMMAND", "python -m ff_standins.sqb_converter {input} {output}"),
    ],
)
def test_production_refuses_to_start_naming_the_variable(variable: str, value: str) -> None:
    assert load_runtime_settings(PRODUCTION).environment == "production"
    with pytest.raises(SettingsError) as raised:
        load_runtime_settings({**PRODUCTION, variable: value})
    assert {p.split()[4] for p in raised.value.problems} == {variable}


def test_the_api_ui_is_off_in_production_unless_enabled() -> None:
    assert docs_enabled(load_settings(REQUIRED))
    production = load_runtime_settings(PRODUCTION)
    assert not docs_enabled(production)
    assert docs_enabled(load_runtime_settings({**PRODUCTION, "FF_API_DOCS_ENABLED": "true"}))
    assert not docs_enabled(load_settings({**REQUIRED, "FF_API_DOCS_ENABLED": "false"}))
