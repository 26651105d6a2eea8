"""The infrastructure files and the linters that check them (installed by scripts/bootstrap.sh
under .ff/tools; hadolint and python-hcl2 come with the dev group)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".ff" / "tools"
INSTALL_HINT = "run scripts/bootstrap.sh (the README's test command does)"


def tool(name: str) -> str:
    """A linter's executable: beside this interpreter, under .ff/tools, or on PATH."""
    candidates = [
        Path(sys.executable).parent / name,
        TOOLS / "npm" / "node_modules" / ".bin" / name,
        TOOLS / "checkov" / "bin" / name,
    ]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    assert found is not None, f"{name} is not installed: {INSTALL_HINT}"
    return found


def run(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def dockerfiles() -> list[Path]:
    found = [
        p for p in ROOT.rglob("Dockerfile*") if not {".venv", ".ff", "node_modules"} & set(p.parts)
    ]
    return sorted(found)


def workflows() -> list[Path]:
    return sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def terraform_files() -> list[Path]:
    return sorted(p for p in (ROOT / "terraform").rglob("*.tf") if ".terraform" not in p.parts)


@pytest.fixture(scope="session")
def checkov_report() -> dict[str, Any]:
    """One checkov run per session over terraform/, every Dockerfile and every workflow
    (checkov is slow to start: ~20 s for all of them at once)."""
    started = time.monotonic()
    args = [tool("checkov"), "--quiet", "--compact", "--skip-download", "-o", "json"]
    args += ["--framework", "terraform", "dockerfile", "github_actions"]
    args += ["-d", "terraform", "-d", "docker", "-d", ".github"]
    result = run(*args, timeout=600)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    # One JSON document (an object or a list of them) per directory, one after the other.
    reports: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    text, at = result.stdout, 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        document, at = decoder.raw_decode(text, at)
        reports += document if isinstance(document, list) else [document]
    return {"reports": reports, "seconds": time.monotonic() - started}
