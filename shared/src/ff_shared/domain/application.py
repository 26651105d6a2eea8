"""The application form: its steps in order, their validation, examples and JSON Schemas.

Validation collects every problem in a step at once, so the portal can mark all of them in one
round trip: each field is converted on its own, nested addresses item by item, and the rules
that relate fields to each other run on whichever fields did convert.
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any, cast

import msgspec

from ff_shared.domain.dates import age_on
from ff_shared.domain.fields import FieldError, convert_fields
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.steps import (
    EXAMPLES,
    NEEDS_EMPLOYER,
    AddressStep,
    ApplicationData,
    BankStep,
    DeclarationsStep,
    EmploymentStatus,
    EmploymentStep,
    ExpenditureStep,
    LoanStep,
    PersonalStep,
    PreviousAddress,
    StepStruct,
)

__all__ = [
    "STEPS",
    "STEP_TYPES",
    "ApplicationData",
    "FieldError",
    "StepStruct",
    "StepValidationError",
    "UnknownStepError",
    "assemble",
    "example_for",
    "step_json_schema",
    "validate_complete",
    "validate_step",
]

STEP_TYPES: dict[str, type[msgspec.Struct]] = {
    "loan": LoanStep,
    "personal": PersonalStep,
    "address": AddressStep,
    "employment": EmploymentStep,
    "expenditure": ExpenditureStep,
    "bank": BankStep,
    "declarations": DeclarationsStep,
}
STEPS: tuple[str, ...] = tuple(STEP_TYPES)

MIN_AGE = 18
MAX_AGE = 100
ADDRESS_HISTORY_MONTHS = 36


class StepValidationError(ValueError):
    """A step's data failed validation; ``errors`` lists every problem found."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} problem(s): " + "; ".join(e.path for e in errors))
        self.errors = errors


class UnknownStepError(ValueError):
    def __init__(self, step: str) -> None:
        super().__init__(f"no step called {step!r}; the steps are {', '.join(STEPS)}")
        self.step = step


_Rule = Callable[[Mapping[str, object], date | None, LoanProduct | None], Iterator[FieldError]]


def _loan_in_product(
    values: Mapping[str, object], _today: date | None, product: LoanProduct | None
) -> Iterator[FieldError]:
    if product is None:
        return
    amount, term = values.get("amount_pence"), values.get("term_months")
    if isinstance(amount, int) and not product.amount_allowed(amount):
        yield FieldError(path="loan.amount_pence", message=product.amount_rule())
    if isinstance(term, int) and not product.term_allowed(term):
        yield FieldError(path="loan.term_months", message=product.term_rule())


def _adult(
    values: Mapping[str, object], today: date | None, _product: LoanProduct | None
) -> Iterator[FieldError]:
    born = values.get("date_of_birth")
    if today is None or not isinstance(born, date):
        return
    path = "personal.date_of_birth"
    if born > today:
        yield FieldError(path=path, message="must not be in the future")
    elif age_on(born, today) < MIN_AGE:
        yield FieldError(path=path, message=f"you must be at least {MIN_AGE} to apply")
    elif age_on(born, today) > MAX_AGE:
        yield FieldError(path=path, message=f"must give an age of {MAX_AGE} or under")


def _months_at(address: Mapping[str, object] | PreviousAddress) -> int:
    if isinstance(address, PreviousAddress):
        return address.years_at_address * 12 + address.months_at_address
    return cast(int, address["years_at_address"]) * 12 + cast(int, address["months_at_address"])


def _three_year_history(
    values: Mapping[str, object], _today: date | None, _product: LoanProduct | None
) -> Iterator[FieldError]:
    previous = values.get("previous_addresses")
    if not all(k in values for k in ("years_at_address", "months_at_address")):
        return
    if not isinstance(previous, tuple):
        return
    covered = _months_at(values) + sum(_months_at(a) for a in previous)
    if covered < ADDRESS_HISTORY_MONTHS:
        years, months = divmod(covered, 12)
        yield FieldError(
            path="address.previous_addresses",
            message=(
                "your addresses must cover at least the last 3 years; they cover "
                f"{years} year(s) {months} month(s), so add your previous addresses"
            ),
        )


def _employer_named(
    values: Mapping[str, object], _today: date | None, _product: LoanProduct | None
) -> Iterator[FieldError]:
    status = values.get("status")
    named = values.get("employer_name", "not checked") is not None
    if isinstance(status, EmploymentStatus) and status in NEEDS_EMPLOYER and not named:
        yield FieldError(
            path="employment.employer_name", message="is required when employed or self-employed"
        )


def _consents_given(
    values: Mapping[str, object], _today: date | None, _product: LoanProduct | None
) -> Iterator[FieldError]:
    for name in ("credit_search_consent", "accepts_terms"):
        if values.get(name) is False:
            yield FieldError(path=f"declarations.{name}", message="must be accepted to apply")


_RULES: dict[str, tuple[_Rule, ...]] = {
    "loan": (_loan_in_product,),
    "personal": (_adult,),
    "address": (_three_year_history,),
    "employment": (_employer_named,),
    "declarations": (_consents_given,),
}


def _step_type(step: str) -> type[msgspec.Struct]:
    try:
        return STEP_TYPES[step]
    except KeyError:
        raise UnknownStepError(step) from None


def validate_step(step: str, data: object, *, today: date, product: LoanProduct) -> StepStruct:
    """Validate one step's JSON-decoded body (or an already-built step Struct).

    Raises :class:`StepValidationError` listing every problem, or :class:`UnknownStepError`.
    """
    cls = _step_type(step)
    if isinstance(data, msgspec.Struct):
        data = msgspec.to_builtins(data)
    errors: list[FieldError] = []
    values = convert_fields(cls, data, step, errors)
    if isinstance(data, Mapping):
        for rule in _RULES.get(step, ()):
            errors.extend(rule(values, today, product))
    if errors:
        raise StepValidationError(errors)
    return cast(StepStruct, msgspec.convert(data, cls))


def validate_complete(
    steps: Mapping[str, StepStruct],
    *,
    today: date | None = None,
    product: LoanProduct | None = None,
) -> list[FieldError]:
    """Problems that stop a submission: missing steps, and, when ``today`` or ``product`` is
    given, rules that may have changed since a step was saved (a birthday, a product change)."""
    errors = [
        FieldError(path=str(name), message="is not a step of the application")
        for name in steps
        if name not in STEP_TYPES
    ]
    for step, cls in STEP_TYPES.items():
        if step not in steps:
            errors.append(FieldError(path=step, message="step is required"))
            continue
        struct = steps[step]
        if not isinstance(struct, cls):
            errors.append(FieldError(path=step, message="step has not been validated"))
            continue
        values = {name: getattr(struct, name) for name in struct.__struct_fields__}
        for rule in _RULES.get(step, ()):
            errors.extend(rule(values, today, product))
    return errors


def assemble(steps: Mapping[str, StepStruct]) -> ApplicationData:
    """Bundle validated steps for the decision engine, or raise listing what is missing."""
    errors = validate_complete(steps)
    if errors:
        raise StepValidationError(errors)
    return ApplicationData(**cast(dict[str, Any], dict(steps)))


def example_for(step: str) -> dict[str, Any]:
    """A valid body for ``step`` (a fresh copy each time, safe to modify)."""
    _step_type(step)
    # A JSON round trip is a deep copy that also proves the example is plain JSON.
    return cast(dict[str, Any], msgspec.json.decode(msgspec.json.encode(EXAMPLES[step])))


def step_json_schema(step: str, *, product: LoanProduct | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for ``step``, the step itself at the root.

    Enums and nested objects stay in ``$defs``. Given the product, the loan step's amount and
    term carry the product's own bounds, so a form can check them before a round trip.
    """
    cls = _step_type(step)
    generated = msgspec.json.schema(cls)
    defs: dict[str, Any] = generated["$defs"]
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **defs.pop(cls.__name__),
    }
    if defs:
        schema["$defs"] = defs
    if product is not None and step == "loan":
        amount = schema["properties"]["amount_pence"]
        amount.update(minimum=product.min_amount_pence, maximum=product.max_amount_pence)
        # multipleOf says "steps counted from the minimum" only when the minimum is on a step.
        if product.min_amount_pence % product.amount_step_pence == 0:
            amount["multipleOf"] = product.amount_step_pence
        schema["properties"]["term_months"].update(
            minimum=product.min_term_months, maximum=product.max_term_months
        )
    return schema
