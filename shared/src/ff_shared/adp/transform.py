"""From the sources' rows to the star schema's tables: pure functions, no I/O.

The pipeline hands in every row it holds (the previous run's, merged with this run's changes), so
each run rebuilds the tables whole and the same inputs always give the same tables. Rows that
cannot be placed (an agreement in a status the LMS does not document, a transaction of an unknown
type or of a loan that was left out) are counted as rejected by reason, never written half-made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import msgspec
import pyarrow as pa

from ff_shared.adp import schema as s
from ff_shared.adp.application_facts import application_facts
from ff_shared.adp.dimensions import CHANNELS, Seen, month_of, origin_of, term_band
from ff_shared.adp.history import (
    ARREARS_DAYS,
    DEFAULT_DAYS,
    LoanHistory,
    bucket_of,
    snapshot_dates,
)
from ff_shared.adp.sources import (
    TRANSACTION_TYPES,
    AgreementRow,
    ApplicationRow,
    CrmRow,
    InstalmentRow,
    JourneyRow,
    TransactionRow,
)

LOAN_STATUSES = {"Live": "live", "Arrears": "arrears", "Settled": "settled"}
INSTALMENT_STATUSES = {"Due": "due", "PartPaid": "part_paid", "Paid": "paid", "Overdue": "overdue"}

Row = dict[str, Any]


class Inputs(msgspec.Struct, frozen=True, kw_only=True):
    """Every source row the pipeline holds after merging this run's changes."""

    applications: Sequence[ApplicationRow] = ()
    crm: Sequence[CrmRow] = ()
    journeys: Sequence[JourneyRow] = ()
    agreements: Sequence[AgreementRow] = ()
    instalments: Sequence[InstalmentRow] = ()
    transactions: Sequence[TransactionRow] = ()


class Output(msgspec.Struct, kw_only=True):
    tables: dict[str, pa.Table]
    rejected: dict[str, int]


class _LoanInputs(msgspec.Struct, kw_only=True):
    """The agreements that can be placed, with their instalments and transactions."""

    agreements: dict[str, AgreementRow]
    instalments: dict[str, list[InstalmentRow]]
    transactions: dict[str, list[TransactionRow]]


def _table(table: s.Table, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table.arrow_schema()
    columns = {name: [r.get(name) for r in rows] for name in schema.names}
    return pa.table(columns, schema=schema)


def _placeable_agreements(inputs: Inputs, rejected: dict[str, int]) -> dict[str, AgreementRow]:
    agreements: dict[str, AgreementRow] = {}
    for ag in inputs.agreements:
        if ag.status not in LOAN_STATUSES:
            rejected["fact_loans:unknown_status"] += 1
        elif ag.advance_pence <= 0 or ag.term_months <= 0:
            rejected["fact_loans:non_positive_terms"] += 1
        else:
            agreements[ag.agreement_number] = ag
    return agreements


def _instalment_facts(
    inputs: Inputs, agreements: Mapping[str, AgreementRow], rejected: dict[str, int]
) -> tuple[dict[str, list[InstalmentRow]], list[Row]]:
    by_loan: dict[str, list[InstalmentRow]] = defaultdict(list)
    rows: list[Row] = []
    for i in inputs.instalments:
        if i.agreement_number not in agreements:
            rejected["fact_instalments:loan_left_out"] += 1
            continue
        if i.status not in INSTALMENT_STATUSES:
            rejected["fact_instalments:unknown_status"] += 1
            continue
        by_loan[i.agreement_number].append(i)
        rows.append(
            {
                "agreement_number": i.agreement_number,
                "instalment_number": i.number,
                "due_date": i.due_date,
                "amount_pence": i.amount_pence,
                "principal_pence": i.principal_pence,
                "interest_pence": i.interest_pence,
                "paid_pence": i.paid_pence,
                "status": INSTALMENT_STATUSES[i.status],
                "month": month_of(i.due_date),
            }
        )
    return by_loan, rows


def _payment_facts(
    inputs: Inputs, agreements: Mapping[str, AgreementRow], rejected: dict[str, int]
) -> tuple[dict[str, list[TransactionRow]], list[Row]]:
    by_loan: dict[str, list[TransactionRow]] = defaultdict(list)
    rows: list[Row] = []
    for t in inputs.transactions:
        if t.agreement_number not in agreements:
            rejected["fact_payments:loan_left_out"] += 1
            continue
        if t.type_id not in TRANSACTION_TYPES:
            rejected["fact_payments:unknown_type"] += 1
            continue
        by_loan[t.agreement_number].append(t)
        rows.append(
            {
                "transaction_id": t.transaction_id,
                "agreement_number": t.agreement_number,
                "type": TRANSACTION_TYPES[t.type_id],
                "amount_pence": t.amount_pence,
                "transaction_date": t.transaction_date,
                "month": month_of(t.transaction_date),
            }
        )
    return by_loan, rows


def _loan_row(ag: AgreementRow, history: LoanHistory, source: str, as_of: date) -> Row:
    default = history.first_past(DEFAULT_DAYS, as_of)
    if history.written_off_date is not None and history.written_off_date <= as_of:
        default = min(default or history.written_off_date, history.written_off_date)
    return {
        "agreement_number": ag.agreement_number,
        "application_id": ag.application_id,
        "customer_key": ag.customer_key,
        "product_code": ag.product_code,
        "term_months": ag.term_months,
        "advance_pence": ag.advance_pence,
        "total_repayable_pence": ag.total_repayable_pence,
        "instalment_pence": ag.instalment_pence,
        "start_date": ag.start_date,
        "funded_at": ag.created_at,
        "origination_month": ag.start_date.replace(day=1),
        "status": LOAN_STATUSES[ag.status],
        "balance_pence": ag.balance_pence,
        "arrears_pence": ag.arrears_pence,
        "paid_pence": history.paid_by(date.max),
        "written_off_pence": history.written_off_pence,
        "first_arrears_date": history.first_past(ARREARS_DAYS, as_of),
        "default_date": default,
        "written_off_date": history.written_off_date,
        "postcode_area": ag.postcode_area,
        "source": source,
        "month": month_of(ag.start_date),
    }


def _loan_facts(
    loans: _LoanInputs, journeys: Mapping[str, JourneyRow], seen: Seen, as_of: date
) -> tuple[list[Row], dict[str, LoanHistory]]:
    rows: list[Row] = []
    histories: dict[str, LoanHistory] = {}
    for number, ag in loans.agreements.items():
        history = LoanHistory.build(loans.instalments[number], loans.transactions[number])
        histories[number] = history
        source, channel = origin_of(journeys, ag.application_id)
        seen.sources.setdefault(source, channel)
        seen.regions.add(ag.postcode_area)
        seen.products.add(ag.product_code)
        seen.terms.add(ag.term_months)
        rows.append(_loan_row(ag, history, source, as_of))
    return rows, histories


def _snapshot_rows(
    agreements: Mapping[str, AgreementRow],
    histories: Mapping[str, LoanHistory],
    as_of: date,
    snapshot_months: int,
) -> list[Row]:
    """Each open loan's arrears at each month end (and on ``as_of``)."""
    earliest = min((ag.start_date for ag in agreements.values()), default=None)
    rows: list[Row] = []
    for day in snapshot_dates(as_of, snapshot_months, earliest):
        for number, ag in agreements.items():
            history = histories[number]
            if ag.start_date > day or (
                history.written_off_date is not None and history.written_off_date <= day
            ):
                continue
            paid = history.paid_by(day)
            balance = ag.total_repayable_pence - paid
            if balance <= 0:
                continue
            scheduled = history.due_by(day)
            dpd = history.days_past_due(day)
            rows.append(
                {
                    "snapshot_date": day,
                    "agreement_number": number,
                    "customer_key": ag.customer_key,
                    "days_past_due": dpd,
                    "bucket": bucket_of(dpd),
                    "scheduled_pence": scheduled,
                    "paid_pence": paid,
                    "arrears_pence": max(0, scheduled - paid),
                    "balance_pence": balance,
                    "dt": day.isoformat(),
                }
            )
    return rows


def _date_rows(first_day: date, last_day: date) -> list[Row]:
    days: list[Row] = []
    cursor = first_day
    while cursor <= last_day:
        iso = cursor.isocalendar()
        days.append(
            {
                "date": cursor,
                "date_key": cursor.year * 10000 + cursor.month * 100 + cursor.day,
                "year": cursor.year,
                "quarter": (cursor.month - 1) // 3 + 1,
                "month_start": cursor.replace(day=1),
                "week_start": cursor - timedelta(days=iso.weekday - 1),
                "day_of_week": iso.weekday,
                "is_month_end": (cursor + timedelta(days=1)).day == 1,
            }
        )
        cursor += timedelta(days=1)
    return days


def _dimension_tables(seen: Seen, days: list[Row]) -> dict[str, pa.Table]:
    return {
        s.DIM_DATE.name: _table(s.DIM_DATE, days),
        s.DIM_PRODUCT.name: _table(
            s.DIM_PRODUCT,
            [
                {"product_code": p, "name": p.replace("_", " ").title()}
                for p in sorted(seen.products)
            ],
        ),
        s.DIM_TERM.name: _table(
            s.DIM_TERM,
            [{"term_months": t, "term_band": term_band(t)} for t in sorted(seen.terms)],
        ),
        s.DIM_CHANNEL.name: _table(
            s.DIM_CHANNEL, [{"channel": c, "description": d} for c, d in CHANNELS.items()]
        ),
        s.DIM_SOURCE.name: _table(
            s.DIM_SOURCE, [{"source": k, "channel": v} for k, v in sorted(seen.sources.items())]
        ),
        s.DIM_REGION.name: _table(
            s.DIM_REGION, [{"postcode_area": r} for r in sorted(seen.regions)]
        ),
        s.DIM_SEGMENT.name: _table(
            s.DIM_SEGMENT, [seen.segments[k] for k in sorted(seen.segments)]
        ),
    }


def transform(inputs: Inputs, *, as_of: date, snapshot_months: int = 36) -> Output:
    rejected: dict[str, int] = defaultdict(int)
    journeys = {j.application_id: j for j in inputs.journeys}
    seen = Seen()
    facts = application_facts(inputs.applications, inputs.crm, journeys, seen)
    agreements = _placeable_agreements(inputs, rejected)
    by_loan_instalments, instalments = _instalment_facts(inputs, agreements, rejected)
    by_loan_transactions, payments = _payment_facts(inputs, agreements, rejected)
    loan_inputs = _LoanInputs(
        agreements=agreements, instalments=by_loan_instalments, transactions=by_loan_transactions
    )
    loans, histories = _loan_facts(loan_inputs, journeys, seen, as_of)
    snapshots = _snapshot_rows(agreements, histories, as_of, snapshot_months)
    first_day = min(
        [a.created_at.date() for a in inputs.applications]
        + [ag.start_date for ag in agreements.values()]
        + [as_of]
    )
    last_day = max(
        [as_of] + [i.due_date for i in inputs.instalments if i.agreement_number in agreements]
    )
    seen.terms |= {
        a["requested_term_months"] for a in facts.applications if a["requested_term_months"]
    }
    tables = {
        **_dimension_tables(seen, _date_rows(first_day, last_day)),
        s.FACT_APPLICATIONS.name: _table(s.FACT_APPLICATIONS, facts.applications),
        s.FACT_DECISIONS.name: _table(s.FACT_DECISIONS, facts.decisions),
        s.FACT_OFFERS.name: _table(s.FACT_OFFERS, facts.offers),
        s.FACT_LOANS.name: _table(s.FACT_LOANS, loans),
        s.FACT_INSTALMENTS.name: _table(s.FACT_INSTALMENTS, instalments),
        s.FACT_PAYMENTS.name: _table(s.FACT_PAYMENTS, payments),
        s.FACT_ARREARS_DAILY.name: _table(s.FACT_ARREARS_DAILY, snapshots),
    }
    return Output(tables=tables, rejected=dict(rejected))
