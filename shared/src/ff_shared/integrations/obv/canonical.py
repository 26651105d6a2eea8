"""A report's canonical JSON from one typed decode instead of a generic one.

The archive's canonical form of a payload is :func:`canonical_json`: the JSON decoded generically
and encoded again with its keys sorted. Decoding 600 KB into dictionaries is most of that cost. A
report in OBV's shape gives the very same bytes when decoded into a *mirror* of the wire schema —
every object a Struct that refuses unknown keys, every value kept as the JSON type it was sent in
(times and enumerations stay strings, a number that is not an integer is refused, a missing key
stays missing) — and encoded with sorted keys, without a dictionary per object. A body the mirror
does not take (an unknown key, a float where an integer belongs, a string where an object belongs)
goes the generic way, so the bytes and any error are the generic path's own either way.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Any, Literal, Union

import msgspec

from ff_shared.domain.obv_archive.payloads import canonical_json
from ff_shared.integrations.obv import schemas as wire

_MIRRORS: dict[type, type] = {}


def _mirror_type(annotation: Any) -> Any:
    """The JSON value of a wire annotation, as sent: a time or an enumeration is a string."""
    origin = typing.get_origin(annotation)
    if annotation in (str, int, bool, type(None)):
        return annotation
    if annotation is datetime or origin is Literal:
        return str
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return _mirror(annotation)
    if origin is tuple:
        item, ellipsis = typing.get_args(annotation)
        assert ellipsis is Ellipsis, annotation
        return tuple[_mirror_type(item), ...]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        return Union[tuple(_mirror_type(a) for a in typing.get_args(annotation))]  # noqa: UP007
    raise TypeError(f"no canonical mirror for {annotation!r}")


def _mirror(cls: type[msgspec.Struct]) -> type:
    if cls not in _MIRRORS:
        fields = msgspec.structs.fields(cls)
        _MIRRORS[cls] = msgspec.defstruct(
            f"Canonical{cls.__name__}",
            [
                (f.name, Union[_mirror_type(f.type), msgspec.UnsetType], msgspec.UNSET)  # noqa: UP007
                for f in fields
            ],
            rename={f.name: f.encode_name for f in fields},
            forbid_unknown_fields=True,
            kw_only=True,
            gc=False,
        )
    return _MIRRORS[cls]


_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder(_mirror(wire.Report))
_ENCODER = msgspec.json.Encoder(order="sorted")


def report_canonical_json(raw: bytes) -> bytes:
    """Exactly :func:`canonical_json` of ``raw``; raises ``msgspec.DecodeError`` when it does."""
    try:
        mirrored = _DECODER.decode(raw)
    except msgspec.DecodeError:
        return canonical_json(raw)
    return _ENCODER.encode(mirrored)
