"""The nightly loan-book backup, as rules. No I/O.

A backup moves through :data:`runs.STEPS` in order. Each step's state is kept per backup, so a run
that dies part-way leaves a record a later run continues from, and an operator can re-run one step.
The rules live by concern: :mod:`.runs` (steps, their states and a run's outcome), :mod:`.files`
(backup names, checksums, archive keys, retention), :mod:`.headers` (SQL Server backup headers),
:mod:`.rds` (RDS restore task lifecycles) and :mod:`.checks` (verification outcomes).
"""
