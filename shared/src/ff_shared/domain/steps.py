"""The application form's steps as request Structs, with constraints that render into JSON Schema.

Limits here are the shape of a plausible answer; the product's own amount and term rules and the
rules that relate one field to another live in :mod:`ff_shared.domain.application`.
"""

import enum
from datetime import date
from typing import Annotated, Any

import msgspec

# JSON Schema patterns are ECMA-262 without flags, so letter classes and case-insensitivity are
# spelled out instead of relying on Python's Unicode \w or (?i). Latin letters with accents and
# the typographic apostrophe phones insert cover the names we expect to see.
_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
NAME_PATTERN = f"^[{_LETTER}](?:[{_LETTER}'\u2019 .-]*[{_LETTER}.])?$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
UK_MOBILE_PATTERN = r"^(?:07|\+44 ?7)(?: ?[0-9]){9}$"
UK_POSTCODE_PATTERN = (
    "^(?:[Gg][Ii][Rr] ?0[Aa]{2}|[A-PR-UWYZa-pr-uwyz]"
    "(?:[0-9]{1,2}|[A-HK-Ya-hk-y][0-9][0-9ABEHMNPRV-Yabehmnprv-y]?|[0-9][A-HJKPS-UWa-hjkps-uw])"
    " ?[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2})$"
)
SORT_CODE_PATTERN = r"^[0-9]{2}-?[0-9]{2}-?[0-9]{2}$"
ACCOUNT_NUMBER_PATTERN = r"^[0-9]{8}$"
COUNTRY_PATTERN = "^[A-Z]{2}$"
# Unanchored on purpose: free text must merely contain something other than spaces.
NOT_BLANK = r"\S"

MAX_AMOUNT_PENCE = 10_000_000
"""£100,000: far above any product, only there to stop absurd input before the product rules."""
MAX_MONTHLY_PENCE = 10_000_000
MAX_MONTHLY_SPEND_PENCE = 2_000_000


def _name(description: str, example: str) -> object:
    return msgspec.Meta(
        min_length=1,
        max_length=100,
        pattern=NAME_PATTERN,
        description=description,
        examples=[example],
    )


def _monthly(description: str, example: int) -> object:
    return msgspec.Meta(
        ge=0,
        le=MAX_MONTHLY_SPEND_PENCE,
        description=f"{description}, pence per month",
        examples=[example],
    )


class LoanPurpose(enum.StrEnum):
    DEBT_CONSOLIDATION = "debt_consolidation"
    CAR = "car"
    HOME_IMPROVEMENT = "home_improvement"
    HOUSEHOLD = "household"
    EDUCATION = "education"
    EMERGENCY = "emergency"
    OTHER = "other"


class LoanStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How much the customer wants to borrow, over how long, and why."""

    amount_pence: Annotated[
        int,
        msgspec.Meta(
            ge=1, le=MAX_AMOUNT_PENCE, description="Amount to borrow in pence", examples=[100_000]
        ),
    ]
    term_months: Annotated[
        int, msgspec.Meta(ge=1, le=120, description="Repayment term in months", examples=[12])
    ]
    purpose: LoanPurpose


class Title(enum.StrEnum):
    MR = "Mr"
    MRS = "Mrs"
    MS = "Ms"
    MISS = "Miss"
    MX = "Mx"
    DR = "Dr"


class MaritalStatus(enum.StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    CIVIL_PARTNERSHIP = "civil_partnership"
    COHABITING = "cohabiting"
    SEPARATED = "separated"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


class PersonalStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who the customer is and how to reach them."""

    title: Title
    first_name: Annotated[str, _name("First name", "Amelia")]
    last_name: Annotated[str, _name("Last name", "O'Brien")]
    date_of_birth: Annotated[
        date, msgspec.Meta(description="Date of birth (ISO 8601)", examples=["1990-05-14"])
    ]
    email: Annotated[
        str, msgspec.Meta(max_length=254, pattern=EMAIL_PATTERN, examples=["amelia@example.com"])
    ]
    mobile: Annotated[
        str,
        msgspec.Meta(
            max_length=20,
            pattern=UK_MOBILE_PATTERN,
            description="UK mobile number: 07xxxxxxxxx or +447xxxxxxxxx, spaces allowed",
            examples=["07700 900123"],
        ),
    ]
    marital_status: MaritalStatus
    dependants: Annotated[
        int,
        msgspec.Meta(
            ge=0, le=10, description="Financially dependent children or adults", examples=[0]
        ),
    ]


Postcode = Annotated[
    str,
    msgspec.Meta(
        max_length=8, pattern=UK_POSTCODE_PATTERN, description="UK postcode", examples=["SW1A 1AA"]
    ),
]
AddressLine = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=NOT_BLANK, examples=["10 High Street"])
]
Town = Annotated[
    str, msgspec.Meta(min_length=1, max_length=60, pattern=NOT_BLANK, examples=["London"])
]
CountryCode = Annotated[
    str,
    msgspec.Meta(
        pattern=COUNTRY_PATTERN, description="ISO 3166-1 alpha-2 country code", examples=["GB"]
    ),
]
YearsAtAddress = Annotated[int, msgspec.Meta(ge=0, le=100, examples=[2])]
MonthsAtAddress = Annotated[
    int, msgspec.Meta(ge=0, le=11, description="Months on top of the whole years", examples=[6])
]


class PreviousAddress(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An earlier address, needed until the history covers three years."""

    postcode: Postcode
    line1: AddressLine
    line2: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    town: Town
    country: CountryCode = "GB"
    years_at_address: YearsAtAddress
    months_at_address: MonthsAtAddress


class AddressStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The current address, and earlier ones until the history covers three years."""

    postcode: Postcode
    line1: AddressLine
    line2: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    town: Town
    country: CountryCode = "GB"
    years_at_address: YearsAtAddress
    months_at_address: MonthsAtAddress
    previous_addresses: Annotated[tuple[PreviousAddress, ...], msgspec.Meta(max_length=10)] = ()


class EmploymentStatus(enum.StrEnum):
    EMPLOYED_FULL_TIME = "employed_full_time"
    EMPLOYED_PART_TIME = "employed_part_time"
    SELF_EMPLOYED = "self_employed"
    BENEFITS = "benefits"
    RETIRED = "retired"
    STUDENT = "student"
    UNEMPLOYED = "unemployed"


NEEDS_EMPLOYER = frozenset(
    {
        EmploymentStatus.EMPLOYED_FULL_TIME,
        EmploymentStatus.EMPLOYED_PART_TIME,
        EmploymentStatus.SELF_EMPLOYED,
    }
)


class PayFrequency(enum.StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    FOUR_WEEKLY = "four_weekly"
    MONTHLY = "monthly"
    IRREGULAR = "irregular"


class EmploymentStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the customer is paid. ``employer_name`` is the business name when self-employed."""

    status: EmploymentStatus
    employer_name: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=1, max_length=100, pattern=NOT_BLANK, examples=["Acme Logistics Ltd"]
            ),
        ]
        | None
    ) = None
    net_monthly_income_pence: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=MAX_MONTHLY_PENCE,
            description="Take-home pay, pence per month",
            examples=[185_000],
        ),
    ]
    pay_frequency: PayFrequency
    other_monthly_income_pence: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=MAX_MONTHLY_PENCE,
            description="Other regular income (e.g. benefits), pence per month",
            examples=[0],
        ),
    ] = 0


class ExpenditureStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Monthly outgoings in pence, as the customer declares them."""

    housing_pence: Annotated[int, _monthly("Rent or mortgage", 65_000)]
    council_tax_pence: Annotated[int, _monthly("Council tax", 12_000)]
    utilities_pence: Annotated[int, _monthly("Energy, water, phone and broadband", 15_000)]
    food_pence: Annotated[int, _monthly("Food and household essentials", 25_000)]
    transport_pence: Annotated[int, _monthly("Travel to work and car running costs", 10_000)]
    childcare_pence: Annotated[int, _monthly("Childcare", 0)]
    credit_commitments_pence: Annotated[
        int, _monthly("Repayments on existing loans, cards and finance", 5_000)
    ]
    other_pence: Annotated[int, _monthly("Other essential spending", 5_000)]


class BankStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The UK current account the loan is paid into and collected from."""

    sort_code: Annotated[
        str,
        msgspec.Meta(
            pattern=SORT_CODE_PATTERN,
            description="Six digits, dashes optional",
            examples=["12-34-56"],
        ),
    ]
    account_number: Annotated[
        str,
        msgspec.Meta(
            pattern=ACCOUNT_NUMBER_PATTERN, description="Eight digits", examples=["12345678"]
        ),
    ]


class Insolvency(enum.StrEnum):
    NONE = "none"
    BANKRUPTCY = "bankruptcy"
    IVA = "iva"
    DRO = "dro"


class DeclarationsStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Consents and declarations; the two consents must be given to apply."""

    credit_search_consent: Annotated[
        bool,
        msgspec.Meta(
            description="Consent to a credit search; must be true",
            extra_json_schema={"const": True},
        ),
    ]
    accepts_terms: Annotated[
        bool,
        msgspec.Meta(
            description="Accepts the terms and privacy notice; must be true",
            extra_json_schema={"const": True},
        ),
    ]
    insolvency: Annotated[
        Insolvency, msgspec.Meta(description="Any current bankruptcy, IVA or debt relief order")
    ]
    marketing_opt_in: bool = False


class ApplicationData(msgspec.Struct, frozen=True, kw_only=True):
    """A complete, validated application, as the decision engine reads it."""

    loan: LoanStep
    personal: PersonalStep
    address: AddressStep
    employment: EmploymentStep
    expenditure: ExpenditureStep
    bank: BankStep
    declarations: DeclarationsStep


StepStruct = (
    LoanStep
    | PersonalStep
    | AddressStep
    | EmploymentStep
    | ExpenditureStep
    | BankStep
    | DeclarationsStep
)


EXAMPLES: dict[str, dict[str, Any]] = {
    # Valid bodies for each step, which together make an application the engine approves.
    "loan": {"amount_pence": 100_000, "term_months": 12, "purpose": "household"},
    "personal": {
        "title": "Ms",
        "first_name": "Amelia",
        "last_name": "O'Brien",
        "date_of_birth": "1990-05-14",
        "email": "amelia.obrien@example.com",
        "mobile": "07700 900123",
        "marital_status": "single",
        "dependants": 0,
    },
    "address": {
        "postcode": "SW1A 1AA",
        "line1": "10 High Street",
        "town": "London",
        "country": "GB",
        "years_at_address": 1,
        "months_at_address": 6,
        "previous_addresses": [
            {
                "postcode": "M1 1AE",
                "line1": "22 Oxford Road",
                "town": "Manchester",
                "country": "GB",
                "years_at_address": 2,
                "months_at_address": 0,
            }
        ],
    },
    "employment": {
        "status": "employed_full_time",
        "employer_name": "Acme Logistics Ltd",
        "net_monthly_income_pence": 185_000,
        "pay_frequency": "monthly",
        "other_monthly_income_pence": 0,
    },
    "expenditure": {
        "housing_pence": 65_000,
        "council_tax_pence": 12_000,
        "utilities_pence": 15_000,
        "food_pence": 25_000,
        "transport_pence": 10_000,
        "childcare_pence": 0,
        "credit_commitments_pence": 5_000,
        "other_pence": 5_000,
    },
    "bank": {"sort_code": "12-34-56", "account_number": "12345678"},
    "declarations": {
        "credit_search_consent": True,
        "accepts_terms": True,
        "insolvency": "none",
        "marketing_opt_in": False,
    },
}
