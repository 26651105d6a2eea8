"""The arrows point one way: domain <- stores/integrations <- api, workers."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
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
    # The production images' stages are checked in tests/infra/test_infra_docker.py.


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: top level, and inside top-level ``if``
    and ``try`` blocks, but not under ``if TYPE_CHECKING:`` nor inside functions or classes."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found += _module_level_imports(node.body)
            found += _module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                found += _module_level_imports(block)
            for handler in node.handlers:
                found += _module_level_imports(handler.body)
    return found


def _import_graph(packages: list[str]) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports at import time. ``from a import b`` is an
    edge to ``a.b`` when that is a module, else to ``a``."""
    sources = {}
    for package in packages:
        src = (ROOT / package).parent
        for path in (ROOT / package).rglob("*.py"):
            sources[_module_name(path, src)] = path
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, path in sources.items():
        is_package = path.name == "__init__.py"
        for node in _module_level_imports(ast.parse(path.read_text(), filename=str(path)).body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in sources else base
                    for alias in node.names
                ]
            graph[name].update(t for t in targets if t in sources and t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_import_graph_sees_the_product_modules() -> None:
    graph = _import_graph(PRODUCT_PACKAGES)
    assert "ff_workers.lms_restorer.context" in graph["ff_workers.lms_restorer.restore"]
    assert "ff_shared.settings" in graph["ff_api.app"]


@pytest.mark.parametrize(
    "packages", [PRODUCT_PACKAGES, ["standins/src/ff_standins"]], ids=["product", "standins"]
)
def test_no_import_cycles(packages: list[str]) -> None:
    assert _cycles(_import_graph(packages)) == []


# Declared but not imported, on purpose. Each says why; remove an entry once its reason is gone.
UNIMPORTED_DEPENDENCIES = {
    # Data only: zoneinfo reads its IANA database (Europe/London) where the OS has none.
    ("shared", "tzdata"),
    # The ASGI server the image runs the app with (`granian ... ff_api.app:app_from_env`).
    ("api", "granian"),
    # granian's event loop for the API (it picks uvloop when installed): less CPU per request.
    ("api", "uvloop"),
    # Litestar's OpenTelemetry plugin (litestar.plugins.opentelemetry) runs on it.
    ("api", "opentelemetry-instrumentation-asgi"),
}


def _distribution_name(requirement: str) -> str:
    name = re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _import_names() -> dict[str, set[str]]:
    """Distribution -> the top-level names it installs, from the environment's metadata."""
    names: dict[str, set[str]] = {}
    for top_level, distributions in packages_distributions().items():
        for distribution in distributions:
            names.setdefault(_distribution_name(distribution), set()).add(top_level)
    return names


@pytest.mark.parametrize(
    ("member", "package"),
    [("shared", "ff_shared"), ("api", "ff_api"), ("workers", "ff_workers")],
)
def test_every_declared_dependency_is_imported(member: str, package: str) -> None:
    project = tomllib.loads((ROOT / member / "pyproject.toml").read_text())["project"]
    declared = {_distribution_name(r) for r in project["dependencies"]}
    imported = {m.split(".")[0] for _, m in _imports(ROOT / member / "src" / package)}
    provides = _import_names()
    unused = sorted(
        name
        for name in declared
        if (member, name) not in UNIMPORTED_DEPENDENCIES
        and not provides.get(name, {name.replace("-", "_")}) & imported
    )
    assert unused == []


def test_the_allow_list_names_only_declared_dependencies() -> None:
    for member, name in UNIMPORTED_DEPENDENCIES:
        project = tomllib.loads((ROOT / member / "pyproject.toml").read_text())["project"]
        assert name in {_distribution_name(r) for r in project["dependencies"]}, (member, name)


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


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
GENERATED_MARKERS = ("# Generated by", "# @generated", "# DO NOT EDIT")
"""A module opening with one of these is written by a tool; it is neither read nor held to size."""


def _product_sources() -> list[Path]:
    sources = [
        path
        for package in PRODUCT_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if not path.read_text().lstrip().startswith(GENERATED_MARKERS)
    ]
    assert sources
    return sources


def test_no_product_module_is_too_long() -> None:
    """A module over the limit holds more than one responsibility: split it by concern."""
    long = sorted(
        f"{path.relative_to(ROOT)}: {lines}"
        for path in _product_sources()
        if (lines := path.read_text().count("\n")) > MAX_MODULE_LINES
    )
    assert long == []


def test_no_product_function_is_too_long() -> None:
    """A function over the limit is several steps: give each a name and a result value."""
    long = sorted(
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {size}"
        for path in _product_sources()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and (size := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES
    )
    assert long == []
