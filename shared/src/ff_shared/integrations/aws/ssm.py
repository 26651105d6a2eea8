"""Reading secrets from SSM Parameter Store (SecureStrings decrypted)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


class SecretUnavailable(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


async def get_parameter(ssm: Any, name: str) -> str:
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


async def put_secret(ssm: Any, name: str, value: str) -> None:
    """Store a SecureString (the local stack and the tests seed the backup password so)."""
    await ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
