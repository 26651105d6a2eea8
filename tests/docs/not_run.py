"""The shell blocks of the README and ``docs/`` that the runnable-docs test does not run, keyed by
page and block number (1-based among the page's ```` ```sh ````/```` ```bash ```` blocks), each
with the reason. The runner checks that every entry names a block that exists."""

from __future__ import annotations

NOT_RUN: dict[tuple[str, int], str] = {
    (
        "README.md",
        1,
    ): "starts the stack the test already runs (dev.sh) and the whole suite (test.sh)",
    ("docs/deployment.md", 1): "writes a secret into the production AWS account's SSM",
    ("docs/gateway.md", 1): "writes the gateway's credentials into the production AWS account",
    ("docs/gateway.md", 2): "production settings (VPC addresses), not commands to run locally",
    ("docs/gateway.md", 3): "ff-gateway's commands on a gateway host with its gateway.json; "
    "tests/gateway runs each of them",
    ("docs/gateway.md", 5): "the gateway's own tests and bench: the suite runs tests/gateway",
    ("docs/lms-restorer.md", 2): "needs a SQL Server (FF_TEST_LMS_SQLSERVER_*), not on the stack",
    ("docs/loans.md", 3): "needs a SQL Server (FF_TEST_LOANBOOK_CONNECTION_STRING)",
    ("docs/portals.md", 1): "the portals' npm checks and browser tests: scripts/test.sh runs them "
    "before pytest",
    ("docs/payments.md", 1): "a reference of every simulator lever with placeholder ids (PM..., "
    "EV...); the walkthrough after it runs them on real ones",
}
