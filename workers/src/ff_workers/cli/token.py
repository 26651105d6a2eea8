"""``ff token EMAIL``: a bearer token for a seeded demo user of the running local stack.

One unsigned ``InitiateAuth`` call (a public Cognito action) over the standard library: the
command starts in a fraction of a second, without the AWS SDK.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import urllib.error
import urllib.request

from ff_workers.cli.devstate import DEMO_PASSWORD, read_state
from ff_workers.cli.errors import CommandError

_TIMEOUT_SECONDS = 10


def _initiate_auth(endpoint_url: str, client_id: str, email: str) -> str:
    body = json.dumps(
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": email, "PASSWORD": DEMO_PASSWORD},
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the stack's own endpoint
        endpoint_url.rstrip("/") + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.load(response)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(detail).get("message", detail)
        raise CommandError(f"the identity provider refused: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(
            f"the local stack is not answering at {endpoint_url}: is `ff dev` running?"
        ) from exc
    return str(answer["AuthenticationResult"]["AccessToken"])


def token_for(email: str) -> str:
    state = read_state()
    pool = next((p for p in state.pools.values() if email in p.users), None)
    if pool is None:
        known = ", ".join(sorted(u for p in state.pools.values() for u in p.users))
        raise CommandError(f"{email} is not a seeded demo user; known users: {known}")
    return _initiate_auth(state.aws_endpoint_url, pool.client_id, email)


def _run(args: argparse.Namespace) -> int:
    print(token_for(args.email.strip().lower()))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("token", help="print a bearer token for a demo user of the local stack")
    parser.add_argument("email", help="e.g. demo.customer@example.com")
    parser.set_defaults(handler=_run)
