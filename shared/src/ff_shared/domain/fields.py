"""Field-by-field conversion of a JSON-decoded body into a Struct, collecting every problem.

msgspec stops at the first problem; this converts each field on its own (strictly: no string
for a number), nested Structs field by field and lists of Structs item by item, so every
problem is reported at once at its own path (``term_months``, ``address.postcode``), a missing
or unknown field at its own name. A field whose bounds have a domain meaning names its error in
its ``msgspec.Meta(extra={"bound_error": code})``.
"""

import enum
import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, get_args, get_origin

import msgspec

__all__ = ["FieldError", "convert_fields", "problems_of"]


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One problem: a path such as ``address.previous_addresses[0].postcode`` and a message."""

    path: str
    message: str
    code: str | None = None
    """The domain's own error code for this problem, when the field declares one for its bounds
    (``msgspec.Meta(extra={"bound_error": "payment_exceeds_balance"})``)."""


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


def _bound_error(tp: object) -> str | None:
    """The domain error a field's bounds carry, if it declares one."""
    if get_origin(tp) is not Annotated:
        return None
    for meta in get_args(tp)[1:]:
        if isinstance(meta, msgspec.Meta) and meta.extra and "bound_error" in meta.extra:
            return str(meta.extra["bound_error"])
    return None


def _translate(
    exc: msgspec.ValidationError, path: str, tp: object, annotated: object = None
) -> FieldError:
    message = str(exc)
    if match := _AT.match(message):
        message, path = match["message"], path + match["suffix"]
    code = _bound_error(annotated) if _BOUND.match(message) else None
    return FieldError(path=path, message=_human(message, path, tp), code=code)


def _unannotated(tp: object) -> object:
    return get_args(tp)[0] if get_origin(tp) is Annotated else tp


def _struct_items(tp: object) -> type[msgspec.Struct] | None:
    """The item Struct of a ``tuple[SomeStruct, ...]`` or ``list[SomeStruct]``, whose items are
    checked one by one."""
    args = get_args(tp)
    origin = get_origin(tp)
    if (origin is tuple and len(args) == 2 and args[1] is Ellipsis) or (
        origin is list and len(args) == 1
    ):
        item = _unannotated(args[0])
        if isinstance(item, type) and issubclass(item, msgspec.Struct):
            return item
    return None


def _present(tp: object, value: object) -> object:
    """``X`` of an optional ``X | None`` when a value is given (its parts are then checked)."""
    args = get_args(tp)
    if value is not None and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _unannotated(rest[0])
    return tp


_FAILED = object()


def _convert_field(value: object, tp: object, path: str, errors: list[FieldError]) -> object:
    """Convert one value, appending its problems; returns ``_FAILED`` if it did not convert."""
    try:
        return msgspec.convert(value, tp)
    except msgspec.ValidationError as exc:
        bare = _present(_unannotated(tp), value)
        before = len(errors)
        if isinstance(bare, type) and issubclass(bare, msgspec.Struct):
            convert_fields(bare, value, path, errors)
        elif (item := _struct_items(bare)) is not None and isinstance(value, list):
            for index, entry in enumerate(value):
                _convert_field(entry, item, f"{path}[{index}]", errors)
        if len(errors) == before:
            # The parts were fine, so the problem is the whole (e.g. too many items).
            errors.append(_translate(exc, path, bare, tp))
        return _FAILED


@functools.cache
def _fields_of(cls: type[msgspec.Struct]) -> Mapping[str, msgspec.structs.FieldInfo]:
    """``cls``'s fields by their JSON name. Read once per Struct: ``msgspec.structs.fields``
    evaluates every annotation again on each call, which cost a request body more than its
    checks."""
    return MappingProxyType({info.encode_name: info for info in msgspec.structs.fields(cls)})


def convert_fields(
    cls: type[msgspec.Struct], data: object, path: str, errors: list[FieldError]
) -> dict[str, object]:
    """Each field of ``cls`` that converted, by name; defaults stand in for omitted fields."""
    if not isinstance(data, Mapping):
        errors.append(FieldError(path=path, message="must be an object"))
        return {}
    fields = _fields_of(cls)
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


def problems_of(cls: type[msgspec.Struct], data: object) -> list[FieldError]:
    """Every problem of ``data`` as a ``cls``, each at its own path (empty: it converts)."""
    errors: list[FieldError] = []
    convert_fields(cls, data, "", errors)
    if not errors:
        try:
            msgspec.convert(data, cls)
        except msgspec.ValidationError as exc:  # a rule of the whole Struct (__post_init__)
            errors.append(_translate(exc, "", cls))
    return errors
