"""The Glue table over the raw event lake and the Athena funnel query, kept beside the
PostgreSQL funnel (``ff_shared.stores.postgres.tracker.funnel_counts``); a test checks that both
are written against the same event fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ff_shared.domain.tracking.events import FORMS

HERE = Path(__file__).parent


def glue_table_input(bucket: str) -> dict[str, Any]:
    """``TableInput`` for Glue ``CreateTable`` with the lake's bucket filled in."""
    text = (HERE / "tracker_events.glue.json").read_text().replace("${bucket}", bucket)
    table: dict[str, Any] = json.loads(text)
    return table


def table_ddl(bucket: str) -> str:
    return (HERE / "tracker_events.ddl.sql").read_text().replace("${bucket}", bucket)


def field_errors_query() -> str:
    """Validation errors per step and field; run with the parameters its header lists."""
    return (HERE / "field_errors.athena.sql").read_text()


def funnel_query(form: str) -> str:
    """The Athena funnel for ``form``; run with the execution parameters its header lists."""
    steps = "ARRAY[" + ", ".join(f"'{s}'" for s in FORMS[form]) + "]"
    return (HERE / "funnel.athena.sql").read_text().replace("${steps}", steps)
