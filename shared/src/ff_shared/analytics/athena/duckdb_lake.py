"""The journey tracker's Athena queries run on embedded DuckDB over the same lake files.

The raw event lake (gzip JSON Lines under ``raw/environment=/dt=/hour=``) is read with pyarrow,
partition values taken from the paths exactly as Athena's projection does, and handed to DuckDB
as the ``tracker_events`` table; the Athena (Trino) SQL is translated by sqlglot. The funnel
and field-error queries are therefore checked for their answers, not only as text.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.json as pajson

from ff_shared.adp.engine import DuckDbEngine

_TEXT = pa.string()
_CONTEXT = pa.struct(
    [(f, _TEXT) for f in ("utm_source", "utm_medium", "utm_campaign", "referrer", "device_class")]
)
_HASHES = pa.struct([(f, _TEXT) for f in ("email", "phone", "device", "bank_account")])
LINE_SCHEMA = pa.schema(
    [
        ("schema_version", pa.int32()),
        ("event_id", _TEXT),
        ("session_id", _TEXT),
        ("anonymous_id", _TEXT),
        ("type", _TEXT),
        ("form", _TEXT),
        ("step", _TEXT),
        ("field", _TEXT),
        ("error_code", _TEXT),
        ("client_time", _TEXT),
        ("received_at", _TEXT),
        ("context", _CONTEXT),
        ("identity_hashes", _HASHES),
        ("application_id", _TEXT),
    ]
)
"""The Glue table's columns (``tracker_events.glue.json``), in its order."""
PARTITIONS = ("environment", "dt", "hour")


def read_tracker_events(fs: pafs.FileSystem, bucket: str) -> pa.Table:
    """Every raw event file of the lake as one table: the Glue columns, then the partitions."""
    selector = pafs.FileSelector(f"{bucket}/raw", recursive=True, allow_not_found=True)
    parts: list[pa.Table] = []
    for info in fs.get_file_info(selector):
        if info.type != pafs.FileType.File or not info.path.endswith(".jsonl.gz"):
            continue
        with fs.open_input_stream(info.path) as stream:
            body = gzip.decompress(stream.read())
        table = pajson.read_json(
            io.BytesIO(body),
            parse_options=pajson.ParseOptions(
                explicit_schema=LINE_SCHEMA, unexpected_field_behavior="ignore"
            ),
        )
        table = table.select(LINE_SCHEMA.names)
        values = dict(segment.split("=", 1) for segment in info.path.split("/") if "=" in segment)
        for name in PARTITIONS:
            table = table.append_column(name, pa.array([values[name]] * table.num_rows, _TEXT))
        parts.append(table)
    schema = LINE_SCHEMA
    for name in PARTITIONS:
        schema = schema.append(pa.field(name, _TEXT))
    return pa.concat_tables(parts) if parts else schema.empty_table()


def run_athena_sql(
    events: pa.Table, sql: str, params: Sequence[str | int | date]
) -> list[dict[str, Any]]:
    engine = DuckDbEngine({"tracker_events": events})
    try:
        return engine.query_sync(sql, params)
    finally:
        engine.close()
