"""Every deployable the code defines, the names the infrastructure files must use for them."""

from __future__ import annotations

from ff_workers.cli.run import TASKS
from ff_workers.cli.worker import WORKERS

# Workers that are deployed only as scheduled tasks (their cron jobs run as `ff run TASK --once`);
# `ff dev` runs them as workers.
SCHEDULED_ONLY = {"adp"}

WORKER_NAMES = set(WORKERS) - SCHEDULED_ONLY
SCHEDULED_TASKS = set(TASKS)
