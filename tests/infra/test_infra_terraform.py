"""terraform/: every file parses (python-hcl2), holds `terraform fmt` style (see tffmt), the
environments are one configuration, and every deployable has its service or scheduled task."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tests.infra.conftest import ROOT, terraform_files
from tests.infra.deployables import SCHEDULED_TASKS, WORKER_NAMES
from tests.infra.tffmt import problems

ENVIRONMENTS = ("dev", "staging", "production")
TF = ROOT / "terraform"


@functools.cache
def parse(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        parsed: dict[str, Any] = hcl2.load(handle)
    return parsed


def unquote(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip('"')
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items()}
    return value


def stack() -> dict[str, Any]:
    """The one configuration every environment deploys."""
    return parse(TF / "stack" / "main.tf")


def resource_types() -> set[str]:
    types: set[str] = set()
    for path in terraform_files():
        for block in parse(path).get("resource", []):
            types |= {unquote(t) for t in block}
    return types


def test_every_terraform_file_parses() -> None:
    files = terraform_files()
    assert len(files) >= 20
    for path in files:
        parsed = parse(path)
        assert parsed, path


@pytest.mark.parametrize("path", terraform_files(), ids=lambda p: str(p.relative_to(TF)))
def test_terraform_fmt_style(path: Path) -> None:
    assert problems(path) == []


def test_environments_are_one_configuration_with_remote_state_and_locking() -> None:
    assert sorted(p.name for p in (TF / "environments").iterdir()) == sorted(ENVIRONMENTS)
    (backend_block,) = stack()["terraform"][0]["backend"]
    settings = set(unquote(backend_block)["s3"]) - {"__is_block__"}
    assert settings == set(), "the stack's backend is configured per environment (backend.hcl)"
    declared = {
        unquote(k) for block in parse(TF / "stack" / "variables.tf")["variable"] for k in block
    }
    for name in ENVIRONMENTS:
        folder = TF / "environments" / name
        assert {p.name for p in folder.iterdir()} == {"backend.hcl", "terraform.tfvars"}, (
            f"{name}: an environment is its backend and its variables; wiring lives in stack/"
        )
        backend = unquote(parse(folder / "backend.hcl"))
        assert backend["key"] == f"environments/{name}/terraform.tfstate"
        assert backend["use_lockfile"] is True
        assert backend["encrypt"] is True
        variables = unquote(parse(folder / "terraform.tfvars"))
        assert variables["environment"] == name
        assert set(variables) <= declared, f"{name} sets undeclared variables"


def test_every_deployable_has_its_ecs_service_or_scheduled_task() -> None:
    local = unquote(stack()["locals"][0])
    services, scheduled = local["services"], local["scheduled_tasks"]
    assert set(services) == WORKER_NAMES | {"api"}
    for name in WORKER_NAMES:
        assert services[name]["command"] == ["ff", "worker", name]
    assert set(scheduled) == SCHEDULED_TASKS
    for task, spec in scheduled.items():
        assert spec["command"] == ["ff", "run", task, "--once"]
        assert re.match(r"^cron\(.+\)$", spec["schedule"]), task
    modules = {unquote(k) for m in stack()["module"] for k in m}
    assert {"network", "platform", "ecs", "tracker_ingest", "mongodb", "gateway"} <= modules


def test_the_gateway_module_gets_the_agreed_inputs() -> None:
    (gateway,) = [m['"gateway"'] for m in stack()["module"] if '"gateway"' in m]
    assert {"source", "name", "vpc_id", "public_subnet_id", "platform_cidrs", "ssm_prefix"} <= set(
        gateway
    )


def test_the_resources_the_platform_needs_are_declared() -> None:
    needed = {
        "aws_vpc",
        "aws_vpc_endpoint",
        "aws_ecr_repository",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_lb",
        "aws_scheduler_schedule",
        "aws_appautoscaling_policy",
        "aws_lambda_function",
        "aws_sqs_queue",
        "aws_s3_bucket",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_db_instance",
        "aws_db_option_group",
        "aws_elasticache_replication_group",
        "mongodbatlas_advanced_cluster",
        "aws_cognito_user_pool",
        "aws_cognito_user_group",
        "aws_sesv2_email_identity",
        "aws_ssm_parameter",
        "aws_kms_key",
        "aws_glue_catalog_database",
        "aws_athena_workgroup",
        "aws_iam_role",
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_metric_alarm",
    }
    assert needed <= resource_types()


def test_sql_server_has_the_backup_restore_option() -> None:
    text = (TF / "modules" / "platform" / "stores.tf").read_text()
    assert 'option_name = "SQLSERVER_BACKUP_RESTORE"' in text


def test_ecs_services_roll_back_on_a_failed_deployment() -> None:
    services = [
        block['"aws_ecs_service"']
        for block in parse(TF / "modules" / "ecs" / "main.tf")["resource"]
        if '"aws_ecs_service"' in block
    ]
    (service,) = [s['"this"'] for s in services]
    (breaker,) = service["deployment_circuit_breaker"]
    assert breaker["enable"] is True
    assert breaker["rollback"] is True


def test_ssm_secrets_are_names_only() -> None:
    text = (TF / "modules" / "platform" / "ssm.tf").read_text()
    assert "ignore_changes = [value]" in text
    assert 'type     = "SecureString"' in text
