"""/v1/messages through the official anthropic SDK, against the fake upstream on a socket."""

from __future__ import annotations

import base64
import json

import anthropic
import pytest

from tests.api.helpers import chat_request, last_log, post, sse_events, user
from tests.api.test_openai import _png

MODEL = "claude-4.5-sonnet"


def test_non_stream_message(anthropic_client, pool_token, fake) -> None:
    message = anthropic_client.messages.create(
        model=MODEL,
        max_tokens=100,
        system=[{"type": "text", "text": "Be brief."}],
        messages=user("hello"),
    )
    assert message.type == "message" and message.role == "assistant" and message.model == MODEL
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "Fake Cursor reply to: hello"
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0
    sent = chat_request(fake)
    assert sent.explicit_context.context == "Be brief."
    assert last_log().dialect == "anthropic"


def test_stream_event_sequence(live, pool_token, fake) -> None:
    response = post(
        live.url,
        "/v1/messages",
        {
            "model": MODEL,
            "max_tokens": 50,
            "stream": True,
            "messages": user('#fake: reply="aaa bbb" thinking="hm"'),
        },
    )
    assert response.status_code == 200
    names = [name for name, _ in sse_events(response.text)]
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",  # thinking
        "content_block_delta",  # signature
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    payloads = [json.loads(data) for _, data in sse_events(response.text)]
    assert all(p["type"] == n for p, n in zip(payloads, names, strict=True))
    assert payloads[0]["message"]["stop_reason"] is None and payloads[0]["message"]["content"] == []
    assert payloads[2]["content_block"]["type"] == "thinking" and payloads[2]["index"] == 0
    assert payloads[4]["delta"]["type"] == "signature_delta"
    assert payloads[6] == {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "text", "text": "", "citations": None},
    }
    assert payloads[-2]["delta"] == {
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "stop_details": None,
        "container": None,
    }


def test_sdk_stream_accumulates_thinking_and_text(anthropic_client, pool_token, fake) -> None:
    with anthropic_client.messages.stream(
        model=MODEL,
        max_tokens=100,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=user('#fake: thinking="Let me think." reply="Answer."'),
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == "Let me think." and final.content[0].signature
    assert final.content[1].text == "Answer."
    # `thinking` picks the model's thinking twin.
    assert chat_request(fake).model_details.model_name == "claude-4.5-sonnet-thinking"


TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


def test_tool_use_non_stream_and_stream(anthropic_client, pool_token, fake) -> None:
    prompt = user("""#fake: tool_call='get_weather:{"city": "Paris"}'""")
    message = anthropic_client.messages.create(model=MODEL, max_tokens=100, tools=TOOLS, messages=prompt)
    assert message.stop_reason == "tool_use"
    (block,) = message.content
    assert block.type == "tool_use" and block.name == "get_weather" and block.input == {"city": "Paris"}

    with anthropic_client.messages.stream(
        model=MODEL, max_tokens=100, tools=TOOLS, messages=prompt
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert final.content[0].input == {"city": "Paris"} and final.content[0].id == block.id


def test_tool_results_go_back_to_cursor(anthropic_client, pool_token, fake) -> None:
    first = anthropic_client.messages.create(
        model=MODEL,
        max_tokens=100,
        tools=TOOLS,
        messages=user("""#fake: tool_call='get_weather:{"city": "Oslo"}'"""),
    )
    call = first.content[0]
    fake.clear()
    anthropic_client.messages.create(
        model=MODEL,
        max_tokens=100,
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "weather in Oslo?"},
            {"role": "assistant", "content": [call.model_dump()]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": call.id,
                        "content": [{"type": "text", "text": "-3 C"}],
                    },
                    {"type": "text", "text": "and tomorrow?"},
                ],
            },
        ],
    )
    sent = chat_request(fake)
    assert [m.type for m in sent.conversation] == [1, 2, 1]
    result = sent.conversation[1].tool_results[0]
    assert result.tool_call_id == "toolu_fake_01" and json.loads(result.raw_args) == {"city": "Oslo"}
    assert "-3 C" in result.result.mcp_result.result
    assert sent.conversation[2].text == "and tomorrow?"


def test_images_reach_cursor(anthropic_client, pool_token, fake) -> None:
    png = _png(4, 4)
    anthropic_client.messages.create(
        model=MODEL,
        max_tokens=10,
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": base64.b64encode(png).decode(),
                        },
                    },
                    {"type": "text", "text": "describe"},
                ],
            }
        ],
    )
    (message,) = chat_request(fake).conversation
    assert message.images[0].data == png and message.text == "describe"


def test_errors_are_in_anthropics_shape(anthropic_client, live, pool_token, fake) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        anthropic_client.messages.create(model="claude-99", max_tokens=10, messages=user("hi"))
    assert info.value.body["type"] == "error" and info.value.body["error"]["type"] == "not_found_error"

    missing = post(live.url, "/v1/messages", {"model": MODEL, "messages": user("hi")})
    assert missing.status_code == 400
    assert missing.json() == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "max_tokens: max_tokens is required and must be a positive integer",
        },
    }

    with pytest.raises(anthropic.RateLimitError):
        anthropic_client.messages.create(
            model=MODEL, max_tokens=10, messages=user("#fake: error=resource_exhausted")
        )

    bad = anthropic.Anthropic(base_url=live.url, api_key="wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model=MODEL, max_tokens=10, messages=user("hi"))


def test_mid_stream_error_is_an_error_event(live, pool_token, fake) -> None:
    response = post(
        live.url,
        "/v1/messages",
        {
            "model": MODEL,
            "max_tokens": 50,
            "stream": True,
            "messages": user("#fake: chunks=3 error_after=1 error=unavailable"),
        },
    )
    events = sse_events(response.text)
    assert events[-1][0] == "error"
    assert json.loads(events[-1][1])["error"]["type"] == "overloaded_error"


def test_count_tokens(anthropic_client, pool_token, fake) -> None:
    count = anthropic_client.messages.count_tokens(model=MODEL, messages=user("a" * 400))
    assert count.input_tokens == 100
    assert len(fake.requests_to("GetPromptDryRun")) == 1


def test_models_in_anthropic_shape(anthropic_client, live, fake) -> None:
    page = anthropic_client.models.list()
    ids = [m.id for m in page.data]
    assert "claude-4.5-sonnet" in ids and all(m.type == "model" for m in page.data)
