"""Queries of the ``tracker`` schema: ``events`` (exactly-once recording and session merges),
``funnels``, ``duplicates`` (shared identity hashes) and ``extracts``. Each takes a connection and
returns domain Structs; callers own the transactions.
"""

from ff_shared.stores.postgres.tracker.duplicates import (
    application_links,
    cluster_of_application,
    links_sharing_hashes,
)
from ff_shared.stores.postgres.tracker.events import (
    FIELD_ERROR_COLUMNS,
    IDENTITY_COLUMNS,
    SEEN_COLUMNS,
    SESSION_COLUMNS,
    STEP_COLUMNS,
    PreparedBatch,
    SeenBefore,
    apply_delta,
    copy_rows,
    count_seen,
    delta_rows,
    load_aggregate,
    prepare,
    prune_seen,
    record_and_apply,
    record_new_and_apply,
    record_new_events,
    session_row,
    step_row,
    store_events,
)
from ff_shared.stores.postgres.tracker.extracts import (
    ExtractRecord,
    SessionRow,
    list_extracts,
    record_extract,
    sessions_started,
)
from ff_shared.stores.postgres.tracker.funnels import Breakdown, FunnelCounts, funnel_counts

__all__ = [
    "FIELD_ERROR_COLUMNS",
    "IDENTITY_COLUMNS",
    "SEEN_COLUMNS",
    "SESSION_COLUMNS",
    "STEP_COLUMNS",
    "Breakdown",
    "ExtractRecord",
    "FunnelCounts",
    "PreparedBatch",
    "SeenBefore",
    "SessionRow",
    "application_links",
    "apply_delta",
    "cluster_of_application",
    "copy_rows",
    "count_seen",
    "delta_rows",
    "funnel_counts",
    "links_sharing_hashes",
    "list_extracts",
    "load_aggregate",
    "prepare",
    "prune_seen",
    "record_and_apply",
    "record_extract",
    "record_new_and_apply",
    "record_new_events",
    "session_row",
    "sessions_started",
    "step_row",
    "store_events",
]
