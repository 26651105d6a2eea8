"""schemathesis over the complete OpenAPI document: as the public, as a customer and as staff of
every role, against the API served over a real socket. No 5xx; every answer conforms to its
documented status codes, content type and schema; every error is a problem document.

Examples per operation are bounded (``FF_TEST_FUZZ_EXAMPLES``, default 6) so the whole run
stays within a couple of minutes on a small machine.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import hypothesis
import pytest
import schemathesis
import uvicorn
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.fixtures.api import TokenFactory

from ff_api.app import create_app
from ff_shared.domain.permissions import Role
from ff_shared.settings import Settings, load_settings
from ff_shared.stores.postgres.migrations import apply_migrations, known_schemas
from ff_standins.servers import free_port

EXAMPLES = int(os.environ.get("FF_TEST_FUZZ_EXAMPLES", "6"))
SCENARIOS = int(os.environ.get("FF_TEST_FUZZ_SCENARIOS", "30"))
PROBLEM_JSON = "application/problem+json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_settings(base_env: dict[str, str], session_id: str) -> Settings:
    """The session's settings over a database and queues of their own: what the fuzzer creates
    is seen by no other test, and no other test's worker runs its jobs."""
    return load_settings(
        {
            **base_env,
            "FF_MONGO_DATABASE": f"ff_test_{session_id}_fuzz",
            "FF_REDIS_QUEUE_NAME": f"ff:test:{session_id}:fuzz:core",
            "FF_LMS_QUEUE_NAME": f"ff:test:{session_id}:fuzz:lms",
            "FF_TRACKER_QUEUE_NAME": f"ff:test:{session_id}:fuzz:tracker",
            "FF_ADP_QUEUE_NAME": f"ff:test:{session_id}:fuzz:adp",
            "FF_OBV_ARCHIVER_QUEUE_NAME": f"ff:test:{session_id}:fuzz:obv",
        }
    )


@pytest.fixture(scope="module")
async def migrated(fuzz_settings: Settings) -> None:
    """Every schema migrated, as ``ff migrate`` leaves a deployment."""
    conn = await asyncpg.connect(fuzz_settings.postgres.dsn)
    try:
        for schema in known_schemas():
            await apply_migrations(conn, schema)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def served_api(fuzz_settings: Settings, migrated: None) -> Iterator[str]:
    """The API on a free port, in a thread with its own event loop (the fuzzer's calls block)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(fuzz_settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, name="fuzzed-api", daemon=True)
    thread.start()
    for _ in range(600):
        if server.started or not thread.is_alive():
            break
        threading.Event().wait(0.05)
    assert server.started, "the API did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _problem_check(response: Response) -> str | None:
    """Why an error answer is not a problem document (None when it is)."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith(PROBLEM_JSON):
        return f"{response.status_code} answered as {content_type!r}, not {PROBLEM_JSON}"
    body = response.json()
    missing = [k for k in ("type", "title", "status", "code") if k not in body]
    if missing or body.get("status") != response.status_code:
        return f"{response.status_code} problem document lacks {missing or 'its status'}"
    return None


def _fuzz_operation(
    operation: Any, base_url: str, tokens: list[str | None], failures: list[str]
) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=_cases(operation), token=st.sampled_from(tokens))
    def run(case: Any, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        _validate(label, case, response, headers, failures)

    run()


def _cases(operation: Any) -> st.SearchStrategy[Any]:
    """Requests that fit the document, and requests that do not (which must answer 4xx)."""
    return st.one_of(
        operation.as_strategy(),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )


def _validate(
    label: str, case: Any, response: Response, headers: dict[str, str], failures: list[str]
) -> None:
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        report = "\n".join(group.message.splitlines()[:14])
        failures.append(f"{label} ({response.status_code}):\n{report}")
        return
    if (problem := _problem_check(response)) is not None:
        failures.append(f"{label}: {problem}\n{case.as_curl_command()}")


def _tokens_for(
    operation: Any, public: list[str | None], customer: list[str | None], staff: list[str | None]
) -> list[str | None]:
    security = operation.definition.raw.get("security")
    schemes = {name for requirement in security or [] for name in requirement}
    if "staff_token" in schemes:
        return staff
    if "customer_token" in schemes:
        return customer
    return public


def _fuzz(schema: Any, base_url: str, pick: Callable[[Any], list[str | None]]) -> list[str]:
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        _fuzz_operation(operation, base_url, pick(operation), failures)
    return failures


async def test_the_whole_api_holds_to_its_document_under_generated_requests(
    app: Any,
    served_api: str,
    customer_token: TokenFactory,
    staff_token: TokenFactory,
) -> None:
    schema = _schema(app)
    customer: list[str | None] = [await customer_token()]
    staff: list[str | None] = [await staff_token(role.value) for role in Role]
    public: list[str | None] = [None]
    failures = await asyncio.to_thread(
        _fuzz, schema, served_api, lambda op: _tokens_for(op, public, customer, staff)
    )
    assert failures == [], "\n\n".join(failures[:40])


def _schema(app: Any, *, links: bool = False) -> Any:
    """The app's complete document; the tokens are the test's (no generated credentials)."""
    document = app.openapi_schema.to_schema()
    schema = schemathesis.openapi.from_dict(with_links(document) if links else document)
    schema.config.generation.update(with_security_parameters=False)
    return schema


def _properties(document: dict[str, Any], response: dict[str, Any]) -> set[str]:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return set(schema.get("properties", {}))


def with_links(document: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI links from each route that creates a resource (``POST /v1/applications``) to
    every route taking its id (``/v1/applications/{application_id}/...``, the staff routes
    too), with any other path parameter the created resource carries."""
    operations = [
        (path, operation)
        for path, item in document["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    for path, operation in operations:
        literal = [part for part in path.split("/") if part and not part.startswith("{")]
        resource_id = f"{literal[-1].removesuffix('s').replace('-', '_')}_id"
        for code, response in operation["responses"].items():
            properties = _properties(document, response)
            if not code.startswith("2") or "id" not in properties:
                continue
            links = {}
            for target_path, target in operations:
                names = re.findall(r"{(\w+)}", target_path)
                if resource_id not in names or not all(
                    n == resource_id or n in properties for n in names
                ):
                    continue
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": {
                        f"path.{n}": f"$response.body#/{'id' if n == resource_id else n}"
                        for n in names
                    },
                }
            if links:
                response["links"] = links
    return document


def _stateful(
    schema: Any, base_url: str, pick: Callable[[Any], str | None]
) -> tuple[list[str], list[tuple[str, int]]]:
    """Sequences of calls along the links schemathesis infers (a created draft's id fed to the
    routes that take it, and so on), so the fuzzer reaches past "not found"."""
    failures: list[str] = []
    reached: list[tuple[str, int]] = []
    machine = schema.as_state_machine()

    class Scenario(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            token = pick(case.operation)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return {"base_url": base_url, "headers": headers, "timeout": 30}

        def validate_response(
            self, response: Response, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            label = f"{case.operation.method.upper()} {case.operation.path} (in a sequence)"
            reached.append((label, response.status_code))
            _validate(label, case, response, kwargs.get("headers") or {}, failures)

    # A run replays earlier choices to explore around them, which assumes answers that do not
    # change, while the API's data grows with every call: when hypothesis notices, the run ends
    # there and another one starts, until the scenarios are done.
    for _ in range(5):
        if len(reached) >= SCENARIOS * 6:
            break
        try:
            Scenario.run(
                settings=hypothesis.settings(
                    max_examples=SCENARIOS,
                    stateful_step_count=8,
                    deadline=None,
                    database=None,
                    phases=[hypothesis.Phase.generate],
                    suppress_health_check=list(hypothesis.HealthCheck),
                )
            )
        except hypothesis.errors.Flaky:
            continue
    return failures, reached


async def test_sequences_of_calls_hold_to_the_document(
    app: Any, served_api: str, customer_token: TokenFactory, staff_token: TokenFactory
) -> None:
    schema = _schema(app, links=True)
    # Sequences follow the document: invalid requests are the other test's business.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    customer = await customer_token()
    staff = await staff_token(*(role.value for role in Role))

    def pick(operation: Any) -> str | None:
        return _tokens_for(operation, [None], [customer], [staff])[0]

    failures, reached = await asyncio.to_thread(_stateful, schema, served_api, pick)
    assert failures == [], "\n\n".join(failures[:40])
    # The links carried created ids into later calls that found what they named (answered
    # 2xx, or 409 for an action the resource's state does not allow).
    found = sorted(
        {label for label, status in reached if "{" in label and (status < 300 or status == 409)}
    )
    print(f"{len(reached)} calls in sequences; found by a created id: {found}")
    assert found
