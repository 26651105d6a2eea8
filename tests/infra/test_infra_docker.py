"""The image definitions: hadolint-clean, one target per kind of deployable, and production
stages that never install stand-ins or the dev group."""

from __future__ import annotations

import re
import sys

from tests.infra.conftest import ROOT, dockerfiles, run, tool

DOCKERFILE = ROOT / "docker" / "Dockerfile"
PRODUCTION_TARGETS = {"api", "worker", "lambda"}


def stages() -> dict[str, list[str]]:
    """Each stage's instructions (continuation lines joined), by stage name."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if match:
            current = match.group(2) or match.group(1)
            out[current] = [line]
        elif current:
            out[current].append(line)
    return out


def ancestry(name: str, all_stages: dict[str, list[str]]) -> list[str]:
    """The stage and every stage it is built FROM or COPYs --from."""
    seen: list[str] = []
    todo = [name]
    while todo:
        stage = todo.pop()
        if stage in seen or stage not in all_stages:
            continue
        seen.append(stage)
        for line in all_stages[stage]:
            todo += re.findall(r"^FROM\s+(\S+)", line) + re.findall(r"--from=(\S+)", line)
    return seen


def test_every_dockerfile_is_hadolint_clean() -> None:
    files = dockerfiles()
    assert DOCKERFILE in files
    result = run(tool("hadolint"), "--failure-threshold", "info", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_deployable_kind_has_a_target() -> None:
    assert PRODUCTION_TARGETS | {"standins"} <= set(stages())


def test_production_stages_install_no_standins_and_no_dev_group() -> None:
    all_stages = stages()
    for target in PRODUCTION_TARGETS:
        for stage in ancestry(target, all_stages):
            for line in all_stages[stage]:
                assert "standins" not in line.lower().replace(
                    "--no-install-package ff-standins", ""
                ).replace("--no-emit-package ff-standins", ""), (
                    f"{target} (stage {stage}) brings in stand-ins: {line}"
                )
                if re.search(r"\buv (sync|export)\b", line):
                    assert "--no-dev" in line, f"{target} (stage {stage}) installs the dev group"
                    assert "--frozen" in line, f"{target} (stage {stage}) ignores the lock"
                    assert "--all-packages" not in line, f"{target} installs every member"


def test_production_images_run_as_non_root_with_a_health_check() -> None:
    all_stages = stages()
    for target in ("api", "worker"):
        lines = [line for stage in ancestry(target, all_stages) for line in all_stages[stage]]
        users = [line for line in lines if line.startswith("USER ")]
        assert users, target
        assert "10001" in users[0], target
        assert any(line.startswith("HEALTHCHECK ") for line in all_stages[target]), target


def test_the_sql_server_image_installs_odbc_driver_18_from_microsoft() -> None:
    runtime = " ".join(stages()["runtime"])
    assert "packages.microsoft.com" in runtime
    assert "msodbcsql18" in runtime
    assert "ACCEPT_EULA=Y" in runtime


# What production images leave out: the stand-ins member and the test-only dev group.
NOT_IN_PRODUCTION = ("ff_standins", "moto", "nx_27017", "testcontainers", "pytest", "hypothesis")
_BLOCKING = f"""
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {set(NOT_IN_PRODUCTION)!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not in production images)")
sys.meta_path.insert(0, NotInstalled())
"""


def test_production_entry_points_need_no_standins_or_dev_packages() -> None:
    commands = [
        ["worker", "core"],
        ["run", "obv-archiver", "--once"],
        ["health", "worker", "core"],
        ["migrate"],
    ]
    code = _BLOCKING + "\n".join(
        [
            "import ff_api.app",
            "import ff_shared.tracking.lambda_handler",
            "from ff_workers.cli.main import build_parser",
            *(f"build_parser({args[0]!r}).parse_args({args!r})" for args in commands),
        ]
    )
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr[-1500:]
