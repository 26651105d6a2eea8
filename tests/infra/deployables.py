"""Every deployable the code defines, the names the infrastructure files must use for them."""

from __future__ import annotations

from ff_workers.cli.run import TASKS
from ff_workers.cli.worker import WORKERS

# Deployables another part of the platform is still adding to the code: the infrastructure
# carries them already (adp's nightly run; the gateway's image and module).
IN_PROGRESS_TASKS = {"adp"}

WORKER_NAMES = set(WORKERS)
SCHEDULED_TASKS = set(TASKS) | IN_PROGRESS_TASKS
