from datetime import date
from typing import Any

import jsonschema
import msgspec
import pytest

from ff_shared.domain.application import (
    STEP_TYPES,
    STEPS,
    FieldError,
    StepValidationError,
    UnknownStepError,
    assemble,
    example_for,
    step_json_schema,
    validate_complete,
    validate_step,
)
from ff_shared.domain.product import LoanProduct

TODAY = date(2026, 11, 28)
PRODUCT = LoanProduct()


def _errors(step: str, data: object, product: LoanProduct = PRODUCT) -> list[FieldError]:
    with pytest.raises(StepValidationError) as caught:
        validate_step(step, data, today=TODAY, product=product)
    return caught.value.errors


def _paths(step: str, data: object) -> list[str]:
    return [e.path for e in _errors(step, data)]


def _all_steps() -> dict[str, Any]:
    return {s: validate_step(s, example_for(s), today=TODAY, product=PRODUCT) for s in STEPS}


def test_steps_are_in_form_order() -> None:
    assert STEPS == (
        "loan",
        "personal",
        "address",
        "employment",
        "expenditure",
        "bank",
        "declarations",
    )


@pytest.mark.parametrize("step", STEPS)
def test_every_example_validates(step: str) -> None:
    validated = validate_step(step, example_for(step), today=TODAY, product=PRODUCT)
    assert isinstance(validated, STEP_TYPES[step])


@pytest.mark.parametrize("step", STEPS)
def test_every_step_has_a_json_schema_its_example_satisfies(step: str) -> None:
    schema = step_json_schema(step, product=PRODUCT)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(example_for(step))
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


def test_loan_schema_carries_the_product_bounds() -> None:
    amount = step_json_schema("loan", product=PRODUCT)["properties"]["amount_pence"]
    assert (amount["minimum"], amount["maximum"], amount["multipleOf"]) == (20_000, 300_000, 5_000)
    term = step_json_schema("loan", product=PRODUCT)["properties"]["term_months"]
    assert (term["minimum"], term["maximum"]) == (3, 24)


def test_schema_describes_formats_for_the_form() -> None:
    personal = step_json_schema("personal")["properties"]
    assert personal["date_of_birth"]["format"] == "date"
    assert "pattern" in personal["mobile"]
    assert personal["dependants"]["maximum"] == 10
    address = step_json_schema("address")
    assert address["properties"]["previous_addresses"]["items"] == {
        "$ref": "#/$defs/PreviousAddress"
    }
    assert "PreviousAddress" in address["$defs"]


def test_example_is_a_fresh_copy() -> None:
    example_for("address")["previous_addresses"].clear()
    assert example_for("address")["previous_addresses"]


def test_a_validated_struct_validates_again() -> None:
    loan = validate_step("loan", example_for("loan"), today=TODAY, product=PRODUCT)
    assert validate_step("loan", loan, today=TODAY, product=PRODUCT) == loan


def test_unknown_step_is_its_own_error() -> None:
    with pytest.raises(UnknownStepError):
        validate_step("pets", {}, today=TODAY, product=PRODUCT)


@pytest.mark.parametrize("body", [[1, 2], "loan", None, 7], ids=["list", "string", "null", "int"])
def test_non_object_body_is_one_error_at_the_step(body: object) -> None:
    assert _errors("loan", body) == [FieldError(path="loan", message="must be an object")]


def test_unknown_field_is_rejected() -> None:
    assert _errors("bank", {**example_for("bank"), "iban": "GB00"}) == [
        FieldError(path="bank.iban", message="is not a known field")
    ]


def test_every_problem_in_a_step_is_reported_with_its_path() -> None:
    body = {
        "postcode": "ZZ",
        "line1": "   ",
        "years_at_address": 1,
        "months_at_address": 12,
        "previous_addresses": [
            {
                "postcode": "m1 1ae",
                "line1": "1 Road",
                "town": "Leeds",
                "years_at_address": "two",
                "months_at_address": 0,
            },
            {"postcode": "NOPE"},
        ],
        "flat": "2B",
    }
    assert _errors("address", body) == [
        FieldError(path="address.flat", message="is not a known field"),
        FieldError(path="address.postcode", message="must be a valid UK postcode, e.g. SW1A 1AA"),
        FieldError(path="address.line1", message="must not be blank"),
        FieldError(path="address.town", message="is required"),
        FieldError(path="address.months_at_address", message="must be at most 11"),
        FieldError(
            path="address.previous_addresses[0].years_at_address", message="must be a whole number"
        ),
        FieldError(
            path="address.previous_addresses[1].postcode",
            message="must be a valid UK postcode, e.g. SW1A 1AA",
        ),
        FieldError(path="address.previous_addresses[1].line1", message="is required"),
        FieldError(path="address.previous_addresses[1].town", message="is required"),
        FieldError(path="address.previous_addresses[1].years_at_address", message="is required"),
        FieldError(path="address.previous_addresses[1].months_at_address", message="is required"),
    ]


def test_field_errors_and_cross_field_errors_come_together() -> None:
    body = {
        **example_for("personal"),
        "email": "nope",
        "date_of_birth": "2010-01-01",
        "title": "Lord",
    }
    assert _errors("personal", body) == [
        FieldError(path="personal.title", message="must be one of: Mr, Mrs, Ms, Miss, Mx, Dr"),
        FieldError(path="personal.email", message="must be a valid email address"),
        FieldError(path="personal.date_of_birth", message="you must be at least 18 to apply"),
    ]


def _address(years: int, months: int, *previous: tuple[int, int]) -> dict[str, Any]:
    body = example_for("address")
    body.update(years_at_address=years, months_at_address=months)
    template = body["previous_addresses"][0]
    body["previous_addresses"] = [
        {**template, "years_at_address": y, "months_at_address": m} for y, m in previous
    ]
    return body


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        (_address(3, 0), True),
        (_address(2, 11), False),
        (_address(1, 0, (1, 11)), False),
        (_address(1, 0, (1, 6), (0, 6)), True),
        (_address(0, 2, (0, 10), (2, 0)), True),
    ],
    ids=[
        "three-years-here",
        "one-month-short",
        "short-with-previous",
        "two-previous",
        "recent-move",
    ],
)
def test_address_history_must_cover_three_years(body: dict[str, Any], ok: bool) -> None:
    if ok:
        validate_step("address", body, today=TODAY, product=PRODUCT)
    else:
        assert _paths("address", body) == ["address.previous_addresses"]


@pytest.mark.parametrize(
    ("born", "ok"),
    [
        ("2008-11-28", True),
        ("2008-11-29", False),
        ("1925-11-29", True),
        ("1925-11-28", False),
        ("2027-01-01", False),
    ],
    ids=["18-today", "18-tomorrow", "100", "101-today", "future"],
)
def test_applicant_must_be_18_to_100(born: str, ok: bool) -> None:
    body = {**example_for("personal"), "date_of_birth": born}
    if ok:
        validate_step("personal", body, today=TODAY, product=PRODUCT)
    else:
        assert _paths("personal", body) == ["personal.date_of_birth"]


@pytest.mark.parametrize(
    ("status", "needs_employer"),
    [
        ("employed_full_time", True),
        ("employed_part_time", True),
        ("self_employed", True),
        ("retired", False),
        ("benefits", False),
    ],
)
def test_employer_name_is_required_only_when_working(status: str, needs_employer: bool) -> None:
    body = {**example_for("employment"), "status": status}
    del body["employer_name"]
    if needs_employer:
        assert _paths("employment", body) == ["employment.employer_name"]
    else:
        validate_step("employment", body, today=TODAY, product=PRODUCT)


def test_loan_must_fit_the_product_in_use() -> None:
    small = LoanProduct(max_amount_pence=50_000, max_term_months=6)
    assert _errors("loan", example_for("loan"), small) == [
        FieldError(
            path="loan.amount_pence",
            message="amount must be between £200.00 and £500.00 in steps of £50.00",
        ),
        FieldError(path="loan.term_months", message="term must be between 3 and 6 months"),
    ]


def test_consents_must_be_given() -> None:
    body = {**example_for("declarations"), "credit_search_consent": False, "accepts_terms": False}
    assert _paths("declarations", body) == [
        "declarations.credit_search_consent",
        "declarations.accepts_terms",
    ]


@pytest.mark.parametrize(
    ("mobile", "ok"),
    [
        ("07700900123", True),
        ("07700 900 123", True),
        ("+447700900123", True),
        ("+44 7700 900123", True),
        ("0770090012", False),
        ("02079460000", False),
        ("+33612345678", False),
    ],
)
def test_mobile_must_be_a_uk_mobile(mobile: str, ok: bool) -> None:
    body = {**example_for("personal"), "mobile": mobile}
    if ok:
        validate_step("personal", body, today=TODAY, product=PRODUCT)
    else:
        assert _paths("personal", body) == ["personal.mobile"]


@pytest.mark.parametrize(
    ("postcode", "ok"),
    [
        ("SW1A 1AA", True),
        ("sw1a1aa", True),
        ("M1 1AE", True),
        ("B33 8TH", True),
        ("CR2 6XH", True),
        ("DN55 1PT", True),
        ("GIR 0AA", True),
        ("QA1 1AA", False),
        ("SW1A 1A", False),
        ("12345", False),
    ],
)
def test_postcode_must_be_uk_format_in_either_case(postcode: str, ok: bool) -> None:
    body = {**example_for("address"), "postcode": postcode}
    if ok:
        validate_step("address", body, today=TODAY, product=PRODUCT)
    else:
        assert _paths("address", body) == ["address.postcode"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sort_code", "12345", "must be six digits, e.g. 12-34-56"),
        ("account_number", "1234567", "must be eight digits"),
        ("account_number", 12345678, "must be text"),
    ],
)
def test_bank_details_format(field: str, value: object, message: str) -> None:
    assert _errors("bank", {**example_for("bank"), field: value}) == [
        FieldError(path=f"bank.{field}", message=message)
    ]


def test_sort_code_accepts_dashes_or_none() -> None:
    for sort_code in ("12-34-56", "123456"):
        validate_step(
            "bank", {**example_for("bank"), "sort_code": sort_code}, today=TODAY, product=PRODUCT
        )


def test_complete_application_has_no_problems() -> None:
    assert validate_complete(_all_steps(), today=TODAY, product=PRODUCT) == []


def test_missing_steps_are_reported_by_name() -> None:
    steps = _all_steps()
    del steps["bank"], steps["declarations"]
    assert validate_complete(steps) == [
        FieldError(path="bank", message="step is required"),
        FieldError(path="declarations", message="step is required"),
    ]


def test_submission_rechecks_rules_that_may_have_changed_since_saving() -> None:
    shrunk = LoanProduct(max_amount_pence=50_000)
    assert [e.path for e in validate_complete(_all_steps(), product=shrunk)] == [
        "loan.amount_pence"
    ]


def test_validation_error_is_a_value_error_listing_paths() -> None:
    with pytest.raises(ValueError, match=r"bank\.iban"):
        validate_step("bank", {**example_for("bank"), "iban": "x"}, today=TODAY, product=PRODUCT)


def test_validated_steps_encode_to_the_json_they_came_from() -> None:
    for step, struct in _all_steps().items():
        encoded = msgspec.to_builtins(struct)
        assert validate_step(step, encoded, today=TODAY, product=PRODUCT) == struct


def test_assemble_bundles_complete_steps_or_lists_what_is_missing() -> None:
    steps = _all_steps()
    assert assemble(steps).loan == steps["loan"]
    del steps["personal"]
    with pytest.raises(StepValidationError) as caught:
        assemble(steps)
    assert caught.value.errors == [FieldError(path="personal", message="step is required")]
