"""/v1/chat/completions through the official openai SDK, against the fake upstream on a socket."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib

import openai
import pytest

from cursorapi.upstream.proto import aiserver_pb2 as pb
from tests.api.helpers import chat_request, data_json, last_log, post, sse_events, user
from tests.fixtures import SHARED


def test_non_stream_reply_and_what_cursor_received(openai_client, pool_token, fake) -> None:
    completion = openai_client.chat.completions.create(
        model="gemini-3-pro",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Use English."},
            {"role": "user", "content": "hello"},
        ],
    )
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "Fake Cursor reply to: hello"
    assert choice.finish_reason == "stop"
    assert completion.object == "chat.completion" and completion.model == "gemini-3-pro"
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    assert (
        completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )

    sent = chat_request(fake)
    assert sent.model_details.model_name == "gemini-3-pro-preview"  # the server id
    assert sent.explicit_context.context == "Be brief.\n\nUse English."
    assert [(m.type, m.text) for m in sent.conversation] == [(1, "hello")]
    assert sent.is_chat and sent.unified_mode_name == "Ask" and sent.thinking_level == 2
    assert [h.bubble_id for h in sent.full_conversation_headers_only] == [
        m.bubble_id for m in sent.conversation
    ]
    assert sent.environment_info.cursor_version == b"2.3.21"


def test_stream_chunks_are_shaped_like_openai(live, pool_token, fake) -> None:
    body = {
        "model": "claude-4.5-sonnet",
        "messages": user('#fake: reply="aaa bbb ccc" chunks=3'),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = post(live.url, "/v1/chat/completions", body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert events[-1] == (None, "[DONE]")
    chunks = data_json(events)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "aaa ", "refusal": None}
    assert [c["choices"][0]["delta"] for c in chunks[1:3]] == [{"content": "bbb "}, {"content": "ccc"}]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def test_sdk_stream_joins_to_the_reply(openai_client, pool_token, fake) -> None:
    stream = openai_client.chat.completions.create(
        model="claude-4.5-sonnet", messages=user("hi there"), stream=True
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Fake Cursor reply to: hi there"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_thinking_comes_as_reasoning_content(openai_client, pool_token, fake) -> None:
    message = '#fake: thinking="Let me see." reply=Done'
    completion = openai_client.chat.completions.create(
        model="claude-4.5-sonnet-thinking", messages=user(message)
    )
    assert completion.choices[0].message.content == "Done"
    assert completion.choices[0].message.model_extra["reasoning_content"] == "Let me see."
    chunks = list(
        openai_client.chat.completions.create(
            model="claude-4.5-sonnet-thinking", messages=user(message), stream=True
        )
    )
    reasoning = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks)
    assert reasoning == "Let me see."


def test_thinking_tag_puts_thinking_inline(openai_client, pool_token, fake, settings) -> None:
    settings.THINKING_TAG = "think"
    message = '#fake: thinking="Hmm." reply=Done'
    completion = openai_client.chat.completions.create(
        model="claude-4.5-sonnet-thinking", messages=user(message)
    )
    assert completion.choices[0].message.content == "<think>Hmm.</think>Done"
    chunks = list(
        openai_client.chat.completions.create(
            model="claude-4.5-sonnet-thinking", messages=user(message), stream=True
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "<think>Hmm.</think>Done"


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def test_tool_calls_non_stream(openai_client, pool_token, fake) -> None:
    completion = openai_client.chat.completions.create(
        model="claude-4.5-sonnet",
        messages=user("""#fake: tool_call='get_weather:{"city": "Paris", "unit": "C"}'"""),
        tools=[WEATHER_TOOL],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "C"}
    assert choice.message.content is None

    sent = chat_request(fake)
    assert not sent.is_chat and sent.is_agentic and sent.unified_mode_name == "Agent"
    assert list(sent.supported_tools) == [19] and list(sent.conversation[-1].supported_tools) == [19]
    (tool,) = sent.mcp_tools
    assert (tool.name, tool.server_name) == ("get_weather", "custom")
    assert json.loads(tool.parameters)["required"] == ["city"]


def test_tool_calls_stream_like_openai(openai_client, pool_token, fake) -> None:
    chunks = list(
        openai_client.chat.completions.create(
            model="claude-4.5-sonnet",
            messages=user(
                """#fake: tool_call='get_weather:{"city": "Paris"}' tool_call='get_time:{"tz": "CET"}'"""
            ),
            tools=[WEATHER_TOOL],
            stream=True,
        )
    )
    calls: dict[int, dict] = {}
    for chunk in chunks:
        for call in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            entry = calls.setdefault(call.index, {"arguments": ""})
            if call.id:
                assert call.type == "function" and call.function.name and "id" not in entry
                entry.update(id=call.id, name=call.function.name)
            entry["arguments"] += call.function.arguments or ""
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris"}
    assert json.loads(calls[1]["arguments"]) == {"tz": "CET"}
    assert calls[0]["id"] != calls[1]["id"]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_tool_results_go_back_as_cursor_tool_history(openai_client, pool_token, fake) -> None:
    first = openai_client.chat.completions.create(
        model="claude-4.5-sonnet",
        messages=user("""#fake: tool_call='get_weather:{"city": "Paris"}'"""),
        tools=[WEATHER_TOOL],
    )
    call = first.choices[0].message.tool_calls[0]
    fake.clear()
    openai_client.chat.completions.create(
        model="claude-4.5-sonnet",
        messages=[
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "18 degrees"},
        ],
        tools=[WEATHER_TOOL],
    )
    sent = chat_request(fake)
    assert [m.type for m in sent.conversation] == [1, 2]
    (result,) = sent.conversation[1].tool_results
    assert result.tool_call_id == "toolu_fake_01" and result.model_call_id == "mc_fake_01"
    assert json.loads(result.raw_args) == {"city": "Paris"}
    assert result.result.mcp_result.selected_tool == "get_weather"
    assert json.loads(result.result.mcp_result.result)["content"][0]["text"] == "18 degrees"


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00" * width * 3 for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


def _image_message(url: str) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


def test_images_from_data_urls_reach_cursor(openai_client, pool_token, fake) -> None:
    png = _png(3, 2)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    openai_client.chat.completions.create(model="claude-4.5-sonnet", messages=_image_message(url))
    (message,) = chat_request(fake).conversation
    assert message.text == "what is this?"
    (image,) = message.images
    assert image.data == png and (image.dimension.width, image.dimension.height) == (3, 2)


@pytest.mark.parametrize(
    ("vision", "url", "problem"),
    [
        ("none", "data:image/png;base64,AAAA", "disabled"),
        ("base64", "https://example.com/cat.png", "only base64"),
        ("all", "http://127.0.0.1:1/cat.png", "private"),
        ("base64", "data:image/png;base64,bm90IGFuIGltYWdl", "PNG, JPEG"),
    ],
)
def test_refused_images_are_400s(openai_client, pool_token, fake, settings, vision, url, problem) -> None:
    settings.VISION_ABILITY = vision
    with pytest.raises(openai.BadRequestError) as info:
        openai_client.chat.completions.create(model="claude-4.5-sonnet", messages=_image_message(url))
    assert problem in info.value.message
    assert fake.requests_to("StreamUnifiedChatWithTools") == []


def test_a_model_without_vision_refuses_images(openai_client, pool_token, fake) -> None:
    url = "data:image/png;base64," + base64.b64encode(_png(1, 1)).decode()
    with pytest.raises(openai.BadRequestError, match="does not accept images"):
        openai_client.chat.completions.create(model="cursor-small", messages=_image_message(url))


def test_model_suffixes_resolve(openai_client, pool_token, fake) -> None:
    openai_client.chat.completions.create(model="claude-4.5-sonnet-max-online", messages=user("hi"))
    sent = chat_request(fake)
    assert sent.model_details.model_name == "claude-4.5-sonnet"
    assert sent.model_details.max_mode is True and sent.use_web == "full_search"


def test_unknown_model_is_a_404_model_not_found(openai_client, pool_token, fake) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        openai_client.chat.completions.create(model="gpt-9000", messages=user("hi"))
    assert info.value.code == "model_not_found"
    assert info.value.body["param"] == "model"


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"model": "claude-4.5-sonnet", "messages": []}, "messages"),
        (
            {"model": "claude-4.5-sonnet", "messages": [{"role": "wizard", "content": "x"}]},
            "messages[0].role",
        ),
        ({"model": "claude-4.5-sonnet", "messages": user("x"), "stream": "yes"}, "stream"),
        ({"model": "claude-4.5-sonnet", "messages": user("x"), "max_tokens": 0}, "max_tokens"),
        (
            {"model": "claude-4.5-sonnet", "messages": [{"role": "tool", "content": "x"}]},
            "messages[0].tool_call_id",
        ),
        ({"model": "claude-4.5-sonnet", "messages": user("x"), "tools": [{"type": "function"}]}, "tools[0]"),
    ],
)
def test_bad_requests_name_the_parameter(live, pool_token, fake, payload, param) -> None:
    response = post(live.url, "/v1/chat/completions", payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error" and error["message"]


def test_malformed_json_and_oversized_bodies(live, pool_token, fake, settings) -> None:
    import httpx

    headers = {"Authorization": "Bearer test-admin-token", "Content-Type": "application/json"}
    response = httpx.post(f"{live.url}/v1/chat/completions", content=b"{nope", headers=headers)
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]["message"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.REQUEST_BODY_LIMIT = 100
    response = post(live.url, "/v1/chat/completions", {"model": "x", "messages": user("y" * 500)})
    assert response.status_code == 413 and response.json()["error"]["type"] == "request_too_large"


def test_auth_is_required_and_checked(live, pool_token, fake) -> None:
    import httpx

    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    missing = httpx.post(f"{live.url}/v1/chat/completions", json=body)
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "authentication_error"
    wrong = post(live.url, "/v1/chat/completions", body, key="nope")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    shared = post(live.url, "/v1/chat/completions", body, key=SHARED)
    assert shared.status_code == 200
    by_header = httpx.post(f"{live.url}/v1/chat/completions", json=body, headers={"x-api-key": SHARED})
    assert by_header.status_code == 200


def test_request_id_is_echoed_or_made_and_logged(live, pool_token, fake) -> None:
    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    echoed = post(live.url, "/v1/chat/completions", body, headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["X-Request-ID"] == "trace-123"
    assert last_log().request_id == "trace-123"
    made = post(live.url, "/v1/chat/completions", body)
    assert len(made.headers["X-Request-ID"]) == 32 and last_log().request_id == made.headers["X-Request-ID"]


def test_max_tokens_stops_early_with_length(openai_client, pool_token, fake) -> None:
    completion = openai_client.chat.completions.create(
        model="claude-4.5-sonnet", messages=user('#fake: reply="' + "word " * 200 + '"'), max_tokens=5
    )
    assert completion.choices[0].finish_reason == "length"
    assert 0 < len(completion.choices[0].message.content) < 60


def test_models_list_has_the_capability_fields(live, fake) -> None:
    import httpx

    data = httpx.get(f"{live.url}/v1/models").json()
    assert data["object"] == "list"
    sonnet = next(m for m in data["data"] if m["id"] == "claude-4.5-sonnet-thinking")
    assert sonnet["object"] == "model" and sonnet["owned_by"] == "anthropic"
    assert sonnet["supports_thinking"] is True and sonnet["supports_images"] is True
    assert {"supports_max_mode", "supports_non_max_mode", "display_name", "created"} <= sonnet.keys()
    assert fake.received == []  # no credentials: no upstream call
    assert httpx.get(f"{live.url}/v1/models", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_models_refresh_from_cursor_and_survive_its_failure(openai_client, pool_token, fake) -> None:
    from django.core.management import CommandError, call_command

    assert "composer-2" not in [m.id for m in openai_client.models.list()]
    assert fake.requests_to("AiService/AvailableModels") == []  # never on a request's path
    call_command("refresh_models", stdout=io.StringIO())
    ids = [m.id for m in openai_client.models.list()]
    assert "composer-2" in ids  # only in the fake's list
    assert len(fake.requests_to("AiService/AvailableModels")) == 1

    fake.revoke(pool_token.primary_token)  # now Cursor refuses every token: the stored list stays
    with pytest.raises(CommandError):
        call_command("refresh_models", stdout=io.StringIO())
    assert "composer-2" in [m.id for m in openai_client.models.list()]


def test_empty_messages_content_and_assistant_first(openai_client, pool_token, fake) -> None:
    openai_client.chat.completions.create(
        model="claude-4.5-sonnet",
        messages=[
            {"role": "assistant", "content": "Hi, how can I help?"},
            {"role": "user", "content": "hello"},
        ],
    )
    sent = chat_request(fake)
    assert [(m.type, m.text) for m in sent.conversation] == [
        (1, ""),
        (2, "Hi, how can I help?"),
        (1, "hello"),
    ]
    assert sent.conversation[1].HasField("server_bubble_id")


def test_count_of_pb_frames_sent_matches_one_envelope(live, pool_token, fake) -> None:
    post(live.url, "/v1/chat/completions", {"model": "claude-4.5-sonnet", "messages": user("x")})
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert seen.body[0] in (0, 1) and int.from_bytes(seen.body[1:5], "big") == len(seen.body) - 5
    assert isinstance(seen.message, pb.StreamUnifiedChatRequestWithTools)
