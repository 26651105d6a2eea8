"""Redis-held state: short-lived records such as idempotency keys."""
