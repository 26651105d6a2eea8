"""Analytics at scale: definitions for querying the S3 event lake with Athena."""
