"""Reading the published run for reports: the lake's tables in an engine, cached per run.

The API keeps one :class:`ReportData`; it looks at the manifest at most every
``cache_seconds`` and reloads the tables only when a newer run was published.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ff_shared.adp.engine import AthenaEngine, DuckDbEngine, QueryEngine
from ff_shared.adp.lake import Lake, LakeError, Manifest
from ff_shared.errors import Conflict, DependencyUnavailable
from ff_shared.settings import AdpSettings


class NoPublishedRun(Conflict):
    code = "no_published_run"
    title = "No data-platform run has been published yet"


class LakeUnavailable(DependencyUnavailable):
    code = "lake_unavailable"
    title = "The data platform's lake is unavailable"
    dependency = "data_lake"


class ReportData:
    def __init__(self, lake: Lake, settings: AdpSettings, *, athena: Any = None) -> None:
        self._lake = lake
        self._settings = settings
        self._athena = athena
        self._lock = asyncio.Lock()
        self._checked_at = -1e9
        self._manifest: Manifest | None = None
        self._engine: DuckDbEngine | None = None

    async def manifest(self) -> Manifest:
        await self._refresh()
        if self._manifest is None:
            raise NoPublishedRun("no run of the data platform has been published yet")
        return self._manifest

    async def engine(self) -> QueryEngine:
        manifest = await self.manifest()
        if self._settings.query_engine == "athena" and self._athena is not None:
            return AthenaEngine(
                self._athena,
                database=self._settings.glue_database,
                workgroup=self._settings.athena_workgroup,
                output=self._settings.athena_output,
            )
        assert self._engine is not None, manifest
        return self._engine

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._checked_at < self._settings.cache_seconds:
                return
            try:
                manifest = await asyncio.to_thread(self._lake.read_manifest)
                if manifest is not None and (
                    self._manifest is None or manifest.run_id != self._manifest.run_id
                ):
                    tables = await asyncio.to_thread(self._lake.read_tables, manifest)
                    if self._engine is not None:
                        self._engine.close()
                    self._engine = DuckDbEngine(tables)
                    self._manifest = manifest
            except LakeError as exc:
                raise LakeUnavailable("the data platform's lake could not be read") from exc
            self._checked_at = time.monotonic()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
