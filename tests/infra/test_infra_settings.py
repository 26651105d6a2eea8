"""Every FF_ variable the deployment files set is one the platform reads."""

from __future__ import annotations

import re

from tests.infra.conftest import ROOT

from ff_shared.settings import variables

FILES = [
    ROOT / "compose.yaml",
    ROOT / "docker" / "Dockerfile",
    ROOT / "helm" / "fair-finance" / "values.yaml",
    *(ROOT / "helm" / "fair-finance" / "templates").iterdir(),
    *(ROOT / "terraform").rglob("*.tf"),
]


def test_every_ff_variable_in_the_deployment_files_is_a_setting() -> None:
    known = {v.name for v in variables()}
    unknown: set[str] = set()
    for path in FILES:
        for name in re.findall(r"\b(FF_[A-Z0-9_]+)\b", path.read_text()):
            if name not in known and not name.startswith(("FF_TEST_", "FF_SQLSERVER_SA")):
                unknown.add(f"{name} ({path.relative_to(ROOT)})")
    assert sorted(unknown) == []
