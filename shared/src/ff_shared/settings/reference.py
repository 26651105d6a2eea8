"""The settings as documentation: every variable with its type, default and explanation."""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap
import types
import typing
from collections.abc import Iterator
from typing import Any, Literal

import msgspec

from ff_shared.settings.model import PREFIX, Settings


class Variable(msgspec.Struct, frozen=True, kw_only=True):
    """One environment variable as documented: its name, type and default."""

    name: str
    type: str
    default: str | None
    required: bool
    doc: str | None


def is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(str(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "unset"
    return getattr(tp, "__name__", str(tp))


def _field_docs(cls: type[msgspec.Struct]) -> dict[str, str]:
    """Attribute docstrings, read from the source so the settings table explains each variable."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    docs: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node, nxt in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def _walk(
    cls: type[msgspec.Struct], prefix: str
) -> Iterator[tuple[str, msgspec.structs.FieldInfo, type[msgspec.Struct]]]:
    for field in msgspec.structs.fields(cls):
        if is_struct(field.type):
            yield from _walk(field.type, f"{prefix}{field.name.upper()}_")
        else:
            yield f"{prefix}{field.name.upper()}", field, cls


def variables(cls: type[msgspec.Struct] = Settings) -> list[Variable]:
    """Every variable the settings read, for docs/settings.md and ``ff settings``."""
    out: list[Variable] = []
    docs_cache: dict[type[msgspec.Struct], dict[str, str]] = {}
    for name, field, owner in _walk(cls, PREFIX):
        docs = docs_cache.setdefault(owner, _field_docs(owner))
        required = field.required
        default: str | None = None
        if not required:
            value = field.default
            default = (
                ""
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        out.append(
            Variable(
                name=name,
                type=type_name(field.type),
                default=default,
                required=required,
                doc=docs.get(field.name),
            )
        )
    return out
