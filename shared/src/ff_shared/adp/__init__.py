"""The financial data platform (ADP): a star schema of the business in Parquet, and its insights.

``schema`` declares every table once (Arrow and Glue both come from it); ``transform`` turns the
sources' rows into those tables; ``checks`` decides whether a run may be published; ``lake``
writes and reads the Parquet on S3; ``engine`` runs the SQL in ``queries/`` (written once, in
Athena's dialect) on DuckDB or Athena; ``insights`` turns query rows into figures, suppressing small
cells; ``charts`` and ``exports`` give them to people.
"""
