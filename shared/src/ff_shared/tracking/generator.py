"""Realistic application-form journeys with a known true funnel, for demos, tests and benches.

Each session lands from a source on a device, walks the form's steps (focusing fields, tripping
validation errors, completing steps) and either submits, abandons or just leaves. Some applicants
come back days later to submit (which exercises the conversion window), and some apply twice
with the same e-mail, phone, device or bank account (duplicate applications). The generator keeps
the truth it used, so a funnel read back from the platform can be checked against it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import msgspec

from ff_shared.domain.funnel import Funnel, build_funnel, furthest_stage
from ff_shared.domain.tracking.events import FORMS, IdentityKind
from ff_shared.tracking.identity import identity_hash

FORM = "application"
STEPS = FORMS[FORM]
HASH_KEY = b"ff-tracker-generator"

SOURCES: list[tuple[dict[str, str], float, float]] = [
    # (context, weight, how much more likely than average to carry on at each step)
    ({"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "loans-q4"}, 0.35, 1.0),
    ({"utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "fresh"}, 0.2, 0.9),
    ({"referrer": "https://www.moneysavingexpert.com/loans/best-buys?x=1"}, 0.15, 1.08),
    ({"utm_source": "email", "utm_medium": "email", "utm_campaign": "reminder"}, 0.1, 1.1),
    ({}, 0.2, 1.0),
]
DEVICES: list[tuple[str, float, float]] = [
    ("mobile", 0.6, 0.95),
    ("desktop", 0.35, 1.06),
    ("tablet", 0.05, 1.0),
]
STEP_FIELDS: dict[str, list[tuple[str, list[str]]]] = {
    "loan": [("amount_pence", ["out_of_range"]), ("term_months", ["out_of_range"])],
    "personal": [
        ("first_name", ["required"]),
        ("date_of_birth", ["too_young", "invalid_date"]),
        ("email", ["invalid_format"]),
        ("mobile", ["invalid_format"]),
    ],
    "address": [("postcode", ["invalid_postcode"]), ("line1", ["required"])],
    "employment": [("status", ["required"]), ("employer_name", ["required"])],
    "expenditure": [("rent_pence", ["out_of_range"]), ("food_pence", ["required"])],
    "bank": [("sort_code", ["invalid_sort_code"]), ("account_number", ["invalid_account"])],
    "declarations": [("consent_credit_check", ["required"])],
}
CONTINUE = {
    "loan": 0.86,
    "personal": 0.82,
    "address": 0.9,
    "employment": 0.88,
    "expenditure": 0.8,
    "bank": 0.75,
    "declarations": 0.93,
}
BOUNCE_RATE = 0.12
ERROR_RATE = {"personal": 0.25, "bank": 0.3, "address": 0.15}


class TrueSession(msgspec.Struct, kw_only=True):
    session_id: str
    source: str
    device: str
    started: datetime
    step_first_at: dict[str, datetime]
    step_last_at: dict[str, datetime]
    submitted_at: datetime | None
    application_id: str | None
    person: int
    field_errors: dict[str, int]
    """``step|field|error_code`` to errors."""
    events: list[dict[str, Any]]


class Generated(msgspec.Struct, kw_only=True):
    sessions: list[TrueSession]
    environment: str | None

    @property
    def events(self) -> Iterator[dict[str, Any]]:
        for s in self.sessions:
            yield from s.events

    @property
    def event_count(self) -> int:
        return sum(len(s.events) for s in self.sessions)

    def session_ids(self) -> list[str]:
        return [s.session_id for s in self.sessions]

    def truth_furthest(
        self, window: timedelta, breakdown: str = "none"
    ) -> dict[str, dict[int, int]]:
        groups: dict[str, dict[int, int]] = {}
        for s in self.sessions:
            key = "all" if breakdown == "none" else s.source if breakdown == "source" else s.device
            stage = furthest_stage(
                FORM,
                started=s.started,
                step_first_at=s.step_first_at,
                submitted_at=s.submitted_at,
                window=window,
            )
            hist = groups.setdefault(key, {})
            hist[stage] = hist.get(stage, 0) + 1
        return groups

    def truth_funnel(self, window: timedelta) -> Funnel:
        return build_funnel(FORM, self.truth_furthest(window).get("all", {}))

    def truth_field_errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for s in self.sessions:
            for key, n in s.field_errors.items():
                total[key] = total.get(key, 0) + n
        return total

    def truth_clusters(self) -> list[set[str]]:
        """Sets of application ids made by one person (two or more)."""
        by_person: dict[int, set[str]] = {}
        for s in self.sessions:
            if s.application_id is not None:
                by_person.setdefault(s.person, set()).add(s.application_id)
        return sorted((apps for apps in by_person.values() if len(apps) > 1), key=min)


def _weighted(rng: random.Random, options: list[Any]) -> Any:
    return rng.choices(options, weights=[o[1] for o in options])[0]


def _source_name(context: dict[str, str]) -> str:
    if "utm_source" in context:
        return context["utm_source"]
    if "referrer" in context:
        return context["referrer"].split("://", 1)[1].split("/", 1)[0].removeprefix("www.")
    return "direct"


def generate(
    *,
    sessions: int,
    days: int,
    end: datetime,
    seed: int,
    environment: str | None = None,
    duplicate_rate: float = 0.06,
    return_rate: float = 0.1,
) -> Generated:
    """``sessions`` journeys started over the ``days`` before ``end`` (every event before it)."""
    rng = random.Random(seed)
    tag = f"{seed:x}"
    span = timedelta(days=days) - timedelta(hours=2)
    persons: list[tuple[int, datetime]] = []
    out: list[TrueSession] = []
    counter = 0
    for i in range(sessions):
        started = end - timedelta(days=days) + span * rng.random()
        started = started.replace(microsecond=started.microsecond // 1000 * 1000)
        if persons and rng.random() < duplicate_rate:
            person, first = persons[rng.randrange(len(persons))]
            started = min(first + timedelta(hours=rng.uniform(1, 96)), end - timedelta(hours=2))
        else:
            person = len(persons)
            persons.append((person, started))
        context, _w, source_lift = _weighted(rng, SOURCES)
        device, _dw, device_lift = _weighted(rng, DEVICES)
        session_id = f"s-{tag}-{i:07d}"
        anonymous_id = f"a-{tag}-{person:07d}"
        hashes = {
            kind: identity_hash(HASH_KEY, kind, f"person-{seed}-{person}-{kind.value}")
            for kind in IdentityKind
        }
        truth = TrueSession(
            session_id=session_id,
            source=_source_name(context),
            device=device,
            started=started,
            step_first_at={},
            step_last_at={},
            submitted_at=None,
            application_id=None,
            person=person,
            field_errors={},
            events=[],
        )
        journey = _Journey(truth, anonymous_id=anonymous_id, environment=environment, tag=tag)
        journey.counter = counter
        _walk(
            rng,
            journey,
            context,
            device,
            source_lift * device_lift,
            hashes,
            end,
            f"{tag}-{i:07d}",
            return_rate,
        )
        counter = journey.counter
        out.append(truth)
    return Generated(sessions=out, environment=environment)


class _Journey:
    def __init__(
        self, truth: TrueSession, *, anonymous_id: str, environment: str | None, tag: str
    ) -> None:
        self.truth = truth
        self.anonymous_id = anonymous_id
        self.environment = environment
        self.tag = tag
        self.at = truth.started
        self.application_id: str | None = None
        self.counter = 0

    def wait(self, rng: random.Random, low: float, high: float) -> None:
        self.at += timedelta(seconds=rng.uniform(low, high))

    def emit(self, kind: str, *, step: str | None = None, **extra: Any) -> None:
        self.counter += 1
        at = self.at
        event: dict[str, Any] = {
            "event_id": f"e-{self.tag}-{self.counter:09d}",
            "session_id": self.truth.session_id,
            "anonymous_id": self.anonymous_id,
            "type": kind,
            "form": FORM,
            "client_time": at.isoformat().replace("+00:00", "Z"),
        }
        if step is not None:
            event["step"] = step
            self.truth.step_first_at.setdefault(step, at)
            self.truth.step_last_at[step] = at
        if self.environment is not None:
            event["environment"] = self.environment
        if self.application_id is not None:
            event["application_id"] = self.application_id
        event.update(extra)
        self.truth.events.append(event)


def _walk(
    rng: random.Random,
    j: _Journey,
    context: dict[str, str],
    device: str,
    lift: float,
    hashes: dict[IdentityKind, str],
    end: datetime,
    app_suffix: str,
    return_rate: float,
) -> None:
    truth = j.truth
    j.emit(
        "page_view",
        context={**context, "device_class": device},
        identity_hashes={"device": hashes[IdentityKind.DEVICE]},
    )
    if rng.random() < BOUNCE_RATE:
        return
    for step in STEPS:
        j.wait(rng, 2, 15)
        j.emit("step_view", step=step)
        for field, codes in STEP_FIELDS[step]:
            j.wait(rng, 1, 6)
            j.emit("field_focus", step=step, field=field)
            if rng.random() < ERROR_RATE.get(step, 0.05) / len(STEP_FIELDS[step]) * 2:
                code = rng.choice(codes)
                j.wait(rng, 2, 20)
                j.emit("field_error", step=step, field=field, error_code=code)
                key = f"{step}|{field}|{code}"
                truth.field_errors[key] = truth.field_errors.get(key, 0) + 1
            j.wait(rng, 2, 25)
            j.emit("field_blur", step=step, field=field)
        if rng.random() >= min(CONTINUE[step] * lift, 0.99):
            if rng.random() < 0.5:
                j.wait(rng, 5, 60)
                j.emit("form_abandon", step=step)
            return
        extra: dict[str, Any] = {}
        if step == "loan":
            j.application_id = truth.application_id = f"app-{app_suffix}"
        if step == "personal":
            extra["identity_hashes"] = {
                "email": hashes[IdentityKind.EMAIL],
                "phone": hashes[IdentityKind.PHONE],
            }
        if step == "bank":
            extra["identity_hashes"] = {"bank_account": hashes[IdentityKind.BANK_ACCOUNT]}
        j.wait(rng, 1, 10)
        j.emit("step_complete", step=step, **extra)
    if rng.random() < return_rate:
        j.at = max(j.at, min(j.at + timedelta(days=rng.uniform(1, 10)), end - timedelta(minutes=5)))
    j.wait(rng, 1, 5)
    j.emit("form_submit")
    truth.submitted_at = j.at


def request_batches(generated: Generated, max_events: int) -> Iterator[list[dict[str, Any]]]:
    """Batches for ``POST /v1/track``, whole sessions each (a session's order is its batch's)."""
    batch: list[dict[str, Any]] = []
    for session in generated.sessions:
        if batch and len(batch) + len(session.events) > max_events:
            yield batch
            batch = []
        if len(session.events) > max_events:
            for i in range(0, len(session.events), max_events):
                yield session.events[i : i + max_events]
            continue
        batch += session.events
    if batch:
        yield batch


def format_funnel(funnel: Funnel) -> str:
    lines = [f"{'stage':<14}{'sessions':>10}{'from prev':>11}{'drop-off':>10}"]
    for step in funnel.steps:
        prev = step.conversion_from_previous
        lines.append(
            f"{step.step:<14}{step.sessions:>10}"
            f"{'' if prev is None else f'{prev:.1%}':>11}{step.drop_off:>10}"
        )
    overall = funnel.overall_conversion
    lines.append(f"overall conversion {'n/a' if overall is None else f'{overall:.2%}'}")
    return "\n".join(lines)
