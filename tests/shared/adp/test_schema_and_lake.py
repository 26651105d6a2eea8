"""The star schema, its Glue tables and the Parquet in the lake say the same thing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import aioboto3
import pyarrow.dataset as ds
import pytest
from tests.fixtures.servers import REGION
from tests.shared.adp.portfolio import AS_OF, inputs

from ff_shared.adp import glue as glue_defs
from ff_shared.adp import schema
from ff_shared.adp.lake import Lake, Manifest, filesystem
from ff_shared.adp.sources import customer_key, postcode_area
from ff_shared.adp.transform import transform
from ff_shared.settings import AwsSettings


def test_the_committed_glue_definitions_are_generated_from_the_schema() -> None:
    # After a schema change: uv run python -m ff_shared.adp.glue
    assert json.loads(glue_defs.GLUE_FILE.read_text()) == glue_defs.glue_definitions()
    assert glue_defs.GLUE_FILE.read_text() == glue_defs.glue_json()


def test_every_glue_table_has_the_arrow_schemas_columns_and_partition() -> None:
    for table in schema.TABLES:
        glue = glue_defs.glue_table_input(table, "s3://b/p/")
        columns = [c["Name"] for c in glue["StorageDescriptor"]["Columns"]]
        partitions = [p["Name"] for p in glue["PartitionKeys"]]
        assert columns + partitions == table.arrow_schema().names, table.name
        assert partitions == ([table.partition] if table.partition else [])
        assert set(table.key) <= set(table.column_names)


def test_sources_keep_no_personal_detail() -> None:
    assert postcode_area("ls1 4ap") == "LS"
    assert postcode_area("M1 1AE") == "M"
    assert postcode_area(None) == "unknown"
    key = customer_key("c0ffee-sub", "salt")
    assert key == customer_key("c0ffee-sub", "salt") != customer_key("c0ffee-sub", "pepper")
    assert "c0ffee" not in key


@pytest.fixture(scope="module")
def lake(moto_url: str) -> Lake:
    aws = AwsSettings(region=REGION, endpoint_url=moto_url)
    lake = Lake(filesystem(aws), f"ff-adp-{uuid.uuid4().hex[:8]}", "adp")
    lake.ensure_bucket()
    return lake


async def test_glue_accepts_every_table_and_the_parquet_matches_it(
    lake: Lake, moto_url: str, session_id: str
) -> None:
    tables = transform(inputs(), as_of=AS_OF).tables
    locations = lake.write_tables("run-1", tables)
    session = aioboto3.Session(region_name=REGION)
    database = f"ff_adp_{session_id}"
    async with session.client("glue", endpoint_url=moto_url) as glue:
        await glue.create_database(DatabaseInput={"Name": database})
        for table in schema.TABLES:
            location = f"s3://{locations[table.name].path}/"
            await glue.create_table(
                DatabaseName=database, TableInput=glue_defs.glue_table_input(table, location)
            )
        stored: Any = (await glue.get_tables(DatabaseName=database))["TableList"]
    assert {t["Name"] for t in stored} == {t.name for t in schema.TABLES}
    for item in stored:
        table = schema.BY_NAME[item["Name"]]
        files = ds.dataset(locations[table.name].path, filesystem=lake.fs, format="parquet")
        glue_columns = [c["Name"] for c in item["StorageDescriptor"]["Columns"]]
        # Partition values live in the paths, not in the files.
        assert files.schema.names == glue_columns, table.name
        order = [(k, "ascending") for k in table.key]
        read = lake.read_table(locations[table.name], table.name)
        assert read.sort_by(order).equals(tables[table.name].sort_by(order)), table.name


def test_the_manifest_names_the_published_run_only(lake: Lake) -> None:
    assert lake.read_manifest() is None
    tables = transform(inputs(), as_of=AS_OF).tables
    written = lake.write_tables("run-2", tables)
    manifest = Manifest(
        schema_version=schema.SCHEMA_VERSION,
        run_id="run-2",
        run_date=AS_OF,
        published_at=datetime.now(UTC),
        tables=written,
    )
    lake.publish(manifest)
    assert lake.read_manifest() == manifest
    assert lake.read_tables(manifest)["fact_loans"].num_rows == 12
