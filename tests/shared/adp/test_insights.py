"""Every report figure against the hand-worked portfolio of tests/shared/adp/portfolio.py.

The arithmetic, as at 30 June 2026 (period June, previous period 2-31 May):

- June: 13 applications started (A1-A13), 12 submitted; A1-A6 approved by staff 24 h after
  submission, A7-A11 declined by the engine at submission (0 h), A12 referred (one customer:
  suppressed). Approval rate 6 / 11; median hours to decision of (0 x5, 24 x6) = 24.
- A1-A6's loans (L1-L6, £1,000 over 12 months at £90) funded 10 June, 8 days after submission.
- January's loans B1-B6 (£600, 3 x £210 due 1 Feb, 1 Mar, 1 Apr): B1-B3 paid on time; B4 paid
  February only (90+ at June's end: 121 days); B5 paid April's on 15 May (44 days late);
  B6 never paid and was written off (£630) on 15 June.
- Balance at 30 June: B4 £420 + L1-L6 6 x £1,080 = £6,900. At 31 May: B4 £420 + B6 £630, two
  customers: suppressed.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlglot
from tests.shared.adp.portfolio import AS_OF, JUNE, inputs

from ff_shared.adp import insights
from ff_shared.adp.engine import BREAKDOWNS, QUERY_NAMES, DuckDbEngine, sql_for
from ff_shared.adp.transform import transform


@pytest.fixture(scope="module")
def engine() -> DuckDbEngine:
    return DuckDbEngine(transform(inputs(), as_of=AS_OF).tables)


def _rows(report: insights.Report) -> dict[str, list[object]]:
    return {str(row[0]): row[1:] for row in report.table.rows}


def test_every_query_parses_as_athena_trino_sql() -> None:
    texts = [sql_for(n) for n in QUERY_NAMES if n != "breakdown"]
    texts += [sql_for("breakdown", d) for d in BREAKDOWNS]
    for text in texts:
        parsed = sqlglot.parse_one(text, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
        assert parsed.find(sqlglot.exp.Select) is not None
        # Round trip: what Athena would be sent still parses the same way.
        again = sqlglot.transpile(text, read="trino", write="trino")[0]
        assert sqlglot.parse_one(again, read="trino") == parsed


async def test_kpis_for_june_against_may(engine: DuckDbEngine) -> None:
    report = await insights.kpis(engine, *JUNE)
    rows = {name: (value, previous) for name, _unit, value, previous, _change in report.table.rows}
    assert rows["applications_started"] == (13, 5)
    assert rows["applications_submitted"] == (12, 5)
    assert rows["approved"] == (6, 5)
    assert rows["referred"] == (None, 0)
    assert rows["declined"] == (5, 0)
    assert rows["approval_rate"] == (round(6 / 11, 6), 1.0)
    assert rows["median_hours_to_decision"] == (24.0, 48.0)
    assert rows["median_days_to_funding"] == (8.0, None)
    assert rows["offers_accepted"] == (6, 0)
    assert rows["funded_count"] == (6, 0)
    assert rows["funded_volume_pence"] == (600_000, 0)
    assert rows["average_loan_pence"] == (100_000, None)
    assert rows["average_term_months"] == (12, None)
    assert rows["portfolio_balance_pence"] == (690_000, None)
    assert report.suppressed == 1
    change = {r[0]: r[4] for r in report.table.rows}
    assert change["applications_started"] == round((13 - 5) / 5, 6)


async def test_decline_reasons_of_fewer_than_five_customers_are_suppressed(
    engine: DuckDbEngine,
) -> None:
    report = await insights.decline_reasons(engine, *JUNE)
    assert _rows(report) == {"unaffordable": [None], "adverse_credit_history": [None]}
    assert report.suppressed == 2
    assert all(v is None for s in report.series for v in s.values)


async def test_arrears_buckets_at_the_end_of_june(engine: DuckDbEngine) -> None:
    report = await insights.arrears(engine, AS_OF)
    assert _rows(report) == {"current": [6, 648_000, 0], "90+": [None, None, None]}
    assert report.suppressed == 1


async def test_roll_rates_between_month_ends(engine: DuckDbEngine) -> None:
    report = await insights.roll_rates(engine, AS_OF)
    moves = {(r[0], r[1]): (r[2], r[3]) for r in report.table.rows}
    # current -> current: B1-B5 Jan->Feb, B1-B3 and B5 Feb->Mar = 9 of the 15 moves from
    # current (5 + 1 in Jan->Feb, 4 + 1 in Feb->Mar, 3 closed + 1 in Mar->Apr).
    assert moves[("current", "current")] == (9, 0.6)
    assert set(moves) == {
        ("current", "current"),
        ("current", "1-30"),
        ("current", "closed"),
        ("1-30", "31-60"),
        ("1-30", "closed"),
        ("31-60", "61-90"),
        ("31-60", "90+"),
        ("61-90", "90+"),
        ("90+", "90+"),
        ("90+", "written_off"),
    }
    assert all(v == (None, None) for k, v in moves.items() if k != ("current", "current"))


async def test_vintage_curves_by_months_on_book(engine: DuckDbEngine) -> None:
    report = await insights.vintages(engine, AS_OF)
    january = [(r[1], r[2], r[3], r[4]) for r in report.table.rows if r[0] == "2026-01"]
    third = round(1 / 3, 6)
    assert january == [
        (0, 6, 0.0, 0.0),
        (1, 6, 0.0, 0.0),
        (2, 6, round(1 / 6, 6), 0.0),  # B6 more than 30 days late from 4 March
        (3, 6, third, 0.0),  # B4 from 1 April
        (4, 6, 0.5, third),  # B5 from 2 May; B6 defaulted 3 May, B4 31 May
        (5, 6, 0.5, third),
    ]
    assert [r[1:] for r in report.table.rows if r[0] == "2026-06"] == [[0, 6, 0.0, 0.0]]
    assert {s.name for s in report.series} == {"2026-01", "2026-06"}


async def test_collections_against_schedule(engine: DuckDbEngine) -> None:
    report = await insights.collections(engine, date(2026, 1, 1), AS_OF)
    assert _rows(report) == {
        "2026-02": [126_000, 105_000, round(105 / 126, 6)],
        "2026-03": [126_000, 84_000, round(84 / 126, 6)],
        "2026-04": [126_000, 63_000, 0.5],
    }


async def test_default_and_write_off_rates_by_origination_quarter(engine: DuckDbEngine) -> None:
    report = await insights.losses(engine, AS_OF)
    assert _rows(report) == {
        "2026-01": [6, 360_000, round(2 / 6, 6), round(1 / 6, 6), 0.175],
        "2026-04": [6, 600_000, 0.0, 0.0, 0.0],
    }


async def test_breakdowns_by_product_term_source_and_region(engine: DuckDbEngine) -> None:
    product = _rows(await insights.breakdown(engine, "product", *JUNE))
    # B4 is the one open loan of seven more than 30 days past due.
    assert product == {"FFPL": [12, 6, round(6 / 11, 6), 6, 600_000, round(1 / 7, 6)]}
    term = _rows(await insights.breakdown(engine, "term", *JUNE))
    assert term == {
        "13-18": [5, 0, 0.0, 0, 0, None],
        # A12 alone asked for 3-6 months: withheld; no loans of that term, so zeros stay.
        "3-6": [None, None, None, 0, 0, None],
        "7-12": [6, 6, 1.0, 6, 600_000, 0.0],
    }
    source = _rows(await insights.breakdown(engine, "source", *JUNE))
    assert source["google"] == [6, 6, 1.0, 6, 600_000, 0.0]
    # A7-A12 came untracked (six customers); the one open untracked loan (B4) is withheld.
    assert source["unknown"] == [6, 0, 0.0, 0, 0, None]
    region = await insights.breakdown(engine, "region", *JUNE)
    assert _rows(region) == {
        "LS": [6, 0, 0.0, 0, 0, None],
        "M": [6, 6, 1.0, 6, 600_000, 0.0],
    }
    assert region.suppressed == 1


def test_suppression_hides_groups_of_one_to_four_customers() -> None:
    rows = [
        {"group": "a", "customers": 4, "loans": 9},
        {"group": "b", "customers": 5, "loans": 5},
        {"group": "c", "customers": 0, "loans": 0},
    ]
    shown, hidden = insights.suppress(rows, ["loans"])
    assert shown == [
        {"group": "a", "loans": None},
        {"group": "b", "loans": 5},
        {"group": "c", "loans": 0},
    ]
    assert hidden == 1
