"""Keyed hashes of identity hints: equal identities hash equal, clear values never travel."""

from __future__ import annotations

import hashlib
import hmac

from ff_shared.domain.tracking.events import IdentityKind


def normalise(kind: IdentityKind, value: str) -> str:
    normal = value.strip().lower()
    if kind in (IdentityKind.PHONE, IdentityKind.BANK_ACCOUNT):
        normal = "".join(ch for ch in normal if ch.isdigit())
        if kind is IdentityKind.PHONE and normal.startswith("44"):
            normal = "0" + normal[2:]
    return normal


def identity_hash(key: bytes, kind: IdentityKind, value: str) -> str:
    """HMAC-SHA256 of the normalised value under the portal back end's key, as lowercase hex."""
    message = f"{kind.value}:{normalise(kind, value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
