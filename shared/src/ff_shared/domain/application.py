"""The application form: its steps in order, their validation, examples and JSON Schemas.

Validation collects every problem in a step at once, so the portal can mark all of them in one
round trip: each field is converted on its own, nested addresses item by item, and the rules
that relate fields to each other run on whichever fields did convert.
"""

import enum
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Annotated, Any, cast, get_args, get_origin

import msgspec

from ff_shared.domain.dates import age_on
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


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One problem: a path such as ``address.previous_addresses[0].postcode`` and a message."""

    path: str
    message: str


class StepValidationError(ValueError):
    """A step's data failed validation; ``errors`` lists every problem found."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} problem(s): " + "; ".join(e.path for e in errors))
        self.errors = errors


class UnknownStepError(ValueError):
    def __init__(self, step: str) -> None:
        super().__init__(f"no step called {step!r}; the steps are {', '.join(STEPS)}")
        self.step = step


_FORMAT_MESSAGES = {
    "first_name": "may contain only letters, spaces, hyphens, full stops and apostrophes",
    "last_name": "may contain only letters, spaces, hyphens, full stops and apostrophes",
    "email": "must be a valid email address",
    "mobile": "must be a UK mobile number, e.g. 07700 900123",
    "postcode": "must be a valid UK postcode, e.g. SW1A 1AA",
    "country": "must be a two-letter country code in capitals, e.g. GB",
    "sort_code": "must be six digits, e.g. 12-34-56",
    "account_number": "must be eight digits",
    "line1": "must not be blank",
    "town": "must not be blank",
    "employer_name": "must not be blank",
}
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "object": "an object",
    "array": "a list",
    "date": "a date (YYYY-MM-DD)",
    "null": "null",
}
_AT = re.compile(r"^(?P<message>.*) - at `\$(?P<suffix>.*)`$")
_EXPECTED_TYPE = re.compile(r"^Expected `(?P<types>[^`]+)`, got `[^`]+`$")
_BOUND = re.compile(r"^Expected `\w+` (?P<op>>=|<=|>|<) (?P<limit>-?[\d.]+)$")
_LENGTH = re.compile(r"^Expected `(?P<kind>str|array)` of length (?P<op>>=|<=) (?P<limit>\d+)$")
_LEAF = re.compile(r"(\w+)(?:\[\d+\])*$")


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _human(message: str, path: str, tp: object) -> str:
    """Turn msgspec's developer-facing wording into something a customer can act on."""
    if match := _EXPECTED_TYPE.match(message):
        words = [_TYPE_WORDS.get(t.strip(), t.strip()) for t in match["types"].split("|")]
        return "must be " + " or ".join(words)
    if match := _BOUND.match(message):
        word = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}
        return f"must be {word[match['op']]} {match['limit']}"
    if match := _LENGTH.match(message):
        if match["kind"] == "str" and match["op"] == ">=" and match["limit"] == "1":
            return "must not be empty"
        unit = "characters" if match["kind"] == "str" else "items"
        least_most = "at least" if match["op"] == ">=" else "at most"
        return f"must have {least_most} {match['limit']} {unit}"
    if message.startswith("Expected `str` matching regex"):
        leaf = _LEAF.search(path)
        return _FORMAT_MESSAGES.get(leaf[1] if leaf else "", "is not in the expected format")
    if (
        message.startswith("Invalid enum value")
        and isinstance(tp, type)
        and issubclass(tp, enum.Enum)
    ):
        return "must be one of: " + ", ".join(str(m.value) for m in tp)
    if message.startswith("Invalid RFC3339"):
        return "must be a real date in the form YYYY-MM-DD"
    return message


def _translate(exc: msgspec.ValidationError, path: str, tp: object) -> FieldError:
    message = str(exc)
    if match := _AT.match(message):
        message, path = match["message"], path + match["suffix"]
    return FieldError(path=path, message=_human(message, path, tp))


def _unannotated(tp: object) -> object:
    return get_args(tp)[0] if get_origin(tp) is Annotated else tp


def _struct_items(tp: object) -> type[msgspec.Struct] | None:
    """The item Struct of a ``tuple[SomeStruct, ...]``, whose items are checked one by one."""
    args = get_args(tp)
    if get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = args[0]
        if isinstance(item, type) and issubclass(item, msgspec.Struct):
            return item
    return None


_FAILED = object()


def _convert_field(value: object, tp: object, path: str, errors: list[FieldError]) -> object:
    """Convert one value, appending its problems; returns ``_FAILED`` if it did not convert."""
    try:
        return msgspec.convert(value, tp)
    except msgspec.ValidationError as exc:
        bare = _unannotated(tp)
        before = len(errors)
        if isinstance(bare, type) and issubclass(bare, msgspec.Struct):
            _convert_fields(bare, value, path, errors)
        elif (item := _struct_items(bare)) is not None and isinstance(value, list):
            for index, entry in enumerate(value):
                _convert_field(entry, item, f"{path}[{index}]", errors)
        if len(errors) == before:
            # The parts were fine, so the problem is the whole (e.g. too many items).
            errors.append(_translate(exc, path, bare))
        return _FAILED


def _convert_fields(
    cls: type[msgspec.Struct], data: object, path: str, errors: list[FieldError]
) -> dict[str, object]:
    """Each field of ``cls`` that converted, by name; defaults stand in for omitted fields."""
    if not isinstance(data, Mapping):
        errors.append(FieldError(path=path, message="must be an object"))
        return {}
    fields = {info.encode_name: info for info in msgspec.structs.fields(cls)}
    errors.extend(
        FieldError(path=_join(path, key), message="is not a known field")
        for key in data
        if key not in fields
    )
    values: dict[str, object] = {}
    for name, info in fields.items():
        if name in data:
            value = _convert_field(data[name], info.type, _join(path, name), errors)
            if value is not _FAILED:
                values[name] = value
        elif info.required:
            errors.append(FieldError(path=_join(path, name), message="is required"))
        elif info.default_factory is not msgspec.NODEFAULT:
            values[name] = info.default_factory()
        else:
            values[name] = info.default
    return values


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
    values = _convert_fields(cls, data, step, errors)
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
