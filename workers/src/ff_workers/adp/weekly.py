"""The weekly management report: built from the published run, sent through SES to the
configured list, and kept as a PDF in the lake's bucket (``reports/weekly/<week ending>.pdf``).

Sending again for the same week overwrites the same PDF; the e-mail goes out again (SES has no
idempotency key), which is what an operator re-running it by hand wants.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import aioboto3
import msgspec
import structlog

from ff_shared.adp import charts, insights, weekly
from ff_shared.adp.reading import ReportData
from ff_shared.integrations.aws.session import client_options
from ff_workers.adp.pipeline import Pipeline

log = structlog.get_logger()


class WeeklySent(msgspec.Struct, frozen=True, kw_only=True):
    week_ending: date
    run_id: str
    recipients: int
    message_id: str | None
    pdf_key: str
    pdf_bytes: int
    charts: int


async def build_sections(data: ReportData, week_ending: date) -> tuple[list[weekly.Section], str]:
    engine = await data.engine()
    manifest = await data.manifest()
    week_from = week_ending - timedelta(days=6)
    half_year = week_ending.replace(day=1) - timedelta(days=182)
    reports = [
        await insights.kpis(engine, week_from, week_ending),
        await insights.decline_reasons(engine, week_from, week_ending),
        await insights.arrears(engine, week_ending),
        await insights.collections(engine, half_year.replace(day=1), week_ending),
        await insights.vintages(engine, week_ending),
        await insights.losses(engine, week_ending),
    ]
    sections: list[weekly.Section] = []
    for report in reports:
        png = await asyncio.to_thread(charts.render_png, charts.vega_lite(report), scale=1.5)
        sections.append(weekly.Section(report=report, png=png, content_id=f"chart-{report.name}"))
    return sections, manifest.run_id


async def send_weekly_report(pipeline: Pipeline, *, week_ending: date) -> WeeklySent:
    settings = pipeline.settings
    data = ReportData(pipeline.lake, msgspec.structs.replace(settings.adp, cache_seconds=0))
    try:
        sections, run_id = await build_sections(data, week_ending)
    finally:
        data.close()
    pdf = await asyncio.to_thread(weekly.pdf_document, week_ending, sections)
    key = f"{settings.adp.prefix}/reports/weekly/{week_ending.isoformat()}.pdf"
    recipients = [r.strip() for r in settings.adp.report_recipients.split(",") if r.strip()]
    session = aioboto3.Session(region_name=settings.aws.region)
    options = client_options(settings.aws)
    async with session.client("s3", **options) as s3:
        await s3.put_object(
            Bucket=settings.adp.bucket, Key=key, Body=pdf, ContentType="application/pdf"
        )
    message_id: str | None = None
    if recipients:
        raw = weekly.mime_message(
            sender=settings.adp.report_sender,
            recipients=recipients,
            week_ending=week_ending,
            sections=sections,
        )
        async with session.client("ses", **options) as ses:
            sent = await ses.send_raw_email(
                Source=settings.adp.report_sender,
                Destinations=recipients,
                RawMessage={"Data": raw},
            )
        message_id = str(sent["MessageId"])
    log.info(
        "adp_weekly_report_sent",
        week_ending=week_ending.isoformat(),
        recipients=len(recipients),
        pdf_bytes=len(pdf),
    )
    return WeeklySent(
        week_ending=week_ending,
        run_id=run_id,
        recipients=len(recipients),
        message_id=message_id,
        pdf_key=key,
        pdf_bytes=len(pdf),
        charts=len(sections),
    )
