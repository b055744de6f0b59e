"""/v1/messages as current clients (Claude Code 2.1, the 2026 SDKs) send it, and the full response shape."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import llm_comply
import pytest

from cursorapi.chat import options as chat_options
from cursorapi.chat.catalog import catalog
from cursorapi.dialects import anthropic as dialect
from tests.api.helpers import chat_request, only_request, post, sse_events, user

MODEL = "claude-4.5-sonnet"
SPEC = json.loads((Path(llm_comply.__file__).parent / "specs" / "anthropic.json").read_text())


def conforms(instance: dict, schema_name: str) -> None:
    """`instance` against the published Anthropic OpenAPI schema of that name (llm-comply ships it)."""
    jsonschema.validate(
        instance, {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    )


def _post(live, body: dict, path: str = "/v1/messages", **headers):
    return post(live.url, path, {"model": MODEL, "max_tokens": 100, **body}, headers=headers)


def test_system_messages_keep_their_place(live, pool_token, fake) -> None:
    response = _post(
        live,
        {
            "messages": [
                {"role": "system", "content": "Opening rules."},
                {"role": "user", "content": "first question"},
                {
                    "role": "system",
                    "content": [
                        {"type": "text", "text": "Env: linux", "cache_control": {"type": "ephemeral"}}
                    ],
                },
                {"role": "assistant", "content": "an answer"},
                {"role": "system", "content": "Later rules."},
                {"role": "user", "content": "second question"},
            ],
            "system": "Top.",
        },
    )
    assert response.status_code == 200, response.text
    sent = chat_request(fake)
    assert sent.explicit_context.context == "Top.\n\nOpening rules."
    texts = [m.text for m in sent.conversation]
    assert texts == [
        "first question\n\n<system-reminder>\nEnv: linux\n</system-reminder>",
        "an answer",
        "<system-reminder>\nLater rules.\n</system-reminder>",
        "second question",
    ]
    # The fake, like a model, answers the user's words and not the reminders.
    assert response.json()["content"][0]["text"] == "Fake Cursor reply to: second question"


def test_mid_conversation_system_blocks_and_documents(live, pool_token, fake) -> None:
    content = [
        {"type": "text", "text": "look"},
        {"type": "mid_conv_system", "content": [{"type": "text", "text": "be terse"}]},
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "doc body"},
            "title": "T",
        },
    ]
    response = _post(live, {"messages": [{"role": "user", "content": content}]})
    assert response.status_code == 200, response.text
    assert chat_request(fake).conversation[0].text == (
        "look\n<system-reminder>\nbe terse\n</system-reminder>\n[document: T]\ndoc body"
    )


def test_what_claude_code_sends_is_accepted(live, pool_token, fake) -> None:
    betas = (
        "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,some-future-beta"
    )
    response = _post(
        live,
        {
            "stream": True,
            "thinking": {"type": "adaptive", "display": "omitted"},
            "output_config": {"effort": "high"},
            "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
            "metadata": {"user_id": json.dumps({"device_id": "ab" * 32, "session_id": "s"})},
            "cache_control": {"type": "ephemeral"},
            "system": [
                {
                    "type": "text",
                    "text": "You are an agent.",
                    "cache_control": {"type": "ephemeral", "ttl": "1h"},
                }
            ],
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}],
                }
            ],
        },
        path="/v1/messages?beta=true",
        **{"anthropic-beta": betas, "anthropic-version": "2023-06-01", "x-app": "cli"},
    )
    assert response.status_code == 200, response.text
    names = [name for name, _ in sse_events(response.text)]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    # adaptive: the model as named (a -thinking id makes it think)
    assert chat_request(fake).model_details.model_name == MODEL


@pytest.mark.parametrize(
    "thinking, model",
    [
        ({"type": "enabled", "budget_tokens": 2048, "display": "summarized"}, "claude-4.5-sonnet-thinking"),
        ({"type": "disabled"}, MODEL),
        ({"type": "adaptive"}, MODEL),
    ],
)
def test_thinking_types(live, pool_token, fake, thinking, model) -> None:
    response = _post(live, {"thinking": thinking, "messages": user("hi")})
    assert response.status_code == 200, response.text
    assert chat_request(fake).model_details.model_name == model


@pytest.mark.parametrize(
    "extra, param",
    [
        ({"thinking": {"type": "sometimes"}}, "thinking.type"),
        ({"thinking": {"type": "adaptive", "display": "loud"}}, "thinking.display"),
        ({"output_config": {"effort": "extreme"}}, "output_config.effort"),
        ({"output_config": "high"}, "output_config"),
        ({"output_config": {"format": {"type": "json_schema"}}}, "output_config.format.schema"),
        ({"output_format": {"type": "xml"}}, "output_format.type"),
        ({"metadata": {"user_id": 7}}, "metadata.user_id"),
        ({"messages": [{"role": "system", "content": [{"type": "image"}]}]}, "messages[0].content"),
        ({"messages": [{"role": "developer", "content": "x"}]}, "messages[0].role"),
    ],
)
def test_malformed_new_fields_are_clear_400s(live, pool_token, fake, extra, param) -> None:
    response = _post(live, {"messages": user("hi"), **extra})
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert error["error"]["message"].startswith(param + ":")


def test_display_omitted_keeps_the_signature_only(live, pool_token, fake) -> None:
    body = {
        "thinking": {"type": "enabled", "budget_tokens": 1024, "display": "omitted"},
        "messages": user('#fake: thinking="secret musings" reply="Done."'),
    }
    message = _post(live, body).json()
    assert message["content"][0]["type"] == "thinking"
    assert message["content"][0]["thinking"] == "" and message["content"][0]["signature"]
    assert message["usage"]["output_tokens_details"]["thinking_tokens"] > 0
    streamed = _post(live, {**body, "stream": True}).text
    assert "secret musings" not in streamed and "signature_delta" in streamed


TOOL = {
    "name": "lookup",
    "description": "Look a word up",
    "input_schema": {"type": "object", "properties": {}},
}


def test_tool_kinds(live, pool_token, fake) -> None:
    tools = [
        {**TOOL, "cache_control": {"type": "ephemeral"}},
        {"type": "custom", "name": "custom_one", "input_schema": {"type": "object"}},
        {
            "name": "Later",
            "description": "deferred",
            "input_schema": {"type": "object"},
            "defer_loading": True,
        },
        {"type": "bash_20250124", "name": "bash"},
        {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
        {"type": "web_fetch_20250910", "name": "web_fetch"},
        {"type": "code_execution_20250825", "name": "code_execution"},
        {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
        {"type": "mcp_toolset", "mcp_server_name": "docs"},
        {"type": "some_tool_of_2027"},  # newer than this server: accepted, not offered
        {
            "type": "typed_tool_2027",
            "name": "typed",
            "input_schema": {"type": "object"},
        },  # has a schema: offered
    ]
    response = _post(live, {"tools": tools, "messages": user("hi")})
    assert response.status_code == 200, response.text
    offered = {t.name: t for t in chat_request(fake).mcp_tools}
    assert set(offered) == {"lookup", "custom_one", "bash", "str_replace_based_edit_tool", "typed"}
    assert json.loads(offered["bash"].parameters)["properties"]["command"] == {"type": "string"}


def test_a_deferred_tool_is_offered_once_a_tool_search_loaded_it(live, pool_token, fake) -> None:
    deferred = {
        "name": "Later",
        "description": "d",
        "input_schema": {"type": "object"},
        "defer_loading": True,
    }
    messages = [
        *user("find me a tool"),
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "ToolSearch", "input": {"query": "later"}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [{"type": "tool_reference", "tool_name": "Later"}],
                }
            ],
        },
    ]
    search = {"name": "ToolSearch", "description": "s", "input_schema": {"type": "object"}}
    response = _post(live, {"tools": [search, deferred], "messages": messages})
    assert response.status_code == 200, response.text
    sent = chat_request(fake)
    assert [t.name for t in sent.mcp_tools] == ["ToolSearch", "Later"]
    assert "[tool loaded: Later]" in sent.conversation[-1].tool_results[0].result.mcp_result.result


def test_server_tool_blocks_in_history_are_accepted(live, pool_token, fake) -> None:
    messages = [
        *user("search"),
        {
            "role": "assistant",
            "content": [
                {
                    "type": "server_tool_use",
                    "id": "srvtoolu_1",
                    "name": "web_search",
                    "input": {"query": "q"},
                },
                {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                {"type": "text", "text": "found it"},
            ],
        },
        *user("thanks"),
    ]
    response = _post(live, {"messages": messages})
    assert response.status_code == 200, response.text
    assert [m.text for m in chat_request(fake).conversation] == ["search", "found it", "thanks"]


def test_the_message_has_every_required_field(live, pool_token, fake) -> None:
    body = {
        "messages": user('#fake: thinking="hm" reply="Hi."'),
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    message = _post(live, body).json()
    conforms(message, "Message")
    assert message["stop_details"] is None and message["container"] is None
    assert message["content"][1] == {"type": "text", "text": "Hi.", "citations": None}
    usage = message["usage"]
    assert usage["cache_creation_input_tokens"] == 0 and usage["cache_read_input_tokens"] == 0
    assert usage["cache_creation"] == {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
    assert usage["server_tool_use"] == {"web_search_requests": 0, "web_fetch_requests": 0}
    assert usage["service_tier"] == "standard" and usage["inference_geo"] is None
    tool = _post(live, {"tools": [TOOL], "messages": user("""#fake: tool_call='lookup:{"w": 1}'""")}).json()
    conforms(tool, "Message")
    assert tool["content"][0]["caller"] == {"type": "direct"}


def test_every_stream_event_has_its_required_fields(live, pool_token, fake) -> None:
    body = {
        "stream": True,
        "tools": [TOOL],
        "messages": user("""#fake: thinking="hm" reply="Hi." tool_call='lookup:{"w": 1}'"""),
    }
    events = [json.loads(data) for name, data in sse_events(_post(live, body).text) if name != ":"]
    schemas = {
        "message_start": "MessageStartEvent",
        "content_block_start": "ContentBlockStartEvent",
        "content_block_delta": "ContentBlockDeltaEvent",
        "content_block_stop": "ContentBlockStopEvent",
        "message_delta": "MessageDeltaEvent",
        "message_stop": "MessageStopEvent",
    }
    for event in events:
        if event["type"] in schemas:
            conforms(event, schemas[event["type"]])
    start = events[0]["message"]
    assert start["usage"]["cache_read_input_tokens"] == 0 and start["usage"]["service_tier"] == "standard"
    assert {e["content_block"]["type"] for e in events if e["type"] == "content_block_start"} == {
        "thinking",
        "text",
        "tool_use",
    }


async def test_structured_output_fills_response_format() -> None:
    options = chat_options.ChatOptions(
        vision="none", slow_pool=False, long_context=False, web_references=False
    )
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    base = {"model": MODEL, "max_tokens": 10, "messages": user("hi")}
    for body in (
        {**base, "output_config": {"format": {"type": "json_schema", "schema": schema}, "effort": "low"}},
        {**base, "output_format": {"type": "json_schema", "schema": schema}},  # the 2025 beta's name
    ):
        chat = await dialect.parse(body, catalog, {}, options)
        assert chat.response_format == {
            "type": "json_schema",
            "name": "output",
            "schema": schema,
            "strict": True,
            "description": "",
        }
    assert (await dialect.parse(base, catalog, {}, options)).response_format is None


def test_count_tokens_takes_the_same_request(live, pool_token, fake) -> None:
    body = {
        "model": MODEL,
        "thinking": {"type": "adaptive"},
        "tools": [{**TOOL, "defer_loading": True}, {"type": "web_search_20250305", "name": "web_search"}],
        "messages": [*user("count me"), {"role": "system", "content": "Env."}],
    }
    response = post(
        live.url, "/v1/messages/count_tokens?beta=true", body, headers={"anthropic-beta": "x-2099"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["input_tokens"] > 0
    sent = only_request(fake, "GetPromptDryRun").message.stream_unified_chat_request
    assert sent.conversation[0].text == "count me\n\n<system-reminder>\nEnv.\n</system-reminder>"
