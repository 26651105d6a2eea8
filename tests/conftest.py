"""Test session harness: real servers on loopback, started once per session.

- PostgreSQL and Redis: the machine's (``FF_TEST_POSTGRES_URL``/``FF_TEST_REDIS_URL`` override);
  each session gets its own database and its own queue names, so sessions never collide.
- MongoDB: ``FF_TEST_MONGO_URL`` if set; a testcontainers MongoDB where a Docker engine answers;
  otherwise the nx-27017 wire-protocol stand-in.
- AWS: moto server.
Fixture modules for each area live in ``tests/fixtures`` and are loaded as plugins.
"""

from __future__ import annotations

# Listed after the modules they import, so each is imported (and assert-rewritten) as a plugin.
pytest_plugins = [
    "tests.fixtures.servers",
    "tests.fixtures.dynamics",
    "tests.fixtures.analyst",
    "tests.fixtures.payments",
    "tests.fixtures.anchor_lms",
    "tests.fixtures.obv",
    "tests.fixtures.api",
    "tests.fixtures.loanbook",
    "tests.fixtures.staff",
    "tests.fixtures.lms",
    "tests.fixtures.tracker",
    "tests.fixtures.gateway",
    "tests.fixtures.outages",
]
