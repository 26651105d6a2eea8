"""The Helm chart, as far as the tools that install here go (helm itself runs in CI): values
valid against values.schema.json, and every deployable has its workload."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import yaml
from tests.infra.conftest import ROOT
from tests.infra.deployables import SCHEDULED_TASKS, WORKER_NAMES

CHART = ROOT / "helm" / "fair-finance"


def values() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return data


def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text())
    return data


def test_values_validate_against_the_schema() -> None:
    jsonschema.Draft7Validator.check_schema(schema())
    jsonschema.Draft7Validator(schema()).validate(values())


def test_the_schema_refuses_a_writable_root_and_unknown_keys() -> None:
    validator = jsonschema.Draft7Validator(schema())
    writable = values()
    writable["securityContext"]["readOnlyRootFilesystem"] = False
    assert not validator.is_valid(writable)
    typo = values()
    typo["workers"]["core"]["replica"] = 2
    assert not validator.is_valid(typo)


def test_every_deployable_has_its_workload() -> None:
    v = values()
    assert set(v["workers"]) == WORKER_NAMES
    assert set(v["scheduled"]) == SCHEDULED_TASKS
    assert v["trackerIngest"]["enabled"]
    assert v["gateway"]["enabled"]
    assert v["migrations"]["enabled"]
    templates = {p.name: p.read_text() for p in (CHART / "templates").iterdir()}
    assert 'command: ["ff", "worker", {{ $name | quote }}]' in templates["workers.yaml"]
    assert 'command: ["ff", "run", {{ $task | quote }}, "--once"]' in templates["cronjobs.yaml"]
    for kind, template in {
        "PodDisruptionBudget": "api.yaml",
        "HorizontalPodAutoscaler": "api.yaml",
        "ScaledObject": "keda.yaml",
        "CronJob": "cronjobs.yaml",
        "Ingress": "ingress.yaml",
        "NetworkPolicy": "networkpolicy.yaml",
        "ServiceAccount": "serviceaccount.yaml",
    }.items():
        assert f"kind: {kind}" in templates[template], kind
    assert "eks.amazonaws.com/role-arn" in templates["serviceaccount.yaml"]
