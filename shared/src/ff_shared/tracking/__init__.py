"""Journey tracking's I/O: ingestion to SQS FIFO, the S3 event lake, the Lambda gateway.

The pure parts (event schema, sessionisation, funnel maths) live in ``ff_shared.domain``.
"""
