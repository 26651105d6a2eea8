"""A realistic two-year demo portfolio for the local stack, so every report shows something.

Applications arrive every month (more lately); the engine approves, refers or declines; staff
approve most and decline some with a reason; most offers are accepted and funded. Each loan then
repays in its own way: most on time, some late, some settle early, some stop paying and a share
of those are written off. The loan book gets customers, agreements, schedules and transactions
as the LMS would hold them; MongoDB gets the applications; the journey tracker the first touch
of each. Generation is deterministic (a seeded random source) and seeding is idempotent: a loan
book that already has the demo agreements is left alone.
"""

from __future__ import annotations

import copy
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec

from ff_shared.domain.dates import add_months
from ff_shared.domain.decision import RULE_SET_VERSION
from ff_shared.domain.pricing import Quote, quote
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.steps import EXAMPLES
from ff_standins.adp_portfolio.loans import DemoLoan, DemoPortfolio, book

AGREEMENT_PREFIX = "FFD"
AREAS = ("LS", "M", "B", "L", "S", "NE", "BD", "G", "CF", "NG", "SW", "E")
SOURCES = (
    ("google", "cpc", None, 30),
    ("google", "organic", "www.google.com", 20),
    ("facebook", "social", "l.facebook.com", 12),
    ("moneysavingexpert.com", None, "www.moneysavingexpert.com", 10),
    ("newsletter", "email", None, 8),
    ("direct", None, None, 20),
)
PURPOSES = ("debt_consolidation", "car", "home_improvement", "household", "emergency")
EMPLOYMENT = ("employed_full_time", "employed_part_time", "self_employed", "benefits")
ENGINE_DECLINES = ("unaffordable", "existing_debt_too_high", "adverse_credit_history")
STAFF_DECLINES = ("unaffordable", "income_not_verified", "outside_lending_policy", "other")
STAFF = {"id": "demo-underwriter", "username": "underwriter@example.com"}


class _Ask(msgspec.Struct, kw_only=True):
    """One application as drafted: its document and what it asked for."""

    doc: dict[str, Any]
    customer_id: str
    application_id: str
    amount: int
    term: int
    area: str


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=UTC)


def _draft(rng: random.Random, created: datetime, index: int) -> _Ask:
    customer_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    application_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    amount = rng.choice((30_000, 50_000, 75_000, 100_000, 150_000, 200_000, 300_000))
    term = rng.choice((6, 9, 12, 12, 18, 24))
    area = rng.choice(AREAS)
    steps = copy.deepcopy(EXAMPLES)
    steps["loan"].update(amount_pence=amount, term_months=term, purpose=rng.choice(PURPOSES))
    steps["address"]["postcode"] = f"{area}{rng.randint(1, 9)} {rng.randint(1, 9)}AB"
    steps["employment"]["status"] = rng.choice(EMPLOYMENT)
    doc: dict[str, Any] = {
        "_id": application_id,
        "reference": f"FF-DEMO{index:05d}",
        "customer_id": customer_id,
        "status": "draft",
        "version": 1,
        "steps": steps,
        "created_at": created,
        "updated_at": created,
    }
    return _Ask(
        doc=doc,
        customer_id=customer_id,
        application_id=application_id,
        amount=amount,
        term=term,
        area=area,
    )


def _session(rng: random.Random, ask: _Ask, created: datetime) -> tuple[Any, ...] | None:
    """The journey tracker's first touch of the application (most are seen, not all)."""
    source, medium, referrer, _w = rng.choices(SOURCES, weights=[s[3] for s in SOURCES])[0]
    if rng.random() >= 0.9:
        return None
    return (
        f"demo-{ask.application_id}",
        created - timedelta(minutes=20),
        f"demo-{ask.application_id}-0",
        "local",
        "application",
        f"anon-{ask.customer_id[:8]}",
        created - timedelta(minutes=20),
        created,
        12,
        7,
        created,
        created,
        ask.application_id,
        source,
        None if source == "direct" else source,
        medium,
        None,
        referrer,
        rng.choice(("mobile", "desktop", "tablet")),
    )


def _decide(
    rng: random.Random, doc: dict[str, Any], created: datetime, today: date
) -> datetime | None:
    """Submission, the engine's decision and staff's; when staff approved (None: the application
    stopped before an offer, and stays where it stopped)."""
    if rng.random() < 0.12:
        return None  # never submitted
    submitted = created + timedelta(minutes=rng.randint(10, 90))
    outcome = rng.choices(["approve", "refer", "decline"], weights=[50, 25, 25])[0]
    reasons = [rng.choice(ENGINE_DECLINES)] if outcome == "decline" else []
    decision = {
        "outcome": outcome,
        "reasons": reasons,
        "rule_set_version": RULE_SET_VERSION,
        "offer": None,
        "affordability": None,
        "risk_flags": [],
        "trace": [],
    }
    doc.update(submitted_at=submitted, decision=decision, updated_at=submitted, version=2)
    if outcome == "decline":
        doc["status"] = "declined"
        return None
    decided = submitted + timedelta(hours=rng.uniform(1, 72))
    if decided.date() >= today:
        doc["status"] = "in_review"
        return None
    if rng.random() < 0.12:
        doc.update(
            status="declined",
            updated_at=decided,
            version=3,
            decline={
                "reason_code": rng.choice(STAFF_DECLINES),
                "note": "Demo decline.",
                "declined_by": STAFF,
                "declined_at": decided,
                "at_version": 2,
            },
        )
        return None
    return decided


def _offer(
    rng: random.Random, product: LoanProduct, ask: _Ask, decided: datetime, today: date
) -> tuple[Quote, datetime] | None:
    """The offer and the customer's answer; the price and when it was accepted, if it was."""
    priced = quote(product, ask.amount, ask.term, decided.date())
    offer = {
        "amount_pence": ask.amount,
        "term_months": ask.term,
        "monthly_instalment_pence": priced.monthly_instalment_pence,
        "apr_percent": priced.apr_percent,
        "total_repayable_pence": priced.total_repayable_pence,
        "annual_rate_bps": product.annual_rate_bps,
    }
    made: dict[str, Any] = {
        "offer": offer,
        "proposed_by": STAFF,
        "made_at": decided,
        "at_version": 2,
    }
    ask.doc.update(status="offered", offer=made, updated_at=decided, version=3)
    responded = decided + timedelta(hours=rng.uniform(2, 60))
    if responded.date() >= today:
        return None
    if rng.random() < 0.1:
        made.update(response="declined", responded_at=responded)
        ask.doc.update(status="offer_declined", updated_at=responded, version=4)
        return None
    made.update(response="accepted", responded_at=responded)
    return priced, responded


def _application(
    out: DemoPortfolio,
    rng: random.Random,
    product: LoanProduct,
    day: date,
    today: date,
    loan_no: int,
) -> int:
    """One application's journey as far as it had got by ``today``; the loan count after it."""
    created = _at(day, rng)
    ask = _draft(rng, created, len(out.applications))
    out.applications.append(ask.doc)
    session = _session(rng, ask, created)
    if session is not None:
        out.sessions.append(session)
    decided = _decide(rng, ask.doc, created, today)
    if decided is None:
        return loan_no
    accepted = _offer(rng, product, ask, decided, today)
    if accepted is None:
        return loan_no
    priced, responded = accepted
    start = responded.date() + timedelta(days=rng.randint(0, 2))
    if start >= today:
        ask.doc.update(status="accepted", updated_at=responded, version=4)
        return loan_no
    loan_no += 1
    number = f"{AGREEMENT_PREFIX}{loan_no:06d}"
    funded = _at(start, rng)
    ask.doc.update(
        status="accepted",
        updated_at=funded,
        version=4,
        lms={
            "state": "created",
            "agreement_number": number,
            "attempts": 1,
            "synced_at": funded,
            "updated_at": funded,
        },
    )
    loan = DemoLoan(
        number=number,
        loan_no=loan_no,
        customer_id=ask.customer_id,
        application_id=ask.application_id,
        area=ask.area,
        apr=priced.apr_percent,
        amount=ask.amount,
        term=ask.term,
        start=start,
        funded=funded,
        rate_bps=product.annual_rate_bps,
    )
    book(out, rng, loan, today)
    return loan_no


def generate(
    today: date, *, months: int = 24, per_month: int = 30, seed: int = 15
) -> DemoPortfolio:
    rng = random.Random(seed)
    product = LoanProduct()
    out = DemoPortfolio(
        applications=[], customers=[], agreements=[], instalments=[], transactions=[], sessions=[]
    )
    loan_no = 0
    start_month = add_months(today.replace(day=1), -months)
    for m in range(months + 1):
        month = add_months(start_month, m)
        # The business grows: later months bring more applications.
        count = int(per_month * (0.6 + 0.8 * m / max(1, months)))
        for _ in range(count):
            day = month + timedelta(days=rng.randint(0, 27))
            if day >= today:
                continue
            loan_no = _application(out, rng, product, day, today, loan_no)
    return out
