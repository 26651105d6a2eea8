from __future__ import annotations

import json

import pytest
import structlog

from ff_shared.logging import REDACTED, configure_logging, redact, scrub_text


def test_personal_keys_are_redacted_at_any_depth() -> None:
    event = {
        "application_id": "a1",
        "applicant": {"first_name": "Ada", "email": "ada@example.com", "dependants": 2},
        "bank": [{"sort_code": "12-34-56", "account_number": "12345678"}],
    }
    assert redact(event) == {
        "application_id": "a1",
        "applicant": {"first_name": REDACTED, "email": REDACTED, "dependants": 2},
        "bank": [{"sort_code": REDACTED, "account_number": REDACTED}],
    }


@pytest.mark.parametrize(
    "text",
    [
        "contact ada.lovelace@example.co.uk now",
        "call 07700 900123",
        "call +447700900123",
        "sort code 12-34-56",
        "account 12345678",
        "Authorization: Bearer eyJhbGciOi.abc.def",
    ],
)
def test_personal_data_inside_free_text_is_masked(text: str) -> None:
    scrubbed = scrub_text(text)
    assert REDACTED in scrubbed
    for secret in ("ada.lovelace", "900123", "12-34-56", "12345678", "eyJhbGciOi"):
        assert secret not in scrubbed


def test_log_lines_are_json_with_bound_context_and_no_personal_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(level="info", json=True)
    structlog.contextvars.bind_contextvars(request_id="req-1")
    try:
        structlog.get_logger().info("customer_updated", email="ada@example.com", changed=["mobile"])
    finally:
        structlog.contextvars.clear_contextvars()
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "customer_updated"
    assert line["request_id"] == "req-1"
    assert line["email"] == REDACTED
    assert line["changed"] == ["mobile"]
    assert "ada@example.com" not in json.dumps(line)
