"""``ff openapi``: the API's OpenAPI document, written without a running stack.

The app is built from the default settings (placeholders stand in for the Cognito pool ids, which
only matter once a request arrives) and its lifespan never runs, so no database, queue or AWS is
touched. The portals' typed client is generated from this document
(``portals/api-client/openapi.json``); a test fails when the committed copy is out of date.

The ``ff`` command line lives in the workers, which may not import the API, so this package adds
the command through the ``ff.commands`` entry point; ``python -m ff_api.openapi`` does the same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Only the shape of the routes matters: the values are never used to reach anything.
PLACEHOLDER_ENV: Mapping[str, str] = {
    "FF_COGNITO_CUSTOMER_POOL_ID": "eu-west-2_openapi",
    "FF_COGNITO_CUSTOMER_CLIENT_ID": "openapi",
    "FF_COGNITO_STAFF_POOL_ID": "eu-west-2_openapi",
    "FF_COGNITO_STAFF_CLIENT_ID": "openapi",
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app built from defaults (the environment is not read)."""
    from ff_api.app import create_app
    from ff_shared.startup import load_runtime_settings

    app = create_app(load_runtime_settings(dict(PLACEHOLDER_ENV)))
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


def render() -> str:
    """The document as stable JSON text (sorted keys, two-space indent, final newline)."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _run(args: argparse.Namespace) -> int:
    text = render()
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path} ({len(text)} bytes)", file=sys.stderr)
    return 0


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", "-o", metavar="PATH", help="write the document to PATH (default: stdout)"
    )
    parser.set_defaults(handler=_run)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("openapi", help="write the API's OpenAPI document (no stack needed)")
    _add_arguments(parser)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ff_api.openapi", description=__doc__)
    _add_arguments(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("FF_LOG_LEVEL", "WARNING")
    raise SystemExit(args.handler(args))


if __name__ == "__main__":
    main()
