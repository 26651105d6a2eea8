"""Erasure, review e-mails and document rules: pure functions, no fakes."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from ff_shared.domain import emails, privacy
from ff_shared.domain.decision import Offer, decide, offer_for
from ff_shared.domain.documents import (
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
    Uploader,
    check_upload,
    mismatch,
    object_key,
)
from ff_shared.domain.emails import EmailKind
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.domain.review import (
    DeclineReason,
    DeclineRecord,
    InformationRequest,
    OfferMade,
    StaffRef,
    offer_affordable,
)
from ff_shared.domain.steps import EXAMPLES, ApplicationData

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
PRODUCT = LoanProduct()
STAFF = StaffRef(id="staff-1", username="underwriter@example.com")


def _application(status: str, **extra: Any) -> dict[str, Any]:
    data = msgspec.convert(EXAMPLES, ApplicationData)
    decision = decide(data, product=PRODUCT, today=TODAY)
    return {
        "_id": "app-1",
        "reference": "FF-ABCDEFGH",
        "customer_id": "cust-1",
        "status": status,
        "version": 9,
        "steps": copy.deepcopy(EXAMPLES),
        "created_at": NOW,
        "updated_at": NOW,
        "submitted_at": NOW,
        "decision": msgspec.to_builtins(decision),
        **extra,
    }


def _record(raw: dict[str, Any]) -> ApplicationRecord:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    return msgspec.convert(raw, ApplicationRecord)


IDENTIFYING = [
    "Amelia",
    "O'Brien",
    "1990-05-14",
    "amelia.obrien@example.com",
    "07700 900123",
    "SW1A 1AA",
    "10 High Street",
    "M1 1AE",
    "22 Oxford Road",
    "Acme Logistics Ltd",
    "12345678",
    "12-34-56",
]


def test_erasing_an_application_without_a_loan_keeps_nothing_personal() -> None:
    raw = _application(
        "declined",
        decline={"reason_code": "unaffordable", "note": "spoke to Amelia at home"},
        information_request={"needed": "payslip for Amelia", "response": "sent"},
    )
    erased, retained = privacy.erase_application(raw, now=NOW)
    text = msgspec.json.encode(erased).decode()
    assert [v for v in IDENTIFYING if v in text] == []
    assert erased["steps"] == {}
    assert set(erased["decision"]) <= {"outcome", "reasons", "rule_set_version", "risk_flags"}
    assert erased["decline"]["note"] == privacy.ERASED
    assert erased["information_request"]["needed"] == privacy.ERASED
    assert erased["erased_at"] == NOW
    assert retained == []
    assert raw["steps"]["personal"]["first_name"] == "Amelia", "the input is not changed"


def test_erasing_a_loan_keeps_the_regulated_record_without_identity() -> None:
    raw = _application("accepted", offer={"offer": {"amount_pence": 100_000}})
    erased, retained = privacy.erase_application(raw, now=NOW)
    text = msgspec.json.encode(erased).decode()
    assert [v for v in IDENTIFYING if v in text] == []
    assert erased["steps"]["loan"] == EXAMPLES["loan"]
    assert erased["steps"]["expenditure"] == EXAMPLES["expenditure"]
    assert erased["steps"]["employment"]["net_monthly_income_pence"] == 185_000
    assert "bank" not in erased["steps"]
    assert erased["decision"]["trace"], "the creditworthiness assessment is kept"
    assert erased["offer"] == {"offer": {"amount_pence": 100_000}}
    assert len(retained) == 1
    assert retained[0].where == "applications/app-1"
    assert "offer" in retained[0].fields
    assert "CONC" in retained[0].reason


def test_erasing_an_open_application_record_withdraws_it_and_keeps_nothing_personal() -> None:
    record = _record(_application("in_review"))
    erased = privacy.erase_record(record, now=NOW)
    assert erased.withdrawn is True
    assert erased.application.status is ApplicationStatus.WITHDRAWN
    assert erased.application.steps == {}
    assert erased.application.erased_at == NOW
    assert erased.application.id == "app-1"
    text = msgspec.json.encode(erased.application).decode()
    assert [v for v in IDENTIFYING if v in text] == []
    assert erased.retained == []


def test_erasing_an_accepted_loan_record_keeps_it_accepted_with_the_reason() -> None:
    offer = offer_for(PRODUCT, 100_000, 12, TODAY)
    made = OfferMade(offer=offer, proposed_by=STAFF, made_at=NOW, at_version=10)
    record = _record(_application("accepted", offer=msgspec.to_builtins(made)))
    erased = privacy.erase_record(record, now=NOW)
    assert erased.withdrawn is False
    assert erased.application.status is ApplicationStatus.ACCEPTED
    assert erased.application.offer == made
    assert [r.where for r in erased.retained] == ["applications/app-1"]


def test_profile_erasure_blanks_contact_details() -> None:
    changes = privacy.profile_erasure(now=NOW)
    assert changes == {
        "email": None,
        "preferred_name": None,
        "mobile": None,
        "settings": {},
        "erased_at": NOW,
    }


def _offered() -> ApplicationRecord:
    offer = offer_for(PRODUCT, 100_000, 12, TODAY)
    made = OfferMade(offer=offer, proposed_by=STAFF, made_at=NOW, at_version=10)
    return _record(_application("offered", version=10, offer=msgspec.to_builtins(made)))


def test_the_offer_email_gives_the_terms_and_nothing_else_personal() -> None:
    record = _offered()
    message = emails.compose(EmailKind.OFFER_MADE, record)
    assert "FF-ABCDEFGH" in message.subject
    assert message.text.startswith("Dear Amelia,")
    assert "£1,000.00" in message.text
    assert "12 months" in message.text
    assert f"{record.offer.offer.apr_percent:.1f}%" in message.text  # type: ignore[union-attr]
    assert "Total amount repayable" in message.text
    leaked = [v for v in IDENTIFYING if v != "Amelia" and v in message.text]
    assert leaked == []


def test_the_decline_email_never_carries_the_staff_note() -> None:
    decline = DeclineRecord(
        reason_code=DeclineReason.SUSPECTED_FRAUD,
        note="documents look altered",
        declined_by=STAFF,
        declined_at=NOW,
        at_version=10,
    )
    record = _record(_application("declined", version=10, decline=msgspec.to_builtins(decline)))
    message = emails.compose(EmailKind.DECLINED, record)
    assert "can't offer you a loan" in message.text
    assert "altered" not in message.text
    assert "fraud" not in message.text


def test_an_email_is_sent_only_for_the_write_that_recorded_it() -> None:
    record = _offered()
    assert emails.recorded(EmailKind.OFFER_MADE, record, 10)
    assert not emails.recorded(EmailKind.OFFER_MADE, record, 11)
    assert not emails.recorded(EmailKind.INFORMATION_REQUESTED, record, 10)
    asked = InformationRequest(
        needed="your last payslip", requested_by=STAFF, requested_at=NOW, at_version=4
    )
    waiting = _record(
        _application(
            "information_requested", version=4, information_request=msgspec.to_builtins(asked)
        )
    )
    assert emails.recorded(EmailKind.INFORMATION_REQUESTED, waiting, 4)
    assert "your last payslip" in emails.compose(EmailKind.INFORMATION_REQUESTED, waiting).text
    engine_declined = _record(_application("declined", version=2))
    engine_declined = msgspec.structs.replace(
        engine_declined, decision={**(engine_declined.decision or {}), "outcome": "decline"}
    )
    assert emails.recorded(EmailKind.DECLINED, engine_declined, 2)
    assert not emails.recorded(EmailKind.DECLINED, _offered(), 10)


def test_the_recipient_is_the_address_given_on_the_application() -> None:
    record = _offered()
    assert emails.recipient(record, "login@example.com") == "amelia.obrien@example.com"
    bare = msgspec.structs.replace(record, steps={})
    assert emails.recipient(bare, "login@example.com") == "login@example.com"


def test_an_offer_is_checked_for_affordability_on_the_declared_figures() -> None:
    small = offer_for(PRODUCT, 50_000, 12, TODAY)
    large = offer_for(PRODUCT, 300_000, 3, TODAY)
    assert offer_affordable(EXAMPLES, small, TODAY) is True
    assert offer_affordable(EXAMPLES, large, TODAY) is False
    assert offer_affordable({}, small, TODAY) is None


def _document(size: int = 1234, content_type: str = "application/pdf") -> DocumentRecord:
    return DocumentRecord(
        id="doc-1",
        customer_id="cust-1",
        application_id="app-1",
        kind=DocumentKind.PAYSLIP,
        content_type=content_type,
        size_bytes=size,
        status=DocumentStatus.PENDING,
        object_key=object_key("cust-1", "doc-1"),
        uploaded_by=Uploader(type="customer", id="cust-1"),
        created_at=NOW,
        updated_at=NOW,
    )


def test_uploads_are_limited_to_documents_of_a_sensible_size() -> None:
    assert check_upload("application/pdf", 1, max_bytes=100) == []
    assert check_upload("image/png", 100, max_bytes=100) == []
    problems = check_upload("text/html", 101, max_bytes=100)
    assert {p.path for p in problems} == {"content_type", "size_bytes"}
    assert [p.path for p in check_upload("image/jpeg", 0, max_bytes=100)] == ["size_bytes"]


def test_a_stored_object_must_match_what_was_declared() -> None:
    record = _document()
    assert mismatch(record, size_bytes=1234, content_type="application/pdf") is None
    assert mismatch(record, size_bytes=1234, content_type="application/PDF; x=y") is None
    assert "1235 bytes" in (mismatch(record, size_bytes=1235, content_type="application/pdf") or "")
    assert "text/html" in (mismatch(record, size_bytes=1234, content_type="text/html") or "")
    assert "untyped" in (mismatch(record, size_bytes=1234, content_type=None) or "")


def test_object_keys_carry_no_personal_data() -> None:
    assert object_key("cust-1", "doc-1") == "documents/cust-1/doc-1"


def test_offer_made_status_round_trip() -> None:
    record = _offered()
    assert record.status is ApplicationStatus.OFFERED
    assert isinstance(record.offer, OfferMade)
    assert isinstance(record.offer.offer, Offer)
