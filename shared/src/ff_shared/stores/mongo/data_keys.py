"""Per-customer data keys: values about a customer in append-only records are sealed with them.

AES-256-GCM with a random 96-bit nonce; the associated data binds a sealed value to the record
it belongs to, so it cannot be moved onto another one. Destroying a customer's key (erasure)
makes every value sealed with it unreadable without touching the records (crypto-shredding).
The keys live in their own collection; in AWS that collection's keys would be wrapped by KMS.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pymongo.errors import DuplicateKeyError

from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import DataKeyDocument

_NONCE_BYTES = 12


class KeyDestroyed(Exception):
    """The customer's key is gone (erased): the sealed value can never be read again."""


def _collection() -> Any:
    return collection(DataKeyDocument)


async def key_for(customer_id: str, *, now: datetime) -> bytes:
    """The customer's key, created on first use."""
    found = await _collection().find_one({"_id": customer_id})
    if found is not None:
        return bytes(found["key"])
    with contextlib.suppress(DuplicateKeyError):
        await _collection().insert_one(
            {"_id": customer_id, "key": AESGCM.generate_key(bit_length=256), "created_at": now}
        )
    found = await _collection().find_one({"_id": customer_id})
    assert found is not None
    return bytes(found["key"])


async def existing_key(customer_id: str) -> bytes | None:
    found = await _collection().find_one({"_id": customer_id})
    return None if found is None else bytes(found["key"])


async def destroy_key(customer_id: str) -> bool:
    result = await _collection().delete_one({"_id": customer_id})
    return bool(result.deleted_count)


def seal(key: bytes, plaintext: bytes, *, context: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def unseal(key: bytes | None, sealed: bytes, *, context: str) -> bytes:
    if key is None:
        raise KeyDestroyed("the key that sealed this value was destroyed")
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], context.encode())
    except InvalidTag as exc:
        raise KeyDestroyed("the value was not sealed with this customer's current key") from exc
