"""The weekly management report from the published run: an HTML e-mail through SES (moto) with
the charts inline and their tables, and the same report kept as a PDF in the lake's bucket."""

from __future__ import annotations

import email
import json
import urllib.request
from datetime import timedelta
from email.message import Message
from typing import Any

import aioboto3
import pytest
from tests.fixtures.servers import REGION

from ff_shared.clock import london_today
from ff_shared.settings import Settings
from ff_workers.adp.pipeline import Pipeline, run_pipeline
from ff_workers.adp.weekly import send_weekly_report

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _raw_messages(moto_url: str, sender: str) -> list[Message]:
    with urllib.request.urlopen(f"{moto_url}/moto-api/data.json", timeout=10) as response:
        data: dict[str, Any] = json.load(response)
    raw = data.get("ses", {}).get("RawMessage", [])
    return [email.message_from_string(m["raw_data"]) for m in raw if m.get("source") == sender]


async def test_the_weekly_report_is_mailed_with_inline_charts_and_kept_as_a_pdf(
    pipeline: Pipeline, adp_settings: Settings, ses_sender: str, moto_url: str
) -> None:
    week_ending = london_today() - timedelta(days=1)
    if pipeline.lake.read_manifest() is None:
        await run_pipeline(pipeline, week_ending, trigger="test")
    sent = await send_weekly_report(pipeline, week_ending=week_ending)
    assert sent.recipients == 2
    assert sent.message_id
    assert sent.charts == 6
    messages = _raw_messages(moto_url, ses_sender)
    assert len(messages) == 1
    message = messages[0]
    assert "weekly management report" in message["Subject"]
    assert message["To"] == "board@fairfinance.example, operations@fairfinance.example"
    parts = list(message.walk())
    images = [p for p in parts if p.get_content_type() == "image/png"]
    assert len(images) == 6
    assert all(bytes(p.get_payload(decode=True))[:4] == b"\x89PNG" for p in images)
    html = next(p for p in parts if p.get_content_type() == "text/html")
    body = bytes(html.get_payload(decode=True)).decode()
    for image in images:
        assert f"cid:{image['Content-ID'].strip('<>')}" in body
    assert "<table" in body
    assert "funded_count" in body
    session = aioboto3.Session(region_name=REGION)
    async with session.client("s3", endpoint_url=moto_url) as s3:
        pdf = await s3.get_object(Bucket=adp_settings.adp.bucket, Key=sent.pdf_key)
        content = await pdf["Body"].read()
    assert sent.pdf_key.endswith(f"reports/weekly/{week_ending.isoformat()}.pdf")
    assert content[:5] == b"%PDF-"
    assert len(content) == sent.pdf_bytes > 10_000
