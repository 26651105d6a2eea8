"""``/v1/staff/reports``: the hand-worked portfolio (tests/shared/adp/portfolio.py) published to
a lake on moto, read by the API as staff would: JSON with series and a Vega-Lite chart, PNG and
SVG charts, CSV and XLSX tables, the pipeline's runs, suppression and who may see them."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.reports import with_published_portfolio
from tests.fixtures.staff import StaffFactory
from tests.shared.adp.portfolio import AS_OF

from ff_api.app import create_app
from ff_shared.adp.runs import CheckResult, RunReport
from ff_shared.settings import Settings
from ff_shared.stores.postgres import adp as store
from ff_shared.stores.postgres import apply_migrations

Client = AsyncTestClient[Litestar]
JUNE = {"from": "2026-06-01", "to": "2026-06-30"}


@pytest.fixture(scope="module")
async def reports_settings(base_env: dict[str, str]) -> Settings:
    settings = with_published_portfolio(base_env)
    conn = await asyncpg.connect(settings.postgres.dsn)
    try:
        await apply_migrations(conn, "adp")
        await store.save_run(
            conn,
            RunReport(
                run_id="20260701-run",
                run_date=AS_OF,
                trigger="schedule",
                status="failed",
                started_at=datetime(2026, 7, 1, 2, 30, tzinfo=UTC),
                finished_at=datetime(2026, 7, 1, 2, 31, tzinfo=UTC),
                duration_seconds=61.5,
                rows_in={"loanbook.agreements": 12},
                rows_out={"fact_loans": 12},
                checks=(
                    CheckResult(name="rows:fact_loans", passed=True, expected=12, actual=12),
                    CheckResult(name="money:balance_pence", passed=False, expected=1, actual=0),
                ),
                error="1 data-quality check(s) failed",
            ),
        )
    finally:
        await conn.close()
    return settings


@pytest.fixture(scope="module")
async def reports(reports_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(reports_settings)) as client:
        yield client


async def test_kpis_answer_chart_ready_series_and_a_vega_lite_chart(
    reports: Client, staff_as: StaffFactory
) -> None:
    analyst = await staff_as("analyst")
    response = await reports.get("/v1/staff/reports/kpis", params=JUNE, headers=analyst.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["run_id"] == "20260701-run"
    assert (body["from"], body["to"]) == ("2026-06-01", "2026-06-30")
    values = {row[0]: row[2] for row in body["table"]["rows"]}
    assert values["funded_count"] == 6
    assert values["portfolio_balance_pence"] == 690_000
    assert values["referred"] is None
    this = body["series"][0]
    assert this["unit"] == "count"
    assert this["labels"][:2] == ["applications_started", "applications_submitted"]
    assert this["values"][:2] == [13, 12]
    chart = body["chart"]
    assert chart["$schema"] == "https://vega.github.io/schema/vega-lite/v5.json"
    assert {"series": "this period", "label": "funded_count", "value": 6} in chart["data"]["values"]


async def test_portfolio_reports_suppress_groups_of_fewer_than_five(
    reports: Client, staff_as: StaffFactory
) -> None:
    operations = await staff_as("operations")
    response = await reports.get(
        "/v1/staff/reports/arrears", params={"as_of": "2026-06-30"}, headers=operations.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["table"]["rows"] == [["current", 6, 648_000, 0], ["90+", None, None, None]]
    assert body["suppressed"] == 1
    labels = [v["label"] for v in body["chart"]["data"]["values"]]
    assert labels == ["current"]


async def test_a_chart_downloads_as_png_and_svg(reports: Client, staff_as: StaffFactory) -> None:
    admin = await staff_as("admin")
    png = await reports.get(
        "/v1/staff/reports/vintages/chart", params={"as_of": "2026-06-30"}, headers=admin.headers
    )
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png.content) > 2_000
    svg = await reports.get(
        "/v1/staff/reports/collections/chart",
        params={"format": "svg", "from": "2026-01-01", "to": "2026-06-30"},
        headers=admin.headers,
    )
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<svg")


async def test_every_table_exports_as_csv_and_xlsx(reports: Client, staff_as: StaffFactory) -> None:
    analyst = await staff_as("analyst")
    index = await reports.get("/v1/staff/reports", headers=analyst.headers)
    assert index.status_code == 200
    names = [item["name"] for item in index.json()["items"]]
    assert {"kpis", "arrears", "roll-rates", "vintages", "collections", "losses"} <= set(names)
    assert {"breakdown-product", "breakdown-term", "breakdown-source", "breakdown-region"} <= set(
        names
    )
    for name in names:
        response = await reports.get(
            f"/v1/staff/reports/{name}/table", params=JUNE, headers=analyst.headers
        )
        assert response.status_code == 200, (name, response.text)
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0], name
    xlsx = await reports.get(
        "/v1/staff/reports/breakdown-region/table",
        params={**JUNE, "format": "xlsx"},
        headers=analyst.headers,
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "group"
    assert cells[2] == ["M", 6, 6, 1, 6, 600_000, 0]
    assert cells[1] == ["LS", 6, 0, 0, 0, 0, None]


async def test_operations_see_the_pipelines_runs_with_failed_checks(
    reports: Client, staff_as: StaffFactory
) -> None:
    operations = await staff_as("operations")
    response = await reports.get("/v1/staff/reports/runs", headers=operations.headers)
    assert response.status_code == 200, response.text
    run = next(r for r in response.json()["items"] if r["run_id"] == "20260701-run")
    assert run["status"] == "failed"
    assert run["rows_out"] == {"fact_loans": 12}
    assert run["checks_run"] == 2
    assert [c["name"] for c in run["failed_checks"]] == ["money:balance_pence"]


async def test_bad_periods_and_unknown_reports_are_problems(
    reports: Client, staff_as: StaffFactory
) -> None:
    analyst = await staff_as("analyst")
    backwards = await reports.get(
        "/v1/staff/reports/kpis",
        params={"from": "2026-06-30", "to": "2026-06-01"},
        headers=analyst.headers,
    )
    assert backwards.status_code == 422
    assert backwards.json()["code"] == "validation_failed"
    assert backwards.json()["errors"][0]["path"] == "query.from"
    # The period before (the KPIs compare with it) must not leave the calendar either.
    ancient = await reports.get(
        "/v1/staff/reports/kpis",
        params={"from": "0001-01-01", "to": "0001-01-05"},
        headers=analyst.headers,
    )
    assert ancient.status_code == 422, ancient.text
    assert ancient.json()["errors"][0]["path"] == "query.from"
    unknown = await reports.get("/v1/staff/reports/salaries", headers=analyst.headers)
    assert unknown.status_code == 404
    bad_format = await reports.get(
        "/v1/staff/reports/kpis/chart", params={"format": "gif"}, headers=analyst.headers
    )
    assert bad_format.status_code in {400, 422}


async def test_customers_underwriters_and_seniors_may_not_read_reports(
    reports: Client, staff_as: StaffFactory, customer_token: TokenFactory
) -> None:
    customer = bearer(await customer_token())
    for path in ("/v1/staff/reports/arrears", "/v1/staff/reports/kpis/chart"):
        assert (await reports.get(path, headers=customer)).status_code == 401
        for role in ("underwriter", "senior_underwriter"):
            member = await staff_as(role)
            response = await reports.get(path, headers=member.headers)
            assert response.status_code == 403, (path, role)
            assert response.json()["code"] == "forbidden"
