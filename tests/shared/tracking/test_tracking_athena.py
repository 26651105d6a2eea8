"""The Glue table and Athena funnel beside the PostgreSQL one: the same event fields."""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import aioboto3
import msgspec
from tests.fixtures.servers import REGION

from ff_shared.analytics.athena import (
    field_errors_query,
    funnel_query,
    glue_table_input,
    table_ddl,
)
from ff_shared.domain.tracking import events, sessions
from ff_shared.domain.tracking.events import (
    EventContext,
    IdentityHashes,
    StampedEvent,
)

HIVE = {int: "int", str: "string"}
# Read by the sessions but not by the funnel: who the visitor is and which application.
NOT_FUNNEL = {"anonymous_id", "identity_hashes", "application_id"}


def _struct_type(cls: type[msgspec.Struct]) -> str:
    return "struct<" + ",".join(f"{f.name}:string" for f in msgspec.structs.fields(cls)) + ">"


def _glue_columns() -> dict[str, str]:
    table = glue_table_input("bucket")
    return {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}


def _columns_of_lake() -> list[str]:
    """Every lake field; ``environment`` is the partition key (Hive forbids it twice)."""
    return [f for f in events.lake_fields() if f != "environment"]


def test_the_glue_table_has_exactly_the_lake_records_fields() -> None:
    columns = _glue_columns()
    assert list(columns) == _columns_of_lake()
    assert columns["context"] == _struct_type(EventContext)
    assert columns["identity_hashes"] == _struct_type(IdentityHashes)
    for field in msgspec.structs.fields(StampedEvent):
        if field.name not in ("context", "identity_hashes", "environment"):
            assert columns[field.name] in {"string", "int"}, field.name
    partitions = [p["Name"] for p in glue_table_input("bucket")["PartitionKeys"]]
    assert partitions == ["environment", "dt", "hour"]


def test_the_ddl_declares_the_same_columns_as_the_glue_table() -> None:
    ddl = table_ddl("bucket")
    body = ddl.split("tracker_events (", 1)[1].split(")\nPARTITIONED BY", 1)[0]
    declared = {
        line.strip().split(" ", 1)[0]: line.strip().split(" ", 1)[1].rstrip(",")
        for line in body.strip().splitlines()
    }
    assert declared == _glue_columns()
    assert "PARTITIONED BY (environment string, dt string, hour string)" in ddl


def _sql_event_fields(sql: str) -> set[str]:
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    words = set(re.findall(r"[a-z_]+", code))
    return {f for f in events.lake_fields() if f in words}


def _fold_event_fields() -> set[str]:
    """The event fields the PostgreSQL side's sessionisation reads (``event.<field>``)."""
    found: set[str] = set()
    for fn in (sessions.session_delta, sessions.fold, sessions._fold_step, events.step_index):
        tree = ast.parse(inspect.getsource(fn))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "event"
            ):
                found.add(node.attr)
    return found


def test_athena_and_postgresql_funnels_read_the_same_event_fields() -> None:
    athena = _sql_event_fields(funnel_query("application")) | _sql_event_fields(
        field_errors_query()
    )
    postgres = _fold_event_fields() - NOT_FUNNEL
    assert athena <= set(_glue_columns()) | {"environment"}
    assert postgres <= set(events.lake_fields())
    # Athena orders duplicate copies of an event by received_at; nothing else differs.
    assert athena - {"received_at"} == postgres
    assert {"session_id", "type", "step", "field", "error_code", "client_time"} <= athena


def test_the_athena_query_names_the_forms_steps_in_order() -> None:
    sql = funnel_query("application")
    assert "ARRAY['loan', 'personal', 'address', 'employment', 'expenditure', 'bank', " in sql
    placeholder = re.compile(r"[=(]\s?\?(?!:)")
    assert len(placeholder.findall(sql)) == 7
    assert len(placeholder.findall(field_errors_query())) == 5


async def test_glue_accepts_the_table_definition(moto_url: str, session_id: str) -> None:
    session = aioboto3.Session(region_name=REGION)
    database = f"ff_test_{session_id}"
    async with session.client("glue", endpoint_url=moto_url) as glue:
        await glue.create_database(DatabaseInput={"Name": database})
        await glue.create_table(DatabaseName=database, TableInput=glue_table_input("lake"))
        table: Any = (await glue.get_table(DatabaseName=database, Name="tracker_events"))["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == _columns_of_lake()
    assert table["Parameters"]["storage.location.template"].startswith("s3://lake/raw/")
