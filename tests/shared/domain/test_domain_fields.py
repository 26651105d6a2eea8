"""Field-by-field conversion: every problem at once, each at its own path."""

from __future__ import annotations

from typing import Annotated

import msgspec

from ff_shared.domain.fields import FieldError, problems_of


class _Address(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    postcode: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{1,2}\d")]


class _Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount_pence: Annotated[int, msgspec.Meta(ge=1, le=100, extra={"bound_error": "too_much"})]
    term_months: int
    address: _Address | None = None
    previous: list[_Address] = []


def test_every_problem_is_found_at_its_own_path() -> None:
    problems = problems_of(
        _Body,
        {
            "amount_pence": "5",
            "address": {"postcode": "nope", "flat": 1},
            "previous": [{"postcode": "SW1A 1AA"}, {"postcode": 3}],
            "colour": "red",
        },
    )
    assert sorted(p.path for p in problems) == [
        "address.flat",
        "address.postcode",
        "amount_pence",
        "colour",
        "previous[1].postcode",
        "term_months",
    ]
    assert FieldError(path="term_months", message="is required") in problems
    assert FieldError(path="amount_pence", message="must be a whole number") in problems


def test_a_bound_with_a_domain_meaning_carries_its_code() -> None:
    [problem] = problems_of(_Body, {"amount_pence": 101, "term_months": 3})
    assert (problem.path, problem.code) == ("amount_pence", "too_much")
    [typed] = problems_of(_Body, {"amount_pence": 1.5, "term_months": 3})
    assert typed.code is None


def test_a_valid_body_has_no_problems() -> None:
    assert problems_of(_Body, {"amount_pence": 100, "term_months": 3}) == []
