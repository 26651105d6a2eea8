"""An Anthropic Messages API simulator that plays scripted conversations, over HTTP.

    python -m ff_standins.claude.simulator --port 8106

- ``POST /v1/messages``: the Messages API's request and response shapes, non-streaming JSON or
  server-sent events (``"stream": true``: ``message_start``, ``content_block_start``/``delta``/
  ``stop`` with ``text_delta`` and ``input_json_delta``, ``message_delta`` with the stop reason
  and usage, ``message_stop``). Accepts ``x-api-key`` or ``Authorization: Bearer``; refuses
  anything else with the API's ``authentication_error``.
- Conversations follow scripts: a script matches the conversation's question (case-insensitive
  substring), asks for the tools of each of its ``rounds`` in turn (``tool_use`` blocks), then
  answers with its ``answer`` template, in which ``{{tool.path}}`` is replaced by the value at
  ``path`` in the latest result of ``tool`` (so an answer quotes tool results exactly, as a
  well-behaved model does). A question no script matches is answered with a refusal to guess.
- Admin, under ``/_sim``: faults (``429`` rate limit, ``529`` overloaded, slow, dropped: see
  :mod:`ff_standins.simulation`), ``GET /_sim/messages`` (every request body received,
  verbatim, for tests that check what left the platform), ``DELETE /_sim/messages``,
  ``POST /_sim/scripts`` (add scripts; first match wins, newest first) and
  ``DELETE /_sim/scripts`` (back to the built-in ones).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
from typing import Any
from urllib.parse import urlsplit

import msgspec
from aiohttp import web

from ff_standins.simulation import (
    MalformedKind,
    Simulation,
    add_simulation_routes,
    serve,
)

DEFAULT_PORT = 8106
DEFAULT_API_KEY = "ff-local-claude-key"
_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_\[\]-]+)*)\s*\}\}")


class ToolCall(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    input: dict[str, Any] = msgspec.field(default_factory=dict)


class Script(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    match: str
    """A case-insensitive substring of the question."""
    rounds: list[list[ToolCall]] = msgspec.field(default_factory=list)
    """Tool calls asked for, one list per assistant turn, before the answer."""
    answer: str
    preamble: str = "Let me look at the figures."
    """Text sent before each round's tool calls."""


# The local stack's demo questions; tests add their own.
BUILT_IN: list[Script] = [
    Script(
        match="approval",
        rounds=[[ToolCall(name="application_outcomes", input={"days": 30})]],
        answer=(
            "In the last {{application_outcomes.days}} days {{application_outcomes.submitted}} "
            "applications were submitted: {{application_outcomes.approved}} approved, "
            "{{application_outcomes.referred}} referred and {{application_outcomes.declined}} "
            "declined (approval rate {{application_outcomes.approval_rate}})."
        ),
    ),
    Script(
        match="source",
        rounds=[[ToolCall(name="journey_funnel", input={"days": 30, "breakdown": "source"})]],
        answer=(
            "Over the last {{journey_funnel.days}} days {{journey_funnel.sessions}} sessions "
            "started the form and {{journey_funnel.submitted}} submitted it; the figures by "
            "source are in the table the journey_funnel tool returned."
        ),
    ),
]


class Conversation(msgspec.Struct, kw_only=True):
    question: str
    rounds_done: int
    results: dict[str, Any]


class SimulatorState:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.scripts: list[Script] = []
        self.bodies: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}_sim{next(self._ids):08d}"

    def script_for(self, question: str) -> Script | None:
        lowered = question.lower()
        for script in [*reversed(self.scripts), *BUILT_IN]:
            if script.match.lower() in lowered:
                return script
        return None


STATE = web.AppKey("claude_state", SimulatorState)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(
        b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
    )


def _is_tool_results(content: Any) -> bool:
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def _tool_result_value(block: dict[str, Any]) -> Any:
    content = block.get("content")
    text = content if isinstance(content, str) else _text_of(content or [])
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_conversation(messages: list[dict[str, Any]]) -> Conversation:
    """The latest question and what has happened since: tool rounds and their results by tool."""
    start = 0
    for i, message in enumerate(messages):
        if message.get("role") == "user" and not _is_tool_results(message.get("content")):
            start = i
    question = _text_of(messages[start].get("content", "")) if messages else ""
    names: dict[str, str] = {}
    results: dict[str, Any] = {}
    rounds = 0
    for message in messages[start + 1 :]:
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, list):
            rounds += 1
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_use":
                    names[block["id"]] = block["name"]
        elif message.get("role") == "user" and isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    name = names.get(block.get("tool_use_id", ""))
                    if name is not None:
                        results[name] = _tool_result_value(block)
    return Conversation(question=question, rounds_done=rounds, results=results)


def _lookup(value: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            return None
    return value


def fill(template: str, results: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        value = _lookup(results.get(match.group(1)), match.group(2))
        if value is None:
            return "(not available)"
        return value if isinstance(value, str) else json.dumps(value)

    return _TEMPLATE.sub(replace, template)


def _usage_in(body: dict[str, Any]) -> int:
    # Roughly four characters a token, as published for English text.
    return max(1, len(json.dumps(body)) // 4)


def _usage_out(blocks: list[dict[str, Any]]) -> int:
    return max(1, sum(len(json.dumps(b)) for b in blocks) // 4)


def plan(state: SimulatorState, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The assistant turn's content blocks and stop reason for this request."""
    conversation = read_conversation(body.get("messages", []))
    offered = {t.get("name") for t in body.get("tools", []) if isinstance(t, dict)}
    script = state.script_for(conversation.question)
    if script is None:
        text = (
            "I can only answer from the platform's aggregate figures, and none of my tools "
            "covers that question."
        )
        return [{"type": "text", "text": text}], "end_turn"
    if conversation.rounds_done < len(script.rounds):
        calls = [c for c in script.rounds[conversation.rounds_done] if c.name in offered]
        if calls:
            blocks: list[dict[str, Any]] = [{"type": "text", "text": script.preamble}]
            blocks += [
                {"type": "tool_use", "id": state.next_id("toolu"), "name": c.name, "input": c.input}
                for c in calls
            ]
            return blocks, "tool_use"
    return [{"type": "text", "text": fill(script.answer, conversation.results)}], "end_turn"


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response(
        {"type": "error", "error": {"type": kind, "message": message}}, status=status
    )


def _authorised(request: web.Request, api_key: str) -> bool:
    bearer = request.headers.get("authorization", "")
    return request.headers.get("x-api-key") == api_key or bearer == f"Bearer {api_key}"


async def _messages(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    if not _authorised(request, state.api_key):
        return _error(401, "authentication_error", "invalid x-api-key")
    try:
        body = json.loads(await request.read())
    except ValueError:
        return _error(400, "invalid_request_error", "the body is not JSON")
    state.bodies.append(body)
    if not isinstance(body, dict) or not body.get("messages") or "max_tokens" not in body:
        return _error(400, "invalid_request_error", "messages and max_tokens are required")
    blocks, stop_reason = plan(state, body)
    message = {
        "id": state.next_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "claude-sim"),
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": _usage_in(body), "output_tokens": _usage_out(blocks)},
    }
    if body.get("stream"):
        return await _stream(request, message)
    return web.json_response(message)


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


def _chunks(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


async def _stream(request: web.Request, message: dict[str, Any]) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    start = {**message, "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": message["usage"]["input_tokens"], "output_tokens": 1}
    await response.write(_event("message_start", {"type": "message_start", "message": start}))
    await response.write(_event("ping", {"type": "ping"}))
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": c} for c in _chunks(block["text"])]
        else:
            opening = {**block, "input": {}}
            raw = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": c} for c in _chunks(raw)]
        await response.write(
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opening},
            )
        )
        for delta in deltas:
            await response.write(
                _event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
            await asyncio.sleep(0)
        await response.write(
            _event("content_block_stop", {"type": "content_block_stop", "index": index})
        )
    await response.write(
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
    )
    await response.write(_event("message_stop", {"type": "message_stop"}))
    await response.write_eof()
    return response


async def _list_bodies(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].bodies)


async def _clear_bodies(request: web.Request) -> web.Response:
    request.app[STATE].bodies.clear()
    return web.Response(status=204)


async def _add_scripts(request: web.Request) -> web.Response:
    try:
        scripts = msgspec.json.decode(await request.read(), type=list[Script])
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    request.app[STATE].scripts.extend(scripts)
    return web.json_response({"scripts": len(request.app[STATE].scripts)}, status=201)


async def _clear_scripts(request: web.Request) -> web.Response:
    request.app[STATE].scripts.clear()
    return web.Response(status=204)


MALFORMED: dict[MalformedKind, bytes] = {
    "truncated": b'{"id":"msg_x","type":"message","content":[{"type":"text","te',
    "wrong_shape": b'{"type":"message","content":"not a list"}',
    "html": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
}


def create_app(*, api_key: str = DEFAULT_API_KEY) -> web.Application:
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[STATE] = SimulatorState(api_key)
    add_simulation_routes(app, Simulation(MALFORMED))
    app.router.add_post("/v1/messages", _messages)
    app.router.add_get("/_sim/messages", _list_bodies)
    app.router.add_delete("/_sim/messages", _clear_bodies)
    app.router.add_post("/_sim/scripts", _add_scripts)
    app.router.add_delete("/_sim/scripts", _clear_scripts)
    return app


def _default_port() -> int:
    url = os.environ.get("FF_ANALYST_BASE_URL")
    port = urlsplit(url).port if url else None
    return port or DEFAULT_PORT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Anthropic Messages API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=_default_port())
    parser.add_argument("--api-key", default=os.environ.get("FF_ANALYST_API_KEY", DEFAULT_API_KEY))
    args = parser.parse_args(argv)
    if os.environ.get("FF_ENVIRONMENT") == "production":
        raise SystemExit("the Claude simulator does not run in production")
    serve(create_app(api_key=args.api_key), host=args.host, port=args.port, name="claude simulator")


if __name__ == "__main__":
    main()
