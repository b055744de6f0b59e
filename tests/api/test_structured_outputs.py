"""Structured outputs (`response_format`) through the server, with the fake following the schema."""

from __future__ import annotations

import json

import jsonschema
import openai
import pytest

from chatlogs.models import Status
from cursorapi.chat import structured
from tests.api.helpers import data_json, last_log, post, sse_events, user

MODEL = "claude-4.5-sonnet"
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "role": {"enum": ["admin", "user"]},
    },
    "required": ["name", "age", "tags", "role"],
    "additionalProperties": False,
}
AS_PERSON = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON, "strict": True}}


def _chats(fake):
    return [r.message.stream_unified_chat_request for r in fake.requests_to("StreamUnifiedChatWithTools")]


def test_the_model_is_told_and_the_reply_is_schema_valid(openai_client, pool_token, fake) -> None:
    completion = openai_client.chat.completions.create(
        model=MODEL, messages=user("who is Ada? #1"), response_format=AS_PERSON
    )
    content = completion.choices[0].message.content
    jsonschema.validate(json.loads(content), PERSON)
    assert completion.choices[0].finish_reason == "stop"
    (sent,) = _chats(fake)
    # The schema is in Cursor's instructions, and the user's message ends with a reminder.
    assert structured.SCHEMA_HEADING in sent.explicit_context.context
    assert '"additionalProperties": false' in sent.explicit_context.context
    assert sent.conversation[-1].text.endswith(structured.REMINDER)


@pytest.mark.parametrize("mode", ["fenced", "plain"])
def test_a_code_fence_around_the_json_is_stripped(openai_client, pool_token, fake, mode) -> None:
    completion = openai_client.chat.completions.create(
        model=MODEL, messages=user(f"who?\n#fake: json={mode}"), response_format=AS_PERSON
    )
    content = completion.choices[0].message.content
    assert content.startswith("{") and content.endswith("}")
    jsonschema.validate(json.loads(content), PERSON)


def test_a_reply_off_the_schema_is_retried_once_with_the_problem(openai_client, pool_token, fake) -> None:
    completion = openai_client.chat.completions.create(
        model=MODEL,
        messages=user("""who?\n#fake: reply='{"name": "Ada"}'"""),
        response_format=AS_PERSON,
    )
    jsonschema.validate(json.loads(completion.choices[0].message.content), PERSON)
    _first, second = _chats(fake)
    # The retry shows the model its reply and what was wrong with it.
    assert [m.type for m in second.conversation] == [1, 2, 1]
    assert second.conversation[1].text == '{"name": "Ada"}'
    assert "'age' is a required property" in second.conversation[2].text
    assert last_log().status == Status.SUCCESS


def test_a_reply_that_fails_twice_is_a_502_in_the_dialects_shape(live, pool_token, fake) -> None:
    body = {"model": MODEL, "messages": user("who?\n#fake: json=invalid"), "response_format": AS_PERSON}
    response = post(live.url, "/v1/chat/completions", body)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "invalid_structured_output" and "not valid JSON" in error["message"]
    assert len(_chats(fake)) == 2
    log = last_log()
    assert log.status == Status.FAILURE and log.http_status == 502


def test_streaming_strips_the_fence_on_the_fly(openai_client, pool_token, fake) -> None:
    chunks = list(
        openai_client.chat.completions.create(
            model=MODEL,
            messages=user("who?\n#fake: json=fenced chunks=9"),
            response_format=AS_PERSON,
            stream=True,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "```" not in text
    jsonschema.validate(json.loads(text), PERSON)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_streaming_a_bad_reply_ends_with_an_in_band_error(live, pool_token, fake) -> None:
    body = {
        "model": MODEL,
        "messages": user("who?\n#fake: json=invalid chunks=4"),
        "response_format": AS_PERSON,
        "stream": True,
    }
    response = post(live.url, "/v1/chat/completions", body)
    assert response.status_code == 200
    chunks = data_json(sse_events(response.text))
    assert chunks[-1]["error"]["code"] == "invalid_structured_output"
    assert not any(c.get("choices") and c["choices"][0]["finish_reason"] for c in chunks[:-1])
    assert response.text.endswith("data: [DONE]\n\n")
    assert len(_chats(fake)) == 1  # no retry once text has left
    assert last_log().status == Status.FAILURE


def test_streaming_with_the_sdk_raises_on_a_bad_reply(openai_client, pool_token, fake) -> None:
    stream = openai_client.chat.completions.create(
        model=MODEL, messages=user("who?\n#fake: json=invalid"), response_format=AS_PERSON, stream=True
    )
    with pytest.raises(openai.APIError, match="structured output"):
        list(stream)


def test_json_object_mode(openai_client, pool_token, fake) -> None:
    completion = openai_client.chat.completions.create(
        model=MODEL, messages=user("Answer in JSON: who?"), response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(completion.choices[0].message.content), dict)
    (sent,) = _chats(fake)
    assert "one JSON object and nothing else" in sent.explicit_context.context


def test_text_format_and_no_format_leave_the_reply_alone(openai_client, pool_token, fake) -> None:
    for extra in ({}, {"response_format": {"type": "text"}}):
        completion = openai_client.chat.completions.create(model=MODEL, messages=user("hi"), **extra)
        assert completion.choices[0].message.content == "Fake Cursor reply to: hi"
    assert all("Output format" not in c.explicit_context.context for c in _chats(fake))


def test_tool_calls_pass_through_unchecked(openai_client, pool_token, fake) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    completion = openai_client.chat.completions.create(
        model=MODEL,
        messages=user("""#fake: tool_call='lookup:{"q": "Ada"}'"""),
        tools=[tool],
        response_format=AS_PERSON,
    )
    assert completion.choices[0].finish_reason == "tool_calls"
    assert len(_chats(fake)) == 1


@pytest.mark.parametrize(
    ("response_format", "param"),
    [
        ("json", "response_format"),
        ({"type": "yaml"}, "response_format.type"),
        ({"type": "json_schema"}, "response_format.json_schema"),
        ({"type": "json_schema", "json_schema": {"schema": PERSON}}, "response_format.json_schema.name"),
        ({"type": "json_schema", "json_schema": {"name": "a b"}}, "response_format.json_schema.name"),
        (
            {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "objekt"}}},
            "response_format.json_schema.schema",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "p", "schema": []}},
            "response_format.json_schema.schema",
        ),
    ],
)
def test_a_bad_response_format_is_a_400_naming_it(live, pool_token, fake, response_format, param) -> None:
    body = {"model": MODEL, "messages": user("hi"), "response_format": response_format}
    response = post(live.url, "/v1/chat/completions", body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert _chats(fake) == []


def test_thinking_stays_out_of_the_json_even_with_a_thinking_tag(
    openai_client, pool_token, fake, settings
) -> None:
    settings.THINKING_TAG = "think"
    completion = openai_client.chat.completions.create(
        model="claude-4.5-sonnet-thinking",
        messages=user('who?\n#fake: thinking="Hmm." json=plain'),
        response_format=AS_PERSON,
    )
    message = completion.choices[0].message
    jsonschema.validate(json.loads(message.content), PERSON)
    assert message.model_extra["reasoning_content"] == "Hmm."


@pytest.mark.parametrize(
    ("directive", "stream"),
    [
        ("json=fenced", True),
        ("""reply='{"name": 1}'""", False),
        ("json=invalid", True),
        ("json=invalid", False),
    ],
)
def test_a_structured_chat_leaves_no_reference_cycles(live, pool_token, fake, stream, directive) -> None:
    from tests.api.test_request_garbage import _server_garbage

    body = {
        "model": MODEL,
        "messages": user(f"who?\n#fake: {directive}"),
        "response_format": AS_PERSON,
        "stream": stream,
    }
    assert _server_garbage(lambda: post(live.url, "/v1/chat/completions", body)) == []
