"""Staff views of an application's CRM record, its open-banking data and earlier decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ff_shared.domain.crm import CrmSync
from ff_shared.domain.open_banking import DecisionVersion, OpenBankingConsent


class CrmSyncView(msgspec.Struct, kw_only=True):
    """The customer's contact and the application's row in Dynamics 365, and the sync's state."""

    state: str
    """syncing, retrying, synced or failed."""
    contact_id: str | None
    application_id: str | None
    last_error: str | None
    attempts: int
    synced_version: int | None
    """The application version the CRM holds; behind ``version`` while a sync is due."""
    synced_at: datetime | None
    updated_at: datetime


class IncomeStreamView(msgspec.Struct, kw_only=True):
    category: str
    description: str
    frequency: str
    monthly_average_pence: int
    occurrences: int


class OpenBankingSummaryView(msgspec.Struct, kw_only=True):
    """The provider's analysis of 12 months of the customer's bank data."""

    period_start: datetime
    period_end: datetime
    months_analysed: int
    monthly_income_pence: int
    income_streams: list[IncomeStreamView]
    monthly_essential_spend_pence: int
    monthly_credit_commitments_pence: int
    monthly_discretionary_spend_pence: int
    gambling_transactions: int
    gambling_monthly_average_pence: int
    gambling_share_of_income_bps: int
    returned_payments: int
    returned_payments_total_pence: int
    days_overdrawn: int
    flags: list[str]


class StaffOpenBankingView(msgspec.Struct, kw_only=True):
    state: str
    reference: str
    """OBV's reference (``ff_obvreference`` in the CRM, the key of the open-banking archive)."""
    attempt: int
    started_at: datetime
    completed_at: datetime | None
    last_error: str | None
    decision_version: int | None
    summary: OpenBankingSummaryView | None


class EarlierDecisionView(msgspec.Struct, kw_only=True):
    """A decision superseded by one made on newer evidence, kept whole with its trace."""

    version: int
    decided_at: datetime | None
    basis: str
    """declared or verified (open banking)."""
    obv_reference: str | None
    decision: dict[str, Any]


def _convert(value: Any, tp: Any) -> Any:
    return None if value is None else msgspec.convert(msgspec.to_builtins(value), tp)


def crm_view(sync: CrmSync | None) -> CrmSyncView | None:
    return _convert(sync, CrmSyncView)  # type: ignore[no-any-return]


def open_banking_view(consent: OpenBankingConsent | None) -> StaffOpenBankingView | None:
    return _convert(consent, StaffOpenBankingView)  # type: ignore[no-any-return]


def earlier_decisions_view(versions: tuple[DecisionVersion, ...]) -> list[EarlierDecisionView]:
    return [msgspec.convert(msgspec.to_builtins(v), EarlierDecisionView) for v in versions]
