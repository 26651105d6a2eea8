"""Tracking ingestion: ``POST /v1/track``, the same ingestion function as the Lambda gateway."""
