from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ff_shared.errors import SettingsError
from ff_shared.settings import load_settings, resolve_ssm_references, settings_to_env, variables
from ff_workers.cli.settings_cmd import markdown_table

REQUIRED = {
    "FF_COGNITO_CUSTOMER_POOL_ID": "eu-west-2_customers",
    "FF_COGNITO_CUSTOMER_CLIENT_ID": "customer-client",
    "FF_COGNITO_STAFF_POOL_ID": "eu-west-2_staff",
    "FF_COGNITO_STAFF_CLIENT_ID": "staff-client",
}


def test_defaults_fill_everything_but_the_required_variables() -> None:
    settings = load_settings(REQUIRED)
    assert settings.api.port == 8000
    assert settings.product.min_amount_pence == 20_000
    assert settings.cognito.staff_pool_id == "eu-west-2_staff"


def test_a_missing_variable_is_named() -> None:
    env = dict(REQUIRED)
    del env["FF_COGNITO_STAFF_CLIENT_ID"]
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert raised.value.problems == ("FF_COGNITO_STAFF_CLIENT_ID is required but not set",)


def test_every_malformed_variable_is_named_at_once() -> None:
    env = {**REQUIRED, "FF_API_PORT": "eighty", "FF_LOG_JSON": "maybe", "FF_ENVIRONMENT": "prod"}
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    named = " ".join(raised.value.problems)
    assert "FF_API_PORT='eighty'" in named
    assert "FF_LOG_JSON='maybe'" in named
    assert "FF_ENVIRONMENT='prod'" in named
    assert len(raised.value.problems) == 3


def test_values_are_converted_to_their_types() -> None:
    env = {
        **REQUIRED,
        "FF_API_PORT": "9001",
        "FF_LOG_JSON": "false",
        "FF_MONGO_TIMEOUT_SECONDS": "2.5",
    }
    settings = load_settings(env)
    assert (settings.api.port, settings.log_json, settings.mongo.timeout_seconds) == (
        9001,
        False,
        2.5,
    )


def test_settings_round_trip_through_the_environment() -> None:
    settings = load_settings({**REQUIRED, "FF_AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert load_settings(settings_to_env(settings)) == settings


def test_ssm_references_are_resolved_without_touching_other_values() -> None:
    settings = load_settings({**REQUIRED, "FF_POSTGRES_DSN": "ssm:/ff/postgres/dsn"})
    fetched: list[str] = []

    async def fetch(name: str) -> str:
        fetched.append(name)
        return "postgresql://archiver@db/ff"

    resolved = asyncio.run(resolve_ssm_references(settings, fetch))
    assert resolved.postgres.dsn == "postgresql://archiver@db/ff"
    assert fetched == ["/ff/postgres/dsn"]
    assert resolved.mongo == settings.mongo


def test_the_settings_page_documents_every_variable_exactly_as_the_code_defines_it() -> None:
    page = (Path(__file__).parents[2] / "docs" / "settings.md").read_text()
    assert markdown_table() in page, "run `uv run ff settings --update-docs`"
    for var in variables():
        assert f"`{var.name}`" in page


def test_the_tracker_refuses_a_gather_time_its_visibility_timeout_cannot_cover() -> None:
    settings = load_settings({**REQUIRED, "FF_TRACKER_GATHER_SECONDS": "20"})
    assert settings.tracker.gather_seconds == 20.0
    with pytest.raises(SettingsError) as raised:
        load_settings({**REQUIRED, "FF_TRACKER_GATHER_SECONDS": "21"})
    assert "gather_seconds (21.0) must be at most a third of" in str(raised.value)
    assert "visibility_timeout_seconds (60)" in str(raised.value)
    with pytest.raises(SettingsError):
        load_settings({**REQUIRED, "FF_TRACKER_BATCH_MESSAGES": "0"})
