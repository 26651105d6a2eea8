"""The application facts: each application, its decisions and its offer as rows of the star
schema, with the segment, source and region dimensions they name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from ff_shared.adp.dimensions import Seen, amount_band, month_of, origin_of
from ff_shared.adp.sources import ApplicationRow, CrmRow, JourneyRow
from ff_shared.domain.loans import LMS_PRODUCT_CODE

Row = dict[str, Any]


class ApplicationFacts(msgspec.Struct, kw_only=True):
    applications: list[Row] = msgspec.field(default_factory=list)
    decisions: list[Row] = msgspec.field(default_factory=list)
    offers: list[Row] = msgspec.field(default_factory=list)


def _final_outcome(a: ApplicationRow) -> tuple[str | None, str | None]:
    """The application's outcome so far, and the first reason when it was declined."""
    final = a.decisions[-1] if a.decisions else None
    if final is None:
        return None, None
    outcome = {"approve": "approved", "decline": "declined"}.get(final.outcome)
    if final.outcome == "approve" and final.decided_by == "engine":
        # The engine's approval sends the application to an underwriter: not yet decided.
        outcome = "referred"
    elif final.outcome == "refer":
        outcome = "referred"
    if final.outcome == "decline":
        return outcome, final.reasons[0] if final.reasons else "other"
    return outcome, None


def _segment_of(a: ApplicationRow) -> Row:
    band = amount_band(a.requested_amount_pence)
    purpose = a.purpose or "unknown"
    employment = a.employment_status or "unknown"
    return {
        "segment_key": f"{purpose}|{employment}|{band}",
        "purpose": purpose,
        "employment_status": employment,
        "amount_band": band,
    }


def _application_row(
    a: ApplicationRow, *, source: str, channel: str, segment_key: str, crm: CrmRow | None
) -> Row:
    engine = next((d for d in reversed(a.decisions) if d.decided_by == "engine"), None)
    final = a.decisions[-1] if a.decisions else None
    final_outcome, decline_reason = _final_outcome(a)
    crm_status = None if crm is None else crm.status
    return {
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
        "product_code": LMS_PRODUCT_CODE,
        "postcode_area": a.postcode_area,
        "source": source,
        "channel": channel,
        "segment_key": segment_key,
        "crm_status": str(crm_status) if isinstance(crm_status, int) else crm_status,
        "agreement_number": a.agreement_number,
        "month": month_of(a.created_at.date()),
    }


def _decision_rows(a: ApplicationRow) -> list[Row]:
    return [
        {
            "application_id": a.application_id,
            "sequence": n,
            "decided_by": d.decided_by,
            "outcome": d.outcome,
            "reasons": list(d.reasons),
            "decided_at": d.decided_at,
            "month": month_of(d.decided_at.date()),
        }
        for n, d in enumerate(a.decisions, start=1)
    ]


def _offer_row(a: ApplicationRow) -> Row | None:
    if a.offer_made_at is None or a.offer_amount_pence is None:
        return None
    return {
        "application_id": a.application_id,
        "made_at": a.offer_made_at,
        "amount_pence": a.offer_amount_pence,
        "term_months": a.offer_term_months,
        "instalment_pence": a.offer_instalment_pence,
        "apr_percent": a.offer_apr_percent,
        "response": a.offer_response,
        "responded_at": a.offer_responded_at,
        "month": month_of(a.offer_made_at.date()),
    }


def application_facts(
    applications: Sequence[ApplicationRow],
    crm_rows: Sequence[CrmRow],
    journeys: Mapping[str, JourneyRow],
    seen: Seen,
) -> ApplicationFacts:
    crm = {c.application_id: c for c in crm_rows if c.application_id}
    facts = ApplicationFacts()
    for a in applications:
        source, channel = origin_of(journeys, a.application_id)
        seen.sources[source] = channel
        seen.regions.add(a.postcode_area)
        segment = _segment_of(a)
        seen.segments[segment["segment_key"]] = segment
        facts.applications.append(
            _application_row(
                a,
                source=source,
                channel=channel,
                segment_key=segment["segment_key"],
                crm=crm.get(a.application_id),
            )
        )
        facts.decisions.extend(_decision_rows(a))
        if (offer := _offer_row(a)) is not None:
            facts.offers.append(offer)
    return facts
