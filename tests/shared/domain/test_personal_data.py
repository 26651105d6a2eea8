"""What the AI analyst's guard takes for personal data, and what it lets through."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ff_shared.domain.personal_data import (
    dates_of_birth,
    find_personal_data,
    name_candidates,
    scan_request,
)

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to amelia.obrien@example.com", "email"),
        ("mobile 07700 900123", "mobile_number"),
        ("mobile +44 7700 900123", "mobile_number"),
        ("landline 0161 496 0123", "landline_number"),
        ("landline 020 7946 0958", "landline_number"),
        ("sort code 12-34-56", "sort_code"),
        ("sort code 12 34 56", "sort_code"),
        ("account 31926819", "account_number"),
        ("lives at M1 1AE", "postcode"),
        ("lives at sw1a1aa", "postcode"),
        ("customer 01a23982-8d2b-76a7-9cec-b5593951067c", "platform_id"),
        ("application FF-ABCDEFGH", "application_reference"),
    ],
)
def test_personal_data_in_text_is_found_by_kind(text: str, kind: str) -> None:
    assert kind in [f.kind for f in find_personal_data(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Why did approvals drop in November 2026?",
        "Which sources bring loans that stay up to date?",
        "approval rate 0.4821 over 30 days, 1,234 applications",
        "the loans-q4 campaign on google / cpc",
        "between 2026-11-01 and 2026-11-30",
    ],
)
def test_aggregate_questions_pass(text: str) -> None:
    assert find_personal_data(text) == []
    assert dates_of_birth(text, today=TODAY) == []


def test_an_old_date_is_taken_for_a_birthday_and_a_recent_one_is_not() -> None:
    assert [f.kind for f in dates_of_birth("born 14/05/1990", today=TODAY)] == ["date_of_birth"]
    assert dates_of_birth("since 01/06/2026", today=TODAY) == []


def test_name_candidates_are_capitalised_pairs() -> None:
    assert name_candidates("Why was Amelia Obrien declined, and Tom Jones?") == [
        ("Amelia", "Obrien"),
        ("Tom", "Jones"),
    ]


def test_figures_in_tool_results_are_numbers_not_account_numbers() -> None:
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_sim00000001",
                        "content": json.dumps({"portfolio_balance_pence": 12345678}),
                    }
                ],
            }
        ]
    }
    assert scan_request(request) == []
    request["messages"][0]["content"][0]["content"] = json.dumps({"email": "a.b@example.com"})
    assert [f.kind for f in scan_request(request)] == ["email"]
