"""The Glue tables, generated from the star schema (the committed ``glue_tables.json``), and
pointing them at a published run for Athena: one UpdateTable per table (partition projection
finds the partitions), creating the database and tables the first time."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ff_shared.adp import schema
from ff_shared.adp.lake import TableLocation


async def point_tables(glue: Any, database: str, locations: Mapping[str, TableLocation]) -> int:
    try:
        await glue.create_database(DatabaseInput={"Name": database})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "AlreadyExistsException":
            raise
    for name, location in locations.items():
        table = glue_table_input(schema.BY_NAME[name], f"s3://{location.path}/")
        try:
            await glue.update_table(DatabaseName=database, TableInput=table)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "EntityNotFoundException":
                raise
            await glue.create_table(DatabaseName=database, TableInput=table)
    return len(locations)


def glue_table_input(table: schema.Table, location: str) -> dict[str, Any]:
    """``TableInput`` for Glue ``CreateTable``/``UpdateTable``: Parquet at ``location``."""
    columns = [
        {"Name": c.name, "Type": c.glue, "Comment": c.doc}
        for c in table.columns
        if c.name != table.partition
    ]
    partitions = [
        {"Name": c.name, "Type": "string", "Comment": c.doc}
        for c in table.columns
        if c.name == table.partition
    ]
    parameters = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "ff.schema_version": str(schema.SCHEMA_VERSION),
        "ff.key": ",".join(table.key),
    }
    if table.partition is not None:
        # Partition projection: Athena finds each run's partitions from the location alone, so
        # pointing a table at a new run is one UpdateTable, with no partitions to register.
        monthly = table.partition == "month"
        parameters.update(
            {
                "projection.enabled": "true",
                f"projection.{table.partition}.type": "date",
                f"projection.{table.partition}.format": "yyyy-MM" if monthly else "yyyy-MM-dd",
                f"projection.{table.partition}.range": "2015-01,NOW+5YEARS"
                if monthly
                else "2015-01-01,NOW",
                f"projection.{table.partition}.interval.unit": "MONTHS" if monthly else "DAYS",
                "storage.location.template": location.rstrip("/")
                + f"/{table.partition}=${{{table.partition}}}/",
            }
        )
    return {
        "Name": table.name,
        "Description": f"{table.doc} (schema v{schema.SCHEMA_VERSION})",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": partitions,
        "StorageDescriptor": {
            "Columns": columns,
            "Location": location,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": (
                    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                ),
            },
        },
    }


GLUE_FILE = Path(__file__).with_name("glue_tables.json")


def glue_definitions() -> dict[str, Any]:
    """Every table's ``TableInput``, locations as templates (``${location}``): the committed
    ``glue_tables.json`` that infrastructure reads; a test keeps the two in step."""
    return {
        "schema_version": schema.SCHEMA_VERSION,
        "tables": [glue_table_input(t, "${location}/" + t.name + "/") for t in schema.TABLES],
    }


def glue_json() -> str:
    return json.dumps(glue_definitions(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    # ``uv run python -m ff_shared.adp.glue`` rewrites glue_tables.json after a schema change.
    GLUE_FILE.write_text(glue_json())
