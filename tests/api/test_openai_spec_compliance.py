"""The outside spec checker `llm-comply --format openai-chat` against our server on the fake.

It checks responses against OpenAI's published OpenAPI spec, plus fields the spec marks required
but nullable (`refusal`, `logprobs`) or that OpenAI always sends (`annotations`). Its warnings count
as failures here: they are exactly the fields strict clients trip on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.api.helpers import data_json, post, sse_events, user
from tests.fixtures import AUTH

LLM_COMPLY = Path(sys.executable).with_name("llm-comply")
# Checks that need a real model's judgement, with the only complaints allowed for them
# (docs/chat.md lists them with why).
NEEDS_A_MODEL = {
    # `tool_choice: "required"` with no `#fake:` script: the fake calls tools only when told to.
    "chat-tool-calling": {
        "choices[0].message.tool_calls is missing or empty",
        "finish_reason: expected 'tool_calls', got 'stop'",
    },
    # Reasoning tokens come from the model thinking; the fake thinks only when told to.
    "chat-reasoning-summary": {
        "usage.completion_tokens_details.reasoning_tokens is 0 (model may not support reasoning)"
    },
}


def llm_comply(url: str, fmt: str, model: str) -> dict[str, dict]:
    done = subprocess.run(
        [str(LLM_COMPLY), "--format", fmt, "-u", f"{url}/v1", "-k", AUTH, "-m", model, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return {r["id"]: r for r in json.loads(done.stdout)["results"]}


def test_llm_comply_openai_chat_passes(live, pool_token) -> None:
    # A gpt-5 name, so that the checker runs its reasoning check too instead of skipping it.
    results = llm_comply(live.url, "openai-chat", "gpt-5.1")
    assert len(results) >= 9
    complaints = {rid: set(r.get("errors", []) + r.get("warnings", [])) for rid, r in results.items()}
    for rid, allowed in NEEDS_A_MODEL.items():
        assert complaints.pop(rid) <= allowed, rid
    assert {rid: c for rid, c in complaints.items() if c} == {}
    assert all(results[rid]["status"] == "passed" for rid in complaints)


SCRIPT = (
    "weather?\n#fake: thinking='Let me look.' reply='Looking it up.' "
    """tool_call='get_weather:{"city": "Paris"}' chunks=2"""
)
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema: null joins the type, and the enum when there is one."""
    if isinstance(node, dict):
        for value in node.values():
            _nullable(value)
        if node.pop("nullable", False):
            kind = node.get("type")
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
            elif "$ref" in node:
                node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]
            if "enum" in node and None not in node["enum"]:
                node["enum"].append(None)
    elif isinstance(node, list):
        for value in node:
            _nullable(value)
    return node


def spec_errors(data: Any, schema: str) -> list[str]:
    """Where `data` breaks the checker's copy of OpenAI's spec."""
    import llm_comply
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    path = Path(llm_comply.__file__).parent / "specs" / "openai_chat.json"
    spec = _nullable(json.loads(path.read_text()))
    registry = Registry().with_resource("spec", Resource(spec, DRAFT202012))
    validator = Draft202012Validator({"$ref": f"spec#/components/schemas/{schema}"}, registry=registry)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def test_every_stream_chunk_and_completion_matches_the_spec(live, pool_token) -> None:
    """The checker validates only non-stream bodies: here every chunk kind is held to the spec too."""
    body = {"model": "gpt-5.1", "messages": user(SCRIPT), "tools": TOOLS}
    response = post(live.url, "/v1/chat/completions", body)
    assert response.status_code == 200
    assert spec_errors(response.json(), "CreateChatCompletionResponse") == []
    message = response.json()["choices"][0]["message"]
    assert message["refusal"] is None and message["annotations"] == []

    stream = {**body, "stream": True, "stream_options": {"include_usage": True}}
    chunks = data_json(sse_events(post(live.url, "/v1/chat/completions", stream).text))
    kinds = set()
    for chunk in chunks:
        assert spec_errors(chunk, "CreateChatCompletionStreamResponse") == [], chunk
        for choice in chunk["choices"]:
            kinds |= set(choice["delta"]) | ({"finish"} if choice["finish_reason"] else set())
        kinds |= {"usage"} if chunk.get("usage") else set()
    assert kinds >= {"role", "refusal", "content", "reasoning_content", "tool_calls", "finish", "usage"}
