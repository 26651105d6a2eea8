"""One rule for every request body: strict types, every problem at once, each at its own path.

Litestar converts a route's ``data`` leniently (``"100000"`` would become ``100000``). Before
that, this hook checks the JSON body against the route's body Struct strictly and field by field
(:func:`ff_shared.domain.fields.problems_of`, the same conversion that validates the
application's steps), so no route accepts a string for a number, and a failing body is answered
with every problem, each at its own path: ``term_months``, ``address.postcode``, a missing or
unknown field under its own name. A field whose bounds have a domain meaning answers with that
domain error (``payment_exceeds_balance``) rather than ``validation_failed``.

A body that is not JSON is left to Litestar (``malformed_body``); a required body that is
absent is checked as an empty object (each required field is missing).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler

from ff_shared.domain.fields import FieldError, problems_of
from ff_shared.errors import FieldProblem, InvalidInput

_BODY_TYPES: dict[int, tuple[type[msgspec.Struct] | None, bool]] = {}


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct a ``data`` annotation names (through ``Annotated`` and ``| None``)."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        annotation = rest[0] if len(rest) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    return None


def body_type(handler: HTTPRouteHandler) -> tuple[type[msgspec.Struct] | None, bool]:
    """The Struct the handler takes as its JSON body (None: it takes none), and whether the
    body may be ``null``."""
    key = id(handler)
    if key not in _BODY_TYPES:
        field = handler.parsed_fn_signature.parameters.get("data")
        _BODY_TYPES[key] = (
            (None, True)
            if field is None
            else (
                _struct_of(field.raw),
                field.is_optional,
            )
        )
    return _BODY_TYPES[key]


def _error_class(code: str) -> type[InvalidInput]:
    """The validation error with ``code`` (a subclass of :class:`InvalidInput`)."""
    pending: list[type[InvalidInput]] = [InvalidInput]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return InvalidInput


def body_error(errors: list[FieldError]) -> InvalidInput:
    """The error a body with these problems answers: a domain error when every problem is a
    bound with one, ``validation_failed`` otherwise."""
    codes = {e.code for e in errors}
    code = codes.pop() if len(codes) == 1 else None
    cls = _error_class(code) if code is not None else InvalidInput
    detail = "; ".join(f"{e.path}: {e.message}" if e.path else e.message for e in errors)
    return cls(detail, errors=[FieldProblem(path=e.path, message=e.message) for e in errors])


async def check_body(request: Request[Any, Any, Any]) -> None:
    """The app's ``before_request`` hook: refuse a body that is not exactly the route's type."""
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler):
        return
    target, optional = body_type(handler)
    if target is None:
        return
    raw = await request.body()
    if not raw.strip() and optional:
        return
    try:
        value = msgspec.json.decode(raw) if raw.strip() else {}
    except msgspec.DecodeError:
        return
    if value is None and optional:
        return
    errors = problems_of(target, value)
    if errors:
        raise body_error(errors)
