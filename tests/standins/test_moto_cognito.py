"""The local stack's Cognito answers ``ResendConfirmationCode`` (moto server lacks it), as
Cognito does, through the same client call the customer portal makes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ff_standins.moto_cognito import masked


async def _client_id(cognito_client: Any) -> str:
    pool = await cognito_client.create_user_pool(PoolName=f"resend-{uuid.uuid4().hex[:8]}")
    client = await cognito_client.create_user_pool_client(
        UserPoolId=pool["UserPool"]["Id"], ClientName="portal"
    )
    return str(client["UserPoolClient"]["ClientId"])


async def test_a_registered_customer_is_told_where_the_new_code_went(cognito_client: Any) -> None:
    client_id = await _client_id(cognito_client)
    email = f"new.customer.{uuid.uuid4().hex[:6]}@example.com"
    await cognito_client.sign_up(
        ClientId=client_id,
        Username=email,
        Password="Fresh-Passw0rd!",
        UserAttributes=[{"Name": "email", "Value": email}],
    )

    answer = await cognito_client.resend_confirmation_code(ClientId=client_id, Username=email)

    assert answer["CodeDeliveryDetails"] == {
        "Destination": "n***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }


async def test_an_unknown_user_or_app_client_is_refused_with_cognitos_error(
    cognito_client: Any,
) -> None:
    client_id = await _client_id(cognito_client)
    with pytest.raises(ClientError) as unknown_user:
        await cognito_client.resend_confirmation_code(
            ClientId=client_id, Username="nobody@example.com"
        )
    assert unknown_user.value.response["Error"]["Code"] == "UserNotFoundException"

    with pytest.raises(ClientError) as unknown_client:
        await cognito_client.resend_confirmation_code(
            ClientId="no-such-client", Username="nobody@example.com"
        )
    assert unknown_client.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_destination_is_masked_as_cognito_shows_it() -> None:
    assert masked("amelia.obrien@example.com") == "a***@e***"
    assert masked("no-at-sign") == "n***"
