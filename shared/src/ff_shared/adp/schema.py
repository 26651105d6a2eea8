"""The star schema, declared once: Arrow schemas for the Parquet and Glue tables both come from it.

Version ``SCHEMA_VERSION`` is part of every lake path (``<prefix>/v<N>/...``): a change that is not
additive gets a new version and a full rebuild, so readers of the old one are never surprised.
Keys are the sources' own stable identifiers (agreement numbers, application ids) or the
dimension's natural value (a postcode area, a term in months); customers appear only as a salted
one-way key, enough to count people for small-cell suppression and nothing more.
"""

from __future__ import annotations

from typing import Literal

import msgspec
import pyarrow as pa

SCHEMA_VERSION = 1

ColumnType = Literal["string", "int", "bigint", "double", "boolean", "date", "timestamp", "array"]

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "array": pa.list_(pa.string()),
}
_GLUE = {"array": "array<string>"}


class Column(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    type: ColumnType
    doc: str
    required: bool = False

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW[self.type]

    @property
    def glue(self) -> str:
        return _GLUE.get(self.type, self.type)


class Table(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: Literal["fact", "dimension"]
    doc: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    partition: str | None = None
    """A string column of the table written as a Hive partition (``name=value/``)."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required or c.name in self.key]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field(c.name, c.arrow, nullable=not (c.required or c.name in self.key))
                for c in self.columns
            ]
        )

    def empty(self) -> pa.Table:
        return self.arrow_schema().empty_table()


def _c(name: str, type_: ColumnType, doc: str, *, required: bool = False) -> Column:
    return Column(name=name, type=type_, doc=doc, required=required)


_MONTH = _c("month", "string", "Partition: the row's month (YYYY-MM)", required=True)

DIM_DATE = Table(
    name="dim_date",
    kind="dimension",
    doc="One row per calendar day the data covers.",
    key=("date",),
    columns=(
        _c("date", "date", "The day"),
        _c("date_key", "int", "YYYYMMDD", required=True),
        _c("year", "int", "Calendar year", required=True),
        _c("quarter", "int", "Calendar quarter 1-4", required=True),
        _c("month_start", "date", "First day of the month", required=True),
        _c("week_start", "date", "Monday of the ISO week", required=True),
        _c("day_of_week", "int", "ISO day of week, Monday = 1", required=True),
        _c("is_month_end", "boolean", "Last day of its month", required=True),
    ),
)
DIM_PRODUCT = Table(
    name="dim_product",
    kind="dimension",
    doc="Loan products as the loan book codes them.",
    key=("product_code",),
    columns=(
        _c("product_code", "string", "The LMS product code"),
        _c("name", "string", "Display name", required=True),
    ),
)
DIM_TERM = Table(
    name="dim_term",
    kind="dimension",
    doc="Loan terms in months, with a band for breakdowns.",
    key=("term_months",),
    columns=(
        _c("term_months", "int", "Term in months"),
        _c("term_band", "string", "3-6, 7-12, 13-18 or 19-24 months", required=True),
    ),
)
DIM_CHANNEL = Table(
    name="dim_channel",
    kind="dimension",
    doc="How the applicant arrived: paid, email, social, referral, organic or direct.",
    key=("channel",),
    columns=(
        _c("channel", "string", "Channel"),
        _c("description", "string", "What counts as this channel", required=True),
    ),
)
DIM_SOURCE = Table(
    name="dim_source",
    kind="dimension",
    doc="The journey tracker's first-touch source (utm_source, the referrer's host, or direct).",
    key=("source",),
    columns=(
        _c("source", "string", "Source, lower case"),
        _c("channel", "string", "Channel the source's medium falls in", required=True),
    ),
)
DIM_REGION = Table(
    name="dim_region",
    kind="dimension",
    doc="Postcode areas (the letters before the first digit): nothing finer is kept.",
    key=("postcode_area",),
    columns=(_c("postcode_area", "string", "Postcode area, e.g. LS, M, SW, or 'unknown'"),),
)
DIM_SEGMENT = Table(
    name="dim_segment",
    kind="dimension",
    doc="Segments that describe no one: loan purpose, employment status and amount band.",
    key=("segment_key",),
    columns=(
        _c("segment_key", "string", "purpose|employment|amount band"),
        _c("purpose", "string", "Loan purpose from the application", required=True),
        _c("employment_status", "string", "Employment status from the application", required=True),
        _c("amount_band", "string", "Requested amount band", required=True),
    ),
)

FACT_APPLICATIONS = Table(
    name="fact_applications",
    kind="fact",
    doc="One row per application, with its final outcome and where it came from.",
    key=("application_id",),
    partition="month",
    columns=(
        _c("application_id", "string", "The platform's application id"),
        _c("customer_key", "string", "Salted one-way key of the customer", required=True),
        _c("status", "string", "Application status now", required=True),
        _c("created_at", "timestamp", "Started", required=True),
        _c("submitted_at", "timestamp", "Submitted (null: a draft)"),
        _c("engine_outcome", "string", "Decision engine outcome: approve, refer or decline"),
        _c("final_outcome", "string", "approved, declined, referred (still pending) or null"),
        _c("final_decided_at", "timestamp", "When the final outcome was reached"),
        _c("decline_reason", "string", "Staff reason code or the engine's first reason"),
        _c("requested_amount_pence", "bigint", "Amount asked for"),
        _c("requested_term_months", "int", "Term asked for"),
        _c("product_code", "string", "Product applied for", required=True),
        _c("postcode_area", "string", "Region", required=True),
        _c("source", "string", "First-touch source", required=True),
        _c("channel", "string", "Channel", required=True),
        _c("segment_key", "string", "Segment", required=True),
        _c("crm_status", "string", "The CRM's application status choice, if synced"),
        _c("agreement_number", "string", "The loan booked for it, if any"),
        _MONTH,
    ),
)
FACT_DECISIONS = Table(
    name="fact_decisions",
    kind="fact",
    doc="One row per decision on an application: the engine's (each version) and staff's.",
    key=("application_id", "sequence"),
    partition="month",
    columns=(
        _c("application_id", "string", "Application"),
        _c("sequence", "int", "Order of the decision on the application (1 = first)"),
        _c("decided_by", "string", "engine or staff", required=True),
        _c("outcome", "string", "approve, refer or decline", required=True),
        _c("reasons", "array", "Reason codes"),
        _c("decided_at", "timestamp", "When", required=True),
        _MONTH,
    ),
)
FACT_OFFERS = Table(
    name="fact_offers",
    kind="fact",
    doc="One row per offer made, with the customer's answer.",
    key=("application_id",),
    partition="month",
    columns=(
        _c("application_id", "string", "Application"),
        _c("made_at", "timestamp", "When the offer was made", required=True),
        _c("amount_pence", "bigint", "Offered amount", required=True),
        _c("term_months", "int", "Offered term", required=True),
        _c("instalment_pence", "bigint", "Monthly instalment", required=True),
        _c("apr_percent", "double", "APR", required=True),
        _c("response", "string", "accepted, declined or null (no answer yet)"),
        _c("responded_at", "timestamp", "When the customer answered"),
        _MONTH,
    ),
)
FACT_LOANS = Table(
    name="fact_loans",
    kind="fact",
    doc="One row per agreement in the loan book, with the milestones of its repayment history.",
    key=("agreement_number",),
    partition="month",
    columns=(
        _c("agreement_number", "string", "The LMS agreement number"),
        _c("application_id", "string", "The platform's application, if it booked the loan"),
        _c("customer_key", "string", "Salted one-way key of the customer", required=True),
        _c("product_code", "string", "Product", required=True),
        _c("term_months", "int", "Term", required=True),
        _c("advance_pence", "bigint", "Amount lent", required=True),
        _c("total_repayable_pence", "bigint", "Schedule total, interest included", required=True),
        _c("instalment_pence", "bigint", "Monthly instalment", required=True),
        _c("start_date", "date", "Funded on", required=True),
        _c("funded_at", "timestamp", "When the LMS booked it", required=True),
        _c("origination_month", "date", "First day of the start date's month", required=True),
        _c("status", "string", "live, arrears or settled", required=True),
        _c("balance_pence", "bigint", "Owed now (the loan book's figure)", required=True),
        _c("arrears_pence", "bigint", "In arrears now (the loan book's figure)", required=True),
        _c("paid_pence", "bigint", "Payments received to date, net of reversals", required=True),
        _c("written_off_pence", "bigint", "Written off to date", required=True),
        _c("first_arrears_date", "date", "First day more than 30 days past due"),
        _c("default_date", "date", "First day more than 90 days past due, or written off"),
        _c("written_off_date", "date", "First write-off"),
        _c("postcode_area", "string", "Region", required=True),
        _c("source", "string", "First-touch source of its application", required=True),
        _MONTH,
    ),
)
FACT_INSTALMENTS = Table(
    name="fact_instalments",
    kind="fact",
    doc="One row per scheduled instalment.",
    key=("agreement_number", "instalment_number"),
    partition="month",
    columns=(
        _c("agreement_number", "string", "Agreement"),
        _c("instalment_number", "int", "1..term"),
        _c("due_date", "date", "Due on", required=True),
        _c("amount_pence", "bigint", "Due", required=True),
        _c("principal_pence", "bigint", "Of which principal", required=True),
        _c("interest_pence", "bigint", "Of which interest", required=True),
        _c("paid_pence", "bigint", "Paid against it (the loan book's figure)", required=True),
        _c("status", "string", "due, part_paid, paid or overdue", required=True),
        _MONTH,
    ),
)
FACT_PAYMENTS = Table(
    name="fact_payments",
    kind="fact",
    doc=(
        "One row per loan-book transaction (advances, payments and their reversals, interest,"
        " fees, write-offs, returned Direct Debits)."
    ),
    key=("transaction_id",),
    partition="month",
    columns=(
        _c("transaction_id", "bigint", "The LMS transaction id"),
        _c("agreement_number", "string", "Agreement", required=True),
        _c(
            "type",
            "string",
            "advance, interest, payment, fee, refund, write_off, payment_reversal (takes back a"
            " payment) or unpaid_collection (a returned Direct Debit: a note, no money moved)",
            required=True,
        ),
        _c("amount_pence", "bigint", "Amount", required=True),
        _c("transaction_date", "date", "Value date", required=True),
        _MONTH,
    ),
)
FACT_ARREARS_DAILY = Table(
    name="fact_arrears_daily",
    kind="fact",
    doc=(
        "Each open loan's arrears as at a snapshot date: the run date, and every month end before"
        " it (rebuilt from the payment history each run, so history is always consistent)."
    ),
    key=("snapshot_date", "agreement_number"),
    partition="dt",
    columns=(
        _c("snapshot_date", "date", "As at"),
        _c("agreement_number", "string", "Agreement"),
        _c("customer_key", "string", "Salted one-way key of the customer", required=True),
        _c("days_past_due", "int", "Days the oldest unpaid instalment is overdue", required=True),
        _c("bucket", "string", "current, 1-30, 31-60, 61-90, 90+ or written_off", required=True),
        _c("scheduled_pence", "bigint", "Instalments due to date", required=True),
        _c("paid_pence", "bigint", "Paid to date, net of reversals", required=True),
        _c("arrears_pence", "bigint", "Due and unpaid", required=True),
        _c("balance_pence", "bigint", "Still owed", required=True),
        _c("dt", "string", "Partition: the snapshot date (YYYY-MM-DD)", required=True),
    ),
)

TABLES: tuple[Table, ...] = (
    DIM_DATE,
    DIM_PRODUCT,
    DIM_TERM,
    DIM_CHANNEL,
    DIM_SOURCE,
    DIM_REGION,
    DIM_SEGMENT,
    FACT_APPLICATIONS,
    FACT_DECISIONS,
    FACT_OFFERS,
    FACT_LOANS,
    FACT_INSTALMENTS,
    FACT_PAYMENTS,
    FACT_ARREARS_DAILY,
)
BY_NAME = {t.name: t for t in TABLES}
