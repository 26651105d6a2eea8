"""The portals' typed client is generated from the API's OpenAPI document: both committed copies
(``portals/api-client/openapi.json`` and the types generated from it) must match the API.

Regenerate with::

    uv run ff openapi --output portals/api-client/openapi.json
    (cd portals && npm run generate)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ff_api.openapi import render

ROOT = Path(__file__).parents[2]
CLIENT = ROOT / "portals" / "api-client"
REGENERATE = (
    "uv run ff openapi --output portals/api-client/openapi.json && (cd portals && npm run generate)"
)


def test_the_committed_openapi_document_matches_the_api() -> None:
    committed = (CLIENT / "openapi.json").read_text()
    current = render()
    assert json.loads(current)["paths"], "the API has routes"
    assert committed == current, f"portals/api-client/openapi.json is out of date: {REGENERATE}"


def _openapi_typescript() -> list[str]:
    """The workspace's generator when `npm ci` has run, else the same version through npx."""
    local = ROOT / "portals" / "node_modules" / ".bin" / "openapi-typescript"
    if local.exists():
        return [str(local)]
    npx = shutil.which("npx")
    assert npx, "generating the client's types needs Node.js and npm (npx)"
    version = json.loads((CLIENT / "package.json").read_text())["devDependencies"][
        "openapi-typescript"
    ]
    return [npx, "--yes", f"openapi-typescript@{version}"]


def test_the_committed_client_types_match_the_openapi_document(tmp_path: Path) -> None:
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [*_openapi_typescript(), str(CLIENT / "openapi.json"), "-o", str(out)],
        check=True,
        capture_output=True,
        timeout=240,
        cwd=CLIENT,
    )
    generated = out.read_text()
    assert "export interface paths" in generated
    assert (CLIENT / "src" / "schema.d.ts").read_text() == generated, (
        f"portals/api-client/src/schema.d.ts is out of date: {REGENERATE}"
    )


def test_ff_openapi_writes_the_document(tmp_path: Path) -> None:
    from ff_workers.cli.main import main

    out = tmp_path / "nested" / "openapi.json"
    with pytest.raises(SystemExit) as exited:
        main(["openapi", "--output", str(out)])
    assert exited.value.code == 0
    document = json.loads(out.read_text())
    assert document["info"]["title"] == "Fair Finance API"
    assert "/v1/application-form" in document["paths"]
    assert out.read_text() == (CLIENT / "openapi.json").read_text()
