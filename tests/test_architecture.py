"""The arrows point one way: domain <- stores/integrations <- api, workers."""

from __future__ import annotations

import ast
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


ROUTE_MODULES = {"customer", "staff", "public"}
"""An API feature's route modules, one per portal; its logic lives in service.py."""


def test_only_the_routers_import_route_modules() -> None:
    """Routes are thin: a feature's service never reaches into routes, and one feature's routes
    never borrow another's. Only app.py and the portal routers gather route modules."""
    routers = {"api/src/ff_api/app.py", "api/src/ff_api/customer/controllers.py"}
    routers.add("api/src/ff_api/staff/controllers.py")
    offenders = sorted(
        (f, m)
        for f, m in _imports(ROOT / "api/src/ff_api")
        if f not in routers
        and m.startswith("ff_api.")
        and m.rsplit(".", 1)[-1] in ROUTE_MODULES
        and m.count(".") == 2
    )
    assert offenders == []
