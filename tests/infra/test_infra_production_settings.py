"""Both deployments start in production: the environment every ECS task definition and every
chart workload gives the platform (tests/infra/deployed_env.py) passes its own start-up checks
(``production_problems``), and removing any variable those checks need makes it fail."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping

import jsonschema
import pytest
from tests.infra.conftest import ROOT
from tests.infra.deployed_env import (
    OPERATOR_VALUES,
    REQUIRED,
    MissingValue,
    ecs_environments,
    ecs_module,
    ecs_task_definitions,
    helm_environments,
    helm_settings_env,
    helpers,
    merged,
    platform_parameters,
    problems,
    production_values,
)
from tests.infra.test_infra_helm import schema, values
from tests.infra.test_infra_terraform import TF, parse, unquote

from ff_shared.settings import SSM_PREFIX


def test_the_required_set_is_what_production_refuses() -> None:
    # The negative cases below are parametrised on it: an empty set would prove nothing.
    assert {
        "FF_ADP_CUSTOMER_KEY_SALT",
        "FF_ANALYST_API_KEY",
        "FF_ANCHOR_LMS_PASSWORD",
        "FF_API_CORS_ORIGINS",
        "FF_DYNAMICS_BASE_URL",
        "FF_LMS_SFTP_HOST",
        "FF_OBV_CALLBACK_URL",
        "FF_PAYMENTS_WEBHOOK_SECRET",
        "FF_REDIS_URL",
    } <= set(REQUIRED)


@pytest.mark.parametrize("task", sorted(ecs_task_definitions()))
def test_every_ecs_task_passes_the_production_checks(task: str) -> None:
    env = ecs_environments()[task]
    assert env["FF_ENVIRONMENT"] == "production"
    assert problems(env) == []


def test_ecs_tasks_read_only_the_ssm_parameters_their_task_role_may() -> None:
    (iam,) = parse(TF / "modules" / "ecs" / "iam.tf")["locals"]
    grants = unquote(iam["grants"])
    parameters = platform_parameters()
    prefix = f"{SSM_PREFIX}/ff/production/"
    for task, env in ecs_environments().items():
        deployable = env["FF_WORKER_NAME"]
        for name, value in env.items():
            if not value.startswith(SSM_PREFIX):
                continue
            assert value.startswith(prefix), f"{task} {name}: {value} is outside {prefix}"
            parameter = value.removeprefix(prefix)
            assert parameter in parameters, f"{task} {name}: no parameter {parameter}"
            assert parameter.split("/")[0] in grants[deployable]["secret_paths"], (
                f"{task} {name}: the {deployable} task role may not read {parameter}"
            )


def test_every_helm_workload_passes_the_production_checks() -> None:
    chart_values = production_values()
    jsonschema.Draft7Validator(schema()).validate(chart_values)
    environments = helm_environments(chart_values)
    assert set(environments) >= {"api", "core", "migrate", "adp-once"}
    for component, env in environments.items():
        assert env["FF_ENVIRONMENT"] == "production", component
        assert problems(env) == [], component


def test_the_chart_refuses_to_render_without_the_environments_values() -> None:
    with pytest.raises(MissingValue):
        helm_settings_env(values())
    for key in ("apiUrl", "anchorLmsUrl", "paymentsUrl", "lmsSftpHost"):
        unset = merged(production_values(), {"settings": {key: ""}})
        with pytest.raises(MissingValue, match=f"settings.{key} is required"):
            helm_settings_env(unset)


def test_the_helm_schema_refuses_a_loopback_vendor_url() -> None:
    validator = jsonschema.Draft7Validator(schema())
    local = merged(production_values(), {"settings": {"paymentsUrl": "http://127.0.0.1:8104"}})
    assert not validator.is_valid(local)


def supplier(variable: str, env: Mapping[str, str]) -> str:
    """The variable of a deployment that satisfies ``variable``: itself, or for a third party
    called through the secure gateway, that section's gateway URL."""
    if variable in env:
        return variable
    gateways = [
        k
        for k in env
        if k.endswith("_GATEWAY_URL") and variable.startswith(k.removesuffix("GATEWAY_URL"))
    ]
    assert len(gateways) == 1, f"{variable} is neither set nor replaced by a gateway URL"
    return gateways[0]


def without_variable(deployment: str, variable: str) -> dict[str, dict[str, str]]:
    """Every workload's environment once the deployment's files no longer set ``variable``
    (or the gateway URL that stands in for it)."""
    if deployment == "ecs":
        removed = supplier(variable, ecs_environments()["api"])
        ecs = copy.deepcopy(ecs_module())
        maps = [
            ecs["environment_variables"],
            ecs["secrets"],
            *ecs["deployable_environment"].values(),
        ]
        assert any(m.pop(removed, None) is not None for m in maps), removed
        return ecs_environments(ecs)
    chart_values = production_values()
    removed = supplier(variable, helm_environments(chart_values)["api"])
    entry = re.compile(rf"^- name: {removed}\n  value: .*\n", re.MULTILINE)
    template, count = entry.subn("", helpers())
    assert count == 1, removed
    return helm_environments(chart_values, template)


@pytest.mark.parametrize("deployment", ["ecs", "helm"])
@pytest.mark.parametrize("variable", REQUIRED)
def test_removing_a_required_variable_fails_the_checks(deployment: str, variable: str) -> None:
    for name, env in without_variable(deployment, variable).items():
        found = problems(env)
        assert any(problem.startswith(f"{variable} ") for problem in found), (name, found)


def test_the_deployment_docs_name_what_an_operator_sets() -> None:
    docs = (ROOT / "docs" / "deployment.md").read_text()
    for name, raw in ecs_module()["environment_variables"].items():
        if name in REQUIRED:
            for variable in re.findall(r"\bvar\.(\w+)", raw):
                assert f"`{variable}`" in docs, f"docs/deployment.md: {variable} ({name})"
    for parameter in platform_parameters():
        assert f"`{parameter}`" in docs, f"docs/deployment.md does not name {parameter}"
    for key in OPERATOR_VALUES["settings"]:
        assert f"`settings.{key}`" in docs, f"docs/deployment.md does not name settings.{key}"
