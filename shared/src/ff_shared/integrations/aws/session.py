"""One aioboto3 session for the process, and the client options every AWS call uses."""

from __future__ import annotations

from typing import Any

import aioboto3
from botocore.config import Config

from ff_shared.observability import instrument_aws
from ff_shared.settings import AwsSettings


def make_session(settings: AwsSettings) -> aioboto3.Session:
    session = aioboto3.Session(region_name=settings.region)
    instrument_aws(session)
    return session


def client_options(settings: AwsSettings) -> dict[str, Any]:
    """Keyword arguments for ``session.client(...)``: endpoint, timeouts, bounded retries."""
    options: dict[str, Any] = {
        "config": Config(
            connect_timeout=settings.timeout_seconds,
            read_timeout=settings.timeout_seconds,
            retries={"max_attempts": 3, "mode": "standard"},
            signature_version="s3v4",
        )
    }
    if settings.endpoint_url:
        options["endpoint_url"] = settings.endpoint_url
    return options
