"""From the sources' rows to the star schema's tables: pure functions, no I/O.

The pipeline hands in every row it holds (the previous run's, merged with this run's changes), so
each run rebuilds the tables whole and the same inputs always give the same tables. Rows that
cannot be placed (an agreement in a status the LMS does not document, a transaction of an unknown
type or of a loan that was left out) are counted as rejected by reason, never written half-made.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import msgspec
import pyarrow as pa

from ff_shared.adp import schema as s
from ff_shared.adp.sources import (
    TRANSACTION_TYPES,
    AgreementRow,
    ApplicationRow,
    CrmRow,
    InstalmentRow,
    JourneyRow,
    TransactionRow,
)
from ff_shared.domain.dates import add_months
from ff_shared.domain.loans import LMS_PRODUCT_CODE

LOAN_STATUSES = {"Live": "live", "Arrears": "arrears", "Settled": "settled"}
INSTALMENT_STATUSES = {"Due": "due", "PartPaid": "part_paid", "Paid": "paid", "Overdue": "overdue"}
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
PAYMENT = 3
WRITE_OFF = 6
ARREARS_DAYS = 30
DEFAULT_DAYS = 90

CHANNELS = {
    "paid": "Paid search, display and affiliates (utm_medium cpc, ppc, paid, display, affiliate)",
    "email": "E-mail campaigns (utm_medium email)",
    "social": "Social networks (utm_medium social)",
    "organic": "Search engines without payment (utm_medium organic, or a search engine's host)",
    "referral": "Links from other sites",
    "direct": "No source: typed or bookmarked",
    "unknown": "Applications the journey tracker did not see",
}
_PAID = {"cpc", "ppc", "paid", "paidsearch", "display", "affiliate"}
_SEARCH = {"google", "bing", "duckduckgo", "yahoo", "ecosia"}


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


def channel_of(source: str, medium: str | None, referrer_host: str | None) -> str:
    m = (medium or "").strip().lower()
    if m in _PAID:
        return "paid"
    if m == "email":
        return "email"
    if m == "social":
        return "social"
    if source == "direct":
        return "direct"
    if m == "organic" or source.split(".")[0] in _SEARCH:
        return "organic"
    return "referral"


def term_band(term: int) -> str:
    if term <= 6:
        return "3-6"
    if term <= 12:
        return "7-12"
    if term <= 18:
        return "13-18"
    return "19-24" if term <= 24 else "25+"


def amount_band(pence: int | None) -> str:
    if pence is None:
        return "unknown"
    if pence < 50_000:
        return "under 500"
    if pence < 100_000:
        return "500-999"
    if pence < 200_000:
        return "1000-1999"
    return "2000+"


def bucket_of(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    return "61-90" if days_past_due <= 90 else "90+"


def month_end(day: date) -> date:
    return add_months(day.replace(day=1), 1) - timedelta(days=1)


def snapshot_dates(as_of: date, months: int, earliest: date | None) -> list[date]:
    """Month ends in the ``months`` before ``as_of`` (none before ``earliest``), then ``as_of``."""
    dates: list[date] = []
    start = add_months(as_of.replace(day=1), -months)
    cursor = month_end(start)
    while cursor < as_of:
        if earliest is None or cursor >= earliest:
            dates.append(cursor)
        cursor = month_end(cursor + timedelta(days=1))
    dates.append(as_of)
    return dates


@lru_cache(maxsize=8192)
def _month(value: date) -> str:
    return value.isoformat()[:7]


def _table(table: s.Table, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table.arrow_schema()
    columns = {name: [r.get(name) for r in rows] for name in schema.names}
    return pa.table(columns, schema=schema)


class LoanHistory(msgspec.Struct, kw_only=True):
    """One loan's schedule and money received, as sorted cumulative series for date look-ups."""

    due: list[date]
    cum_due: list[int]
    pay_dates: list[date]
    cum_paid: list[int]
    covered: list[date | None]
    """When cumulative payments first covered each instalment (None: not yet)."""
    written_off_date: date | None
    written_off_pence: int

    @classmethod
    def build(
        cls, instalments: Iterable[InstalmentRow], transactions: Iterable[TransactionRow]
    ) -> LoanHistory:
        due: list[date] = []
        cum_due: list[int] = []
        total = 0
        for i in sorted(instalments, key=lambda i: (i.due_date, i.number)):
            total += i.amount_pence
            due.append(i.due_date)
            cum_due.append(total)
        pay_dates: list[date] = []
        cum_paid: list[int] = []
        paid = 0
        written_off_date: date | None = None
        written_off = 0
        for t in sorted(transactions, key=lambda t: (t.transaction_date, t.transaction_id)):
            if t.type_id == PAYMENT:
                paid += t.amount_pence
                pay_dates.append(t.transaction_date)
                cum_paid.append(paid)
            elif t.type_id == WRITE_OFF:
                written_off += t.amount_pence
                written_off_date = written_off_date or t.transaction_date
        covered: list[date | None] = []
        j = 0
        for needed in cum_due:
            while j < len(cum_paid) and cum_paid[j] < needed:
                j += 1
            covered.append(pay_dates[j] if j < len(cum_paid) else None)
        return cls(
            due=due,
            cum_due=cum_due,
            pay_dates=pay_dates,
            cum_paid=cum_paid,
            covered=covered,
            written_off_date=written_off_date,
            written_off_pence=written_off,
        )

    def paid_by(self, day: date) -> int:
        k = bisect.bisect_right(self.pay_dates, day)
        return self.cum_paid[k - 1] if k else 0

    def due_by(self, day: date) -> int:
        k = bisect.bisect_right(self.due, day)
        return self.cum_due[k - 1] if k else 0

    def days_past_due(self, day: date) -> int:
        """Days the oldest instalment not covered by ``day`` has been overdue on ``day``."""
        for k, due in enumerate(self.due):
            if due >= day:
                return 0
            covered = self.covered[k]
            if covered is None or covered > day:
                return (day - due).days
        return 0

    def first_past(self, days: int, as_of: date) -> date | None:
        """The first day some instalment was more than ``days`` past due (up to ``as_of``)."""
        for k, due in enumerate(self.due):
            limit = due + timedelta(days=days)
            if limit >= as_of:
                return None
            covered = self.covered[k]
            if covered is None or covered > limit:
                return limit + timedelta(days=1)
        return None


def transform(inputs: Inputs, *, as_of: date, snapshot_months: int = 36) -> Output:
    rejected: dict[str, int] = defaultdict(int)
    journeys = {j.application_id: j for j in inputs.journeys}
    crm = {c.application_id: c for c in inputs.crm if c.application_id}

    def origin(application_id: str | None) -> tuple[str, str]:
        journey = journeys.get(application_id or "")
        if journey is None:
            return "unknown", "unknown"
        return journey.source, channel_of(journey.source, journey.utm_medium, journey.referrer_host)

    applications: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    offers: list[dict[str, Any]] = []
    segments: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    regions: set[str] = set()
    product_code = LMS_PRODUCT_CODE
    for a in inputs.applications:
        source, channel = origin(a.application_id)
        sources[source] = channel
        regions.add(a.postcode_area)
        band = amount_band(a.requested_amount_pence)
        purpose = a.purpose or "unknown"
        employment = a.employment_status or "unknown"
        segment = f"{purpose}|{employment}|{band}"
        segments[segment] = {
            "segment_key": segment,
            "purpose": purpose,
            "employment_status": employment,
            "amount_band": band,
        }
        engine = next((d for d in reversed(a.decisions) if d.decided_by == "engine"), None)
        final = a.decisions[-1] if a.decisions else None
        final_outcome: str | None = None
        decline_reason: str | None = None
        if final is not None:
            final_outcome = {"approve": "approved", "decline": "declined"}.get(final.outcome)
            if final.outcome == "approve" and final.decided_by == "engine":
                # The engine's approval sends the application to an underwriter: not yet decided.
                final_outcome = "referred"
            elif final.outcome == "refer":
                final_outcome = "referred"
            if final.outcome == "decline":
                decline_reason = final.reasons[0] if final.reasons else "other"
        applications.append(
            {
                "application_id": a.application_id,
                "customer_key": a.customer_key,
                "status": a.status,
                "created_at": a.created_at,
                "submitted_at": a.submitted_at,
                "engine_outcome": engine.outcome if engine else None,
                "final_outcome": final_outcome,
                "final_decided_at": final.decided_at if final else None,
                "decline_reason": decline_reason,
                "requested_amount_pence": a.requested_amount_pence,
                "requested_term_months": a.requested_term_months,
                "product_code": product_code,
                "postcode_area": a.postcode_area,
                "source": source,
                "channel": channel,
                "segment_key": segment,
                "crm_status": None if (c := crm.get(a.application_id)) is None else c.status,
                "agreement_number": a.agreement_number,
                "month": _month(a.created_at.date()),
            }
        )
        for n, d in enumerate(a.decisions, start=1):
            decisions.append(
                {
                    "application_id": a.application_id,
                    "sequence": n,
                    "decided_by": d.decided_by,
                    "outcome": d.outcome,
                    "reasons": list(d.reasons),
                    "decided_at": d.decided_at,
                    "month": _month(d.decided_at.date()),
                }
            )
        if a.offer_made_at is not None and a.offer_amount_pence is not None:
            offers.append(
                {
                    "application_id": a.application_id,
                    "made_at": a.offer_made_at,
                    "amount_pence": a.offer_amount_pence,
                    "term_months": a.offer_term_months,
                    "instalment_pence": a.offer_instalment_pence,
                    "apr_percent": a.offer_apr_percent,
                    "response": a.offer_response,
                    "responded_at": a.offer_responded_at,
                    "month": _month(a.offer_made_at.date()),
                }
            )
    for row in applications:
        if isinstance(row["crm_status"], int):
            row["crm_status"] = str(row["crm_status"])

    agreements: dict[str, AgreementRow] = {}
    for ag in inputs.agreements:
        if ag.status not in LOAN_STATUSES:
            rejected["fact_loans:unknown_status"] += 1
        elif ag.advance_pence <= 0 or ag.term_months <= 0:
            rejected["fact_loans:non_positive_terms"] += 1
        else:
            agreements[ag.agreement_number] = ag
    by_loan_instalments: dict[str, list[InstalmentRow]] = defaultdict(list)
    instalments: list[dict[str, Any]] = []
    for i in inputs.instalments:
        if i.agreement_number not in agreements:
            rejected["fact_instalments:loan_left_out"] += 1
            continue
        if i.status not in INSTALMENT_STATUSES:
            rejected["fact_instalments:unknown_status"] += 1
            continue
        by_loan_instalments[i.agreement_number].append(i)
        instalments.append(
            {
                "agreement_number": i.agreement_number,
                "instalment_number": i.number,
                "due_date": i.due_date,
                "amount_pence": i.amount_pence,
                "principal_pence": i.principal_pence,
                "interest_pence": i.interest_pence,
                "paid_pence": i.paid_pence,
                "status": INSTALMENT_STATUSES[i.status],
                "month": _month(i.due_date),
            }
        )
    by_loan_transactions: dict[str, list[TransactionRow]] = defaultdict(list)
    payments: list[dict[str, Any]] = []
    for t in inputs.transactions:
        if t.agreement_number not in agreements:
            rejected["fact_payments:loan_left_out"] += 1
            continue
        if t.type_id not in TRANSACTION_TYPES:
            rejected["fact_payments:unknown_type"] += 1
            continue
        by_loan_transactions[t.agreement_number].append(t)
        payments.append(
            {
                "transaction_id": t.transaction_id,
                "agreement_number": t.agreement_number,
                "type": TRANSACTION_TYPES[t.type_id],
                "amount_pence": t.amount_pence,
                "transaction_date": t.transaction_date,
                "month": _month(t.transaction_date),
            }
        )

    loans: list[dict[str, Any]] = []
    histories: dict[str, LoanHistory] = {}
    products: set[str] = {product_code}
    terms: set[int] = set()
    for number, ag in agreements.items():
        history = LoanHistory.build(by_loan_instalments[number], by_loan_transactions[number])
        histories[number] = history
        source, _channel = origin(ag.application_id)
        sources.setdefault(source, _channel)
        regions.add(ag.postcode_area)
        products.add(ag.product_code)
        terms.add(ag.term_months)
        default = history.first_past(DEFAULT_DAYS, as_of)
        if history.written_off_date is not None and history.written_off_date <= as_of:
            default = min(default or history.written_off_date, history.written_off_date)
        loans.append(
            {
                "agreement_number": number,
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
                "month": _month(ag.start_date),
            }
        )

    earliest = min((ag.start_date for ag in agreements.values()), default=None)
    snapshots: list[dict[str, Any]] = []
    for day in snapshot_dates(as_of, snapshot_months, earliest):
        dt = day.isoformat()
        for number, ag in agreements.items():
            if ag.start_date > day:
                continue
            history = histories[number]
            if history.written_off_date is not None and history.written_off_date <= day:
                continue
            paid = history.paid_by(day)
            balance = ag.total_repayable_pence - paid
            if balance <= 0:
                continue
            scheduled = history.due_by(day)
            dpd = history.days_past_due(day)
            snapshots.append(
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
                    "dt": dt,
                }
            )

    first_day = min(
        [a.created_at.date() for a in inputs.applications]
        + [ag.start_date for ag in agreements.values()]
        + [as_of]
    )
    last_day = max(
        [as_of] + [i.due_date for i in inputs.instalments if i.agreement_number in agreements]
    )
    days: list[dict[str, Any]] = []
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
    terms |= {a["requested_term_months"] for a in applications if a["requested_term_months"]}

    tables = {
        s.DIM_DATE.name: _table(s.DIM_DATE, days),
        s.DIM_PRODUCT.name: _table(
            s.DIM_PRODUCT,
            [{"product_code": p, "name": p.replace("_", " ").title()} for p in sorted(products)],
        ),
        s.DIM_TERM.name: _table(
            s.DIM_TERM,
            [{"term_months": t, "term_band": term_band(t)} for t in sorted(terms)],
        ),
        s.DIM_CHANNEL.name: _table(
            s.DIM_CHANNEL, [{"channel": c, "description": d} for c, d in CHANNELS.items()]
        ),
        s.DIM_SOURCE.name: _table(
            s.DIM_SOURCE, [{"source": k, "channel": v} for k, v in sorted(sources.items())]
        ),
        s.DIM_REGION.name: _table(s.DIM_REGION, [{"postcode_area": r} for r in sorted(regions)]),
        s.DIM_SEGMENT.name: _table(s.DIM_SEGMENT, [segments[k] for k in sorted(segments)]),
        s.FACT_APPLICATIONS.name: _table(s.FACT_APPLICATIONS, applications),
        s.FACT_DECISIONS.name: _table(s.FACT_DECISIONS, decisions),
        s.FACT_OFFERS.name: _table(s.FACT_OFFERS, offers),
        s.FACT_LOANS.name: _table(s.FACT_LOANS, loans),
        s.FACT_INSTALMENTS.name: _table(s.FACT_INSTALMENTS, instalments),
        s.FACT_PAYMENTS.name: _table(s.FACT_PAYMENTS, payments),
        s.FACT_ARREARS_DAILY.name: _table(s.FACT_ARREARS_DAILY, snapshots),
    }
    return Output(tables=tables, rejected=dict(rejected))
