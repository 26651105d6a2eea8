"""compose.yaml: valid for the compose implementation that installs here, a service for every
deployable, workers scalable, migrations first."""

from __future__ import annotations

from typing import Any

import yaml
from tests.infra.conftest import ROOT, run, tool
from tests.infra.deployables import SCHEDULED_TASKS, WORKER_NAMES


def services() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    result: dict[str, Any] = data["services"]
    return result


def test_compose_config_is_valid() -> None:
    result = run(tool("docker-compose"), "-f", "compose.yaml", "config", "-q")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_worker_is_a_scalable_service() -> None:
    svc = services()
    for name in WORKER_NAMES:
        assert svc[name]["command"] == ["ff", "worker", name], name
        assert "container_name" not in svc[name], f"{name} cannot scale with a fixed name"
        assert "ports" not in svc[name], f"{name} cannot scale with fixed host ports"
        assert svc[name]["read_only"] is True, name


def test_every_scheduled_run_is_a_one_off_service() -> None:
    svc = services()
    for task in SCHEDULED_TASKS:
        once = svc[f"{task}-once"]
        assert once["command"] == ["ff", "run", task, "--once"], task
        assert once["profiles"] == ["scheduled"], task


def test_the_api_lambda_gateway_and_simulators_have_services() -> None:
    svc = services()
    assert svc["api"]["build"]["target"] == "api"
    assert svc["tracker-ingest"]["build"]["target"] == "lambda"
    assert svc["gateway"]["build"]["context"] == "gateway"
    for sim in ("dynamics-sim", "anchor-lms-sim", "obv-sim"):
        assert svc[sim]["build"]["target"] == "standins", sim
    for store, image in {
        "mongo": "mongo:",
        "postgres": "postgres:",
        "redis": "redis:",
        "sqlserver": "mcr.microsoft.com/mssql/server:2022",
        "moto": "motoserver/moto:",
        "sftp": "atmoz/sftp:",
    }.items():
        assert svc[store]["image"].startswith(image), store


def test_migrations_complete_before_any_platform_service_starts() -> None:
    svc = services()
    assert svc["migrate"]["command"] == ["ff", "migrate"]
    for name in [*WORKER_NAMES, "api", *(f"{t}-once" for t in SCHEDULED_TASKS)]:
        depends = svc[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
