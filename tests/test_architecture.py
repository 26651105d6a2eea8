"""The arrows point one way: domain <- stores/integrations <- api, workers."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def _imports(package_dir: Path) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in package_dir.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update((str(path.relative_to(ROOT)), a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("api/src/ff_api", "ff_workers"),
        ("workers/src/ff_workers", "ff_api"),
        ("shared/src/ff_shared", "ff_api"),
        ("shared/src/ff_shared", "ff_workers"),
    ],
)
def test_packages_do_not_import_across(package: str, forbidden: str) -> None:
    offenders = sorted(f for f, m in _imports(ROOT / package) if m.split(".")[0] == forbidden)
    assert offenders == []


def test_the_domain_does_no_io() -> None:
    allowed_roots = {
        "__future__",
        "copy",
        "collections",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "functools",
        "itertools",
        "math",
        "msgspec",
        "re",
        "typing",
        "ff_shared",
        "fractions",
        "operator",
        "bisect",
        "string",
        "calendar",
        "types",
        "abc",
        "statistics",
        "hashlib",
        "json",
    }
    offenders = sorted(
        (f, m)
        for f, m in _imports(ROOT / "shared/src/ff_shared/domain")
        if m.split(".")[0] not in allowed_roots
        or (m.startswith("ff_shared.") and not m.startswith("ff_shared.domain"))
    )
    assert offenders == []


PRODUCT_PACKAGES = ["shared/src/ff_shared", "api/src/ff_api", "workers/src/ff_workers"]


def _dynamic_imports(package_dir: Path) -> set[tuple[str, str]]:
    """``importlib.import_module("...")`` and ``__import__("...")`` with a literal name."""
    found: set[tuple[str, str]] = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                found.add((str(path.relative_to(ROOT)), str(first.value)))
    return found


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_the_product_never_imports_the_stand_ins(package: str) -> None:
    """Anywhere, not only at module level: ``ff dev`` reaches the product's command line as an
    entry point that ff-standins declares, so no product module names ff_standins."""
    imports = _imports(ROOT / package) | _dynamic_imports(ROOT / package)
    offenders = sorted(f for f, m in imports if m.split(".")[0] == "ff_standins")
    assert offenders == []


@pytest.mark.parametrize("member", ["shared", "api", "workers"])
def test_no_product_member_depends_on_the_stand_ins(member: str) -> None:
    project = tomllib.loads((ROOT / member / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("ff-standins")]


def test_the_stand_ins_reach_only_the_development_environment() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "ff-standins" not in root["project"]["dependencies"]
    assert "ff-standins" in root["dependency-groups"]["dev"]
    dockerfile = (ROOT / "docker/Dockerfile").read_text()
    assert "--no-dev" in dockerfile
    assert "standins" not in dockerfile
