"""Job names and payloads: the contract between the API and the workers.

Jobs take ids, not objects; each worker reloads what it needs and is idempotent, because arq may
run a job more than once. The API enqueues by name and never imports a worker.
"""

from __future__ import annotations

import msgspec

CORE_QUEUE = "ff:queue:core"


class JobRef(msgspec.Struct, frozen=True, kw_only=True):
    """What an enqueue returns to the caller: enough to find the job again."""

    job_id: str
    name: str
