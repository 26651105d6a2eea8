"""Cognito's ``ResendConfirmationCode`` for moto server, which does not implement it.

The customer portal's confirmation page offers "Send me a new code"; against moto the call was
an error, so the local stack could not show it working. Like Cognito, it answers where the code
went (the account's e-mail address, masked) and refuses an unknown app client or user with
Cognito's own error types. moto sends no e-mail and its ``ConfirmSignUp`` accepts any code, so
nothing else is needed. Loaded by ``ff_standins.moto_server`` before the server starts.
"""

from __future__ import annotations

from moto.cognitoidp.exceptions import ResourceNotFoundError
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import ActionResult


def masked(address: str) -> str:
    """``a***@e***`` as Cognito shows a destination: first letter of each side of the ``@``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***" if domain else f"{address[:1]}***"


def _resend_confirmation_code(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    username = self._get_param("Username")
    backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
    if pool is None:
        raise ResourceNotFoundError(client_id)
    user = backend.admin_get_user(pool.id, username)  # UserNotFoundException when unknown
    email = next((a["Value"] for a in user.attributes if a["Name"] == "email"), username)
    details = {"Destination": masked(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    return ActionResult({"CodeDeliveryDetails": details})


CognitoIdpResponse.resend_confirmation_code = _resend_confirmation_code  # type: ignore[attr-defined]
