"""structlog set-up shared by the API, the workers and the command line.

Logs are JSON lines on stdout. ``request_id`` / ``job_id`` are bound through contextvars so every
line of a request or a job carries them. Personal data never reaches a log line: values under
personal keys (and free-text fields such as notes, which may say anything) are replaced, and
e-mail addresses, UK mobile and landline numbers, sort codes (dashed, spaced, or unspaced after the
words "sort code"), account numbers, postcodes, dates of birth (dates in 1900-2009) and names
after a title or an "account holder" label found inside any other string are masked too.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"

PERSONAL_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "name",
        "full_name",
        "email",
        "mobile",
        "phone",
        "phone_number",
        "date_of_birth",
        "dob",
        "sort_code",
        "account_number",
        "iban",
        "postcode",
        "line1",
        "line2",
        "address",
        "employer_name",
        "password",
        "secret",
        "token",
        "authorization",
        "api_key",
        "client_secret",
        "access_token",
        "id_token",
        "holder_name",
        "account_holder",
        "account_name",
        "payee_name",
        "payer_name",
        "preferred_name",
        "birthdate",
        "note",
        "notes",
        "text",
        "comment",
        "comments",
        "free_text",
        "needed",
        "response",
        "description",
        "narrative",
    }
)
"""Keys whose values are personal or free text a person wrote (which may name anyone)."""

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_UK_PHONE = re.compile(r"(?:\+44\s?7\d{3}|\b07\d{3})\s?\d{3}\s?\d{3}\b")
_UK_LANDLINE = re.compile(
    r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0)[1235689]\d(?:[\s-]?\d){7,8}(?![\w-])"
)
_SORT_CODE = re.compile(r"\b\d{2}([- ])\d{2}\1\d{2}\b")
_SORT_CODE_LABELLED = re.compile(r"(?i)(\bsort[\s_-]*code\W{0,3})\d{6}\b")
_POSTCODE = re.compile(r"(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b")
_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_BIRTH_YEAR = r"(?:19\d{2}|200\d)"
_DATE_OF_BIRTH = re.compile(
    rf"(?i)\b(?:{_BIRTH_YEAR}[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?!T\d)"
    rf"|\d{{1,2}}[-/.]\d{{1,2}}[-/.]{_BIRTH_YEAR}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+{_BIRTH_YEAR}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_BIRTH_YEAR})\b"
)
_NAME = r"[A-Z][A-Za-z'\-]*\.?(?:\s+[A-Z][A-Za-z'\-]*\.?){0,3}"
_TITLED_NAME = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+{_NAME}")
_HOLDER_NAME = re.compile(
    rf"(?i:(\b(?:account[\s_-]*holder(?:'s)?(?:[\s_-]*name)?|holder[\s_-]*name"
    rf"|name\s+on\s+(?:the\s+)?account|payee)\W{{0,3}}))\"?{_NAME}"
)
_ACCOUNT_NUMBER = re.compile(r"\b\d{8}\b")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")


def scrub_text(text: str) -> str:
    """Mask personal data that appears inside free text (exception messages, paths)."""
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _EMAIL.sub(REDACTED, text)
    text = _HOLDER_NAME.sub(lambda m: m.group(1) + REDACTED, text)
    text = _TITLED_NAME.sub(REDACTED, text)
    text = _DATE_OF_BIRTH.sub(REDACTED, text)
    text = _UK_PHONE.sub(REDACTED, text)
    text = _UK_LANDLINE.sub(REDACTED, text)
    text = _SORT_CODE.sub(REDACTED, text)
    text = _SORT_CODE_LABELLED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _POSTCODE.sub(REDACTED, text)
    return _ACCOUNT_NUMBER.sub(REDACTED, text)


def redact(value: Any, key: str | None = None) -> Any:
    if key is not None and key.lower() in PERSONAL_KEYS:
        return REDACTED if value not in (None, "") else value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in ("timestamp", "level", "logger"):
            continue
        event_dict[key] = redact(event_dict[key], key if key != "event" else None)
    return event_dict


class _StdoutLoggerFactory:
    """Print to whatever ``sys.stdout`` is at the time of the call, not at configuration."""

    def __call__(self, *_args: Any) -> structlog.PrintLogger:
        return structlog.PrintLogger(sys.stdout)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(*, level: str = "info", json: bool = True) -> None:
    """Configure structlog and route the standard library's logging through it."""
    numeric = logging.getLevelNamesMapping()[level.upper()]
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact_processor,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_StdoutLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    handler = _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.INFO))
    # Libraries that log whole request or SOAP bodies (credentials travel in Anchor's) stay quiet.
    for noisy in ("zeep", "botocore", "aiobotocore", "urllib3", "asyncssh", "httpx", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
