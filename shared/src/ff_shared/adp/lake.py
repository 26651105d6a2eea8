"""The lake on S3: each run writes under its own prefix; a manifest says which run is current.

``<bucket>/<prefix>/v<schema>/runs/<run_id>/star/<table>/`` holds a run's Parquet tables (Hive
partitions where the schema names one) and ``.../held/<source>.parquet`` the source rows it held
(the next run merges its changes into them). ``manifest.json`` beside ``runs/`` names the
published run; replacing it is one PUT, so readers see the previous run or the new one, never a
mix, and a run that fails its checks is simply never named. Calls are blocking (pyarrow):
async callers run them in a thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ff_shared.adp import schema as s
from ff_shared.settings import AwsSettings

T = TypeVar("T")

HELD_SCHEMA = pa.schema(
    [pa.field("key", pa.string(), nullable=False), pa.field("payload", pa.binary(), nullable=False)]
)


class TableLocation(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    """Bucket and key prefix of the table's files (no scheme)."""
    rows: int


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    schema_version: int
    run_id: str
    run_date: date
    published_at: datetime
    watermarks: dict[str, datetime] = {}
    """Per source: the newest change time seen; the next run reads changes from there."""
    tables: dict[str, TableLocation] = {}
    held: dict[str, TableLocation] = {}


class LakeError(Exception):
    """The lake could not be read or written (S3 unreachable, a missing object)."""


def filesystem(aws: AwsSettings) -> pafs.FileSystem:
    """pyarrow's own S3 client (DuckDB's S3 extension cannot be fetched everywhere); an
    endpoint override points it at moto locally."""
    options: dict[str, Any] = {
        "region": aws.region,
        "connect_timeout": aws.timeout_seconds,
        "request_timeout": aws.timeout_seconds,
        "allow_bucket_creation": True,
    }
    if aws.endpoint_url:
        parts = urlsplit(aws.endpoint_url)
        options["endpoint_override"] = parts.netloc
        options["scheme"] = parts.scheme or "https"
    return pafs.S3FileSystem(**options)


def encode_rows(rows: Iterable[T], key: Callable[[T], str]) -> pa.Table:
    encoder = msgspec.json.Encoder()
    keys: list[str] = []
    payloads: list[bytes] = []
    for row in rows:
        keys.append(key(row))
        payloads.append(encoder.encode(row))
    return pa.table({"key": keys, "payload": payloads}, schema=HELD_SCHEMA)


def decode_rows(table: pa.Table, row_type: type[T]) -> list[T]:
    decoder = msgspec.json.Decoder(row_type)
    return [decoder.decode(p) for p in table["payload"].to_pylist()]


def merge_rows(previous: Iterable[T], changed: Iterable[T], key: Callable[[T], str]) -> list[T]:
    """The previous rows with each changed row replacing its key's, ordered by key."""
    merged = {key(r): r for r in previous}
    merged.update((key(r), r) for r in changed)
    return [merged[k] for k in sorted(merged)]


class Lake:
    def __init__(self, fs: pafs.FileSystem, bucket: str, prefix: str) -> None:
        self.fs = fs
        self.bucket = bucket
        self.root = f"{bucket}/{prefix.strip('/')}/v{s.SCHEMA_VERSION}"

    @property
    def manifest_path(self) -> str:
        return f"{self.root}/manifest.json"

    def run_path(self, run_id: str) -> str:
        return f"{self.root}/runs/{run_id}"

    def ensure_bucket(self) -> None:
        try:
            if self.fs.get_file_info(self.bucket).type == pafs.FileType.NotFound:
                self.fs.create_dir(self.bucket)
        except OSError as exc:
            raise LakeError(f"the lake's bucket is not reachable: {exc}") from exc

    def read_manifest(self) -> Manifest | None:
        try:
            if self.fs.get_file_info(self.manifest_path).type == pafs.FileType.NotFound:
                return None
            with self.fs.open_input_stream(self.manifest_path) as stream:
                return msgspec.json.decode(stream.read(), type=Manifest)
        except OSError as exc:
            raise LakeError(f"the lake's manifest could not be read: {exc}") from exc

    def publish(self, manifest: Manifest) -> None:
        with self.fs.open_output_stream(self.manifest_path) as stream:
            stream.write(msgspec.json.encode(manifest))

    def write_table(self, run_id: str, name: str, table: pa.Table) -> TableLocation:
        spec = s.BY_NAME[name]
        path = f"{self.run_path(run_id)}/star/{name}"
        # A rerun of the same run id starts from nothing.
        if self.fs.get_file_info(path).type != pafs.FileType.NotFound:
            self.fs.delete_dir(path)
        if table.num_rows == 0 or spec.partition is None:
            self.fs.create_dir(path)
            pq.write_table(table, f"{path}/part-0.parquet", filesystem=self.fs)
        else:
            ds.write_dataset(
                table,
                path,
                filesystem=self.fs,
                format="parquet",
                partitioning=ds.partitioning(
                    pa.schema([pa.field(spec.partition, pa.string())]), flavor="hive"
                ),
                basename_template="part-{i}.parquet",
                existing_data_behavior="overwrite_or_ignore",
                max_rows_per_group=256_000,
            )
        return TableLocation(path=path, rows=table.num_rows)

    def write_tables(self, run_id: str, tables: Mapping[str, pa.Table]) -> dict[str, TableLocation]:
        return {name: self.write_table(run_id, name, table) for name, table in tables.items()}

    def write_held(self, run_id: str, source: str, table: pa.Table) -> TableLocation:
        path = f"{self.run_path(run_id)}/held/{source}.parquet"
        pq.write_table(table, path, filesystem=self.fs)
        return TableLocation(path=path, rows=table.num_rows)

    def read_held(self, location: TableLocation) -> pa.Table:
        try:
            return pq.read_table(location.path, filesystem=self.fs, schema=HELD_SCHEMA)
        except OSError as exc:
            raise LakeError(f"held rows at {location.path} could not be read: {exc}") from exc

    def read_table(self, location: TableLocation, name: str) -> pa.Table:
        spec = s.BY_NAME[name]
        schema = spec.arrow_schema()
        try:
            dataset = ds.dataset(
                location.path,
                filesystem=self.fs,
                format="parquet",
                schema=schema,
                partitioning="hive" if spec.partition else None,
            )
            return dataset.to_table().select(schema.names)
        except OSError as exc:
            raise LakeError(f"table {name} could not be read: {exc}") from exc

    def read_tables(self, manifest: Manifest) -> dict[str, pa.Table]:
        return {name: self.read_table(loc, name) for name, loc in manifest.tables.items()}
