"""Pointing the Glue tables at a published run, for Athena: one UpdateTable per table (partition
projection finds the partitions), creating the database and tables the first time."""

from __future__ import annotations

from collections.abc import Mapping
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
        table = schema.glue_table_input(schema.BY_NAME[name], f"s3://{location.path}/")
        try:
            await glue.update_table(DatabaseName=database, TableInput=table)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "EntityNotFoundException":
                raise
            await glue.create_table(DatabaseName=database, TableInput=table)
    return len(locations)
