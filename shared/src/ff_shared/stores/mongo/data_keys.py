"""Per-customer data keys: values about a customer in append-only records are sealed with them.

AES-256-GCM with a random 96-bit nonce; the associated data binds a sealed value to the record
it belongs to, so it cannot be moved onto another one. Destroying a customer's key (erasure)
makes every value sealed with it unreadable without touching the records (crypto-shredding).

A key is never stored in the clear: KMS makes it (``GenerateDataKey`` under the audit key,
``FF_AWS_AUDIT_KEY_ID``) and the collection keeps only the wrapped copy KMS returned, bound to the
customer by the encryption context; ``Decrypt`` unwraps it when a value is sealed or read. The
process binds its KMS client once at start-up (:func:`bind_key_wrapping`).
"""

from __future__ import annotations

import asyncio
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


class KmsKeys:
    """KMS calls for the data keys: a KMS client (aioboto3) and the wrapping key's id."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self.key_id = key_id

    async def generate(self, customer_id: str) -> tuple[bytes, bytes]:
        """A new 256-bit key: (plaintext, wrapped)."""
        made = await self._kms.generate_data_key(
            KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=_context_of(customer_id)
        )
        return bytes(made["Plaintext"]), bytes(made["CiphertextBlob"])

    async def wrap(self, customer_id: str, key: bytes) -> bytes:
        """Wrap a key made before keys were made by KMS."""
        wrapped = await self._kms.encrypt(
            KeyId=self.key_id, Plaintext=key, EncryptionContext=_context_of(customer_id)
        )
        return bytes(wrapped["CiphertextBlob"])

    async def unwrap(self, customer_id: str, wrapped: bytes) -> bytes:
        opened = await self._kms.decrypt(
            CiphertextBlob=wrapped, EncryptionContext=_context_of(customer_id)
        )
        return bytes(opened["Plaintext"])


def _context_of(customer_id: str) -> dict[str, str]:
    return {"purpose": "audit", "customer_id": customer_id}


_KEYS: dict[asyncio.AbstractEventLoop, KmsKeys] = {}


def bind_key_wrapping(keys: KmsKeys) -> None:
    """Use ``keys`` for every data key made or read on this event loop."""
    _KEYS[asyncio.get_running_loop()] = keys


def unbind_key_wrapping() -> None:
    _KEYS.pop(asyncio.get_running_loop(), None)


def _kms() -> KmsKeys:
    keys = _KEYS.get(asyncio.get_running_loop())
    if keys is None:
        raise RuntimeError("no KMS client is bound for the audit log's data keys")
    return keys


def _collection() -> Any:
    return collection(DataKeyDocument)


async def key_for(customer_id: str, *, now: datetime) -> bytes:
    """The customer's key, created (by KMS) on first use."""
    found = await _collection().find_one({"_id": customer_id})
    if found is None:
        _, wrapped = await _kms().generate(customer_id)
        with contextlib.suppress(DuplicateKeyError):
            await _collection().insert_one(
                {"_id": customer_id, "wrapped_key": wrapped, "created_at": now}
            )
        # A concurrent first write may have stored its key first: everyone uses the stored one.
        found = await _collection().find_one({"_id": customer_id})
        assert found is not None
    return await _unwrapped(customer_id, found)


async def existing_key(customer_id: str) -> bytes | None:
    found = await _collection().find_one({"_id": customer_id})
    if found is None:
        return None
    return await _unwrapped(customer_id, found)


async def _unwrapped(customer_id: str, found: dict[str, Any]) -> bytes:
    """The stored key, unwrapped by KMS. A key stored in the clear before keys were wrapped is
    wrapped now and its clear copy removed."""
    if found.get("wrapped_key") is None and found.get("key") is not None:
        key = bytes(found["key"])
        wrapped = await _kms().wrap(customer_id, key)
        await _collection().update_one(
            {"_id": customer_id}, {"$set": {"wrapped_key": wrapped}, "$unset": {"key": ""}}
        )
        return key
    return await _kms().unwrap(customer_id, bytes(found["wrapped_key"]))


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
