"""The OData v4 query subset the Dynamics simulator understands: ``$filter``, ``$orderby``,
``$select`` over typed columns, and keyset ordering for opaque ``$skiptoken`` paging.

``$filter``: ``eq ne gt ge lt le``, ``and or not``, parentheses, ``contains``/``startswith``/
``endswith``, literals ``'text'`` (``''`` escapes a quote), numbers, ``true``/``false``/``null``,
GUIDs, dates and ``2024-05-01T10:00:00Z`` datetimes. Anything else is an :class:`ODataQueryError`
with Dataverse's wording, answered as ``400``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

ColumnType = Literal["string", "int", "datetime", "date", "guid", "bool"]
Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]
SortKey = tuple[Any, ...]


class ODataQueryError(ValueError):
    """A query option the server cannot apply; ``code`` is Dataverse's error code."""

    def __init__(self, message: str, code: str = "0x80060888") -> None:
        super().__init__(message)
        self.code = code


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<string>'(?:[^']|'')*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))
    |(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<punct>[(),])
    """,
    re.VERBOSE,
)
_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"contains", "startswith", "endswith"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ODataQueryError(
                f"Syntax error at position {position} in '{text}'.", code="0x80060888"
            )
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append(_Token(kind, match.group(kind)))
    return out


def parse_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a datetime needs an offset")
    return moment.astimezone(UTC)


class _Parser:
    def __init__(self, text: str, columns: Mapping[str, ColumnType], entity: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.columns = columns
        self.entity = entity

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise ODataQueryError(f"Unexpected end of expression in '{self.text}'.")
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise ODataQueryError(f"Expected '{text}' but found '{token.text}' in '{self.text}'.")

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "name" and token.text == word:
            self.position += 1
            return True
        return False

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        if self.peek() is not None:
            raise ODataQueryError(
                f"Syntax error: unexpected '{self.take().text}' in '{self.text}'."
            )
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.keyword("or"):
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda row: any(p(row) for p in parts)

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.keyword("and"):
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda row: all(p(row) for p in parts)

    def not_expr(self) -> Predicate:
        if self.keyword("not"):
            inner = self.not_expr()
            return lambda row: not inner(row)
        return self.primary()

    def column(self, token: _Token) -> tuple[str, ColumnType]:
        if token.kind != "name" or token.text not in self.columns:
            raise ODataQueryError(
                f"Could not find a property named '{token.text}' on type "
                f"'Microsoft.Dynamics.CRM.{self.entity}'.",
                code="0x80060888",
            )
        return token.text, self.columns[token.text]

    def primary(self) -> Predicate:
        token = self.take()
        if token.text == "(":
            inner = self.or_expr()
            self.expect(")")
            return inner
        if token.kind == "name" and token.text in _FUNCTIONS:
            self.expect("(")
            name, kind = self.column(self.take())
            self.expect(",")
            needle = self.take()
            self.expect(")")
            if kind != "string" or needle.kind != "string":
                raise ODataQueryError(f"{token.text} needs a text column and a text literal.")
            value = needle.text[1:-1].replace("''", "'").lower()
            function = token.text

            def matches(row: Row) -> bool:
                text = row.get(name)
                if not isinstance(text, str):
                    return False
                text = text.lower()
                if function == "contains":
                    return value in text
                if function == "startswith":
                    return text.startswith(value)
                return text.endswith(value)

            return matches
        name, kind = self.column(token)
        operator = self.take()
        if operator.kind != "name" or operator.text not in _COMPARISONS:
            raise ODataQueryError(
                f"Syntax error: '{operator.text}' is not a comparison operator in '{self.text}'."
            )
        value = self.literal(self.take(), kind, name)
        return _comparison(name, operator.text, value)

    def literal(self, token: _Token, kind: ColumnType, name: str) -> Any:
        if token.kind == "name" and token.text == "null":
            return None
        try:
            if kind == "string" and token.kind == "string":
                return token.text[1:-1].replace("''", "'")
            if kind == "int" and token.kind == "number" and "." not in token.text:
                return int(token.text)
            if kind == "bool" and token.kind == "name" and token.text in ("true", "false"):
                return token.text == "true"
            if kind == "guid" and token.kind == "guid":
                return token.text.lower()
            if kind == "datetime" and token.kind == "datetime":
                return parse_datetime(token.text)
            if kind == "datetime" and token.kind == "date":
                return datetime.fromisoformat(token.text).replace(tzinfo=UTC)
            if kind == "date" and token.kind == "date":
                return date.fromisoformat(token.text)
        except ValueError:
            pass
        raise ODataQueryError(
            f"A binary operator with incompatible types was detected: the literal "
            f"'{token.text}' cannot be compared with '{name}' ({kind}).",
            code="0x80060888",
        )


def _comparison(name: str, operator: str, value: Any) -> Predicate:
    if value is None:
        if operator == "eq":
            return lambda row: row.get(name) is None
        if operator == "ne":
            return lambda row: row.get(name) is not None
        return lambda row: False

    def test(row: Row) -> bool:
        current = row.get(name)
        if current is None:
            return operator == "ne"
        if operator == "eq":
            return bool(current == value)
        if operator == "ne":
            return bool(current != value)
        if operator == "gt":
            return bool(current > value)
        if operator == "ge":
            return bool(current >= value)
        if operator == "lt":
            return bool(current < value)
        return bool(current <= value)

    return test


def parse_filter(text: str, columns: Mapping[str, ColumnType], entity: str) -> Predicate:
    return _Parser(text, columns, entity).parse()


def parse_orderby(
    text: str, columns: Mapping[str, ColumnType], entity: str
) -> list[tuple[str, bool]]:
    """``modifiedon asc,ff_name desc`` as ``[(column, descending)]``."""
    order: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataQueryError(f"The $orderby expression '{text}' is not valid.")
        if words[0] not in columns:
            raise ODataQueryError(
                f"Could not find a property named '{words[0]}' on type "
                f"'Microsoft.Dynamics.CRM.{entity}'."
            )
        order.append((words[0], len(words) == 2 and words[1] == "desc"))
    return order


def parse_select(text: str, columns: Mapping[str, ColumnType], entity: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in columns:
            raise ODataQueryError(
                f"Could not find a property named '{name}' on type "
                f"'Microsoft.Dynamics.CRM.{entity}'."
            )
    return names


def _sortable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def sort_key(row: Row, order: Sequence[tuple[str, bool]], primary_key: str) -> SortKey:
    """JSON-ready and comparable: a null sorts before any value, as Dataverse sorts them."""
    key: list[Any] = []
    for name, _descending in order:
        value = row.get(name)
        key.append([0, None] if value is None else [1, _sortable(value)])
    key.append([1, row[primary_key]])
    return tuple(key)


def compare_keys(a: SortKey, b: SortKey, order: Sequence[tuple[str, bool]]) -> int:
    directions = [descending for _name, descending in order] + [False]
    for left, right, descending in zip(a, b, directions, strict=True):
        left_t, right_t = tuple(left), tuple(right)
        if left_t == right_t:
            continue
        smaller = left_t[0] < right_t[0] or (left_t[0] == right_t[0] and left_t[1] < right_t[1])
        result = -1 if smaller else 1
        return -result if descending else result
    return 0


def sort_rows(
    rows: Sequence[Row], order: Sequence[tuple[str, bool]], primary_key: str
) -> list[Row]:
    def cmp(a: Row, b: Row) -> int:
        return compare_keys(sort_key(a, order, primary_key), sort_key(b, order, primary_key), order)

    return sorted(rows, key=functools.cmp_to_key(cmp))
