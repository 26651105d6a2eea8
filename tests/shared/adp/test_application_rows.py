"""An application as MongoDB returns its projection (nested) and as the nx-27017 stand-in does
(dotted names) gives the same row, with nothing personal in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ff_shared.stores.mongo.adp import application_row

AT = datetime(2026, 6, 2, 12, tzinfo=UTC)
COMMON = {
    "_id": "app-1",
    "customer_id": "sub-1",
    "status": "declined",
    "created_at": AT - timedelta(hours=1),
    "updated_at": AT + timedelta(hours=5),
    "submitted_at": AT,
    "decline": {
        "reason_code": "income_not_verified",
        "note": "Payslips do not match the bank statements of Ms Example.",
        "declined_at": AT + timedelta(hours=5),
    },
}
NESTED = {
    **COMMON,
    "decision": {"outcome": "refer", "reasons": ["income_unverified"]},
    "steps": {
        "loan": {"amount_pence": 120_000, "term_months": 12, "purpose": "car"},
        "address": {"postcode": "LS1 4AP"},
        "employment": {"status": "self_employed"},
    },
}
FLAT = {
    **COMMON,
    "decision.outcome": "refer",
    "decision.reasons": ["income_unverified"],
    "steps.loan.amount_pence": 120_000,
    "steps.loan.term_months": 12,
    "steps.loan.purpose": "car",
    "steps.address.postcode": "LS1 4AP",
    "steps.employment.status": "self_employed",
}


def test_nested_and_dotted_projections_give_the_same_row() -> None:
    nested = application_row(NESTED, salt="s")
    assert application_row(FLAT, salt="s") == nested
    assert [(d.decided_by, d.outcome, d.reasons) for d in nested.decisions] == [
        ("engine", "refer", ("income_unverified",)),
        ("staff", "decline", ("income_not_verified",)),
    ]
    assert nested.postcode_area == "LS"
    assert (nested.requested_amount_pence, nested.requested_term_months) == (120_000, 12)
    assert nested.purpose == "car"
    assert nested.employment_status == "self_employed"
    text = repr(nested)
    assert "Example" not in text
    assert "4AP" not in text
    assert "sub-1" not in text
