from __future__ import annotations

import json
import logging

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


PERSONAL_CORPUS = [
    ("lives at SW1A 1AA with her sister", "SW1A 1AA"),
    ("moved to m1 1ae last year", "m1 1ae"),
    ("postcode lookup failed for EC1A1BB", "EC1A1BB"),
    ("customer says she was born 27/12/1958", "27/12/1958"),
    ("dob 1958-12-27 on the form", "1958-12-27"),
    ("born on 3rd March 1961, retired", "3rd March 1961"),
    ("date of birth: March 3, 1961", "March 3, 1961"),
    ("call the office on 020 7946 0018", "7946 0018"),
    ("landline 01632 960123 after six", "960123"),
    ("home phone +44 161 496 0000", "496 0000"),
    ("landline 01134960000", "01134960000"),
    ("sort code 12 34 56 account 31926819", "12 34 56"),
    ("sort code: 123456", "123456"),
    ("sortcode=654321 from the mandate", "654321"),
    ("account holder: Jane Smith", "Jane Smith"),
    ("holder_name=Jane Smith paid", "Jane Smith"),
    ("name on the account Ada Lovelace", "Ada Lovelace"),
    ("spoke to Mrs Jane Smith about arrears", "Jane Smith"),
    ("letter addressed to Mr J. Okafor", "Okafor"),
]
"""Lines of free text holding personal data, and the part that must not survive."""

ORDINARY_LINES = [
    "collection of 12500 pence scheduled for 2026-12-03",
    "application 0190f6a2-5b7c-7d3e-9f10-2a3b4c5d6e7f moved to approved",
    "reference FF-8K2M4Q7R decided in 1200 ms at 2026-12-03T04:16:07Z",
    "loan LN-000123 balance 250000 pence, 12 instalments of 23417",
    "run 42 archived 1305 transactions from 3 accounts",
    "job sync_application_to_crm:abc:7 retried 3 times",
]
"""Lines with amounts, ids, references and business dates: left as they are."""


def test_a_corpus_of_personal_lines_leaves_nothing_through_the_real_logging_setup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(level="info", json=True)
    log = structlog.get_logger()
    for line, _ in PERSONAL_CORPUS:
        log.info(line)
        log.info("note_added", detail=line)
    log.info(
        "payment_received",
        holder_name="Jane Smith",
        account_holder="Ada Lovelace",
        note="lives with her sister at SW1A 1AA",
        text="my landlord wrote it",
        description="TFR FROM J SMITH",
    )
    logging.getLogger("ff.test").warning("library line: account holder: Jane Smith, SW1A 1AA")
    for line in ORDINARY_LINES:
        log.info(line)
    out = capsys.readouterr().out
    lines = [json.loads(raw) for raw in out.strip().splitlines()]
    text = json.dumps(lines)
    for _, secret in PERSONAL_CORPUS:
        assert secret not in text, secret
    for secret in ("Ada Lovelace", "lives with her sister", "my landlord", "J SMITH"):
        assert secret not in text, secret
    events = [line["event"] for line in lines]
    for line in ORDINARY_LINES:
        assert line in events, f"over-redacted: {line}"
