"""Reading secrets from SSM Parameter Store (SecureStrings decrypted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError


class SecretUnavailable(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SsmClient(Protocol):
    """The SSM calls made here (an aioboto3 ``ssm`` client)."""

    async def get_parameter(self, *, Name: str, WithDecryption: bool) -> Mapping[str, Any]: ...

    async def put_parameter(
        self, *, Name: str, Value: str, Type: str, Overwrite: bool
    ) -> Mapping[str, Any]: ...


async def get_parameter(ssm: SsmClient, name: str) -> str:
    """The parameter's value; the message of a failure names the parameter, never its value."""
    try:
        result = await ssm.get_parameter(Name=name, WithDecryption=True)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        raise SecretUnavailable(
            f"SSM parameter {name} could not be read ({code})",
            retryable=code not in ("ParameterNotFound", "AccessDeniedException"),
        ) from exc
    return str(result["Parameter"]["Value"])


async def put_secret(ssm: SsmClient, name: str, value: str) -> None:
    """Store a SecureString (the local stack and the tests seed the backup password so)."""
    await ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
