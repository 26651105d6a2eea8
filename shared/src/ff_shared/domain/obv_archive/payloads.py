"""Payloads as archived: canonical JSON, its SHA-256, and the check that they still agree."""

from __future__ import annotations

import hashlib

import msgspec

from ff_shared.domain.obv_archive.verification import Mismatch

_CANONICAL = msgspec.json.Encoder(order="sorted")


def canonical_json(raw: bytes) -> bytes:
    """The payload's canonical form: keys sorted, no insignificant whitespace, UTF-8, numbers in
    their shortest round-trip form. Two bodies that mean the same JSON give the same bytes, so a
    re-sent report with its keys reordered is recognised as unchanged.

    Raises ``msgspec.DecodeError`` when ``raw`` is not JSON.
    """
    return _CANONICAL.encode(msgspec.json.decode(raw))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def payload_digest(raw: bytes) -> tuple[bytes, str]:
    """``(canonical bytes, their SHA-256 in hex)``; raises ``msgspec.DecodeError`` on non-JSON."""
    canonical = canonical_json(raw)
    return canonical, sha256_hex(canonical)


def check_payload(canonical: bytes, sha256: str) -> list[Mismatch]:
    """Does a stored payload still hash to its stored digest, and is it still canonical?"""
    found: list[Mismatch] = []
    actual = sha256_hex(canonical)
    if actual != sha256:
        found.append(
            Mismatch(check="payload_sha256", subject="payload", expected=sha256, found=actual)
        )
        return found
    try:
        again = canonical_json(canonical)
    except msgspec.DecodeError as exc:
        found.append(
            Mismatch(check="payload_json", subject="payload", expected="JSON", found=str(exc))
        )
        return found
    if again != canonical:
        found.append(
            Mismatch(
                check="payload_canonical",
                subject="payload",
                expected=sha256_hex(again),
                found=sha256,
            )
        )
    return found
