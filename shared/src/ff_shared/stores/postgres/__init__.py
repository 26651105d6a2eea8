"""PostgreSQL through asyncpg: one schema per feature, plain-SQL migrations applied in order."""

from ff_shared.stores.postgres.connection import create_pool, transaction
from ff_shared.stores.postgres.migrations import Migration, apply_migrations, discover

__all__ = ["Migration", "apply_migrations", "create_pool", "discover", "transaction"]
