"""/v1/responses through the official openai SDK and raw HTTP, against the fake upstream on a socket."""

from __future__ import annotations

import io
import json

import httpx
import openai
import pytest

from tests.api.helpers import chat_request, last_log, post, sse_events
from tests.fixtures import AUTH, SHARED

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_create_non_stream_reply_and_what_cursor_received(openai_client, pool_token, fake) -> None:
    response = openai_client.responses.create(
        model="gemini-3-pro",
        instructions="Be brief.",
        input=[
            {"role": "developer", "content": "Use English."},
            {"role": "user", "content": [{"type": "input_text", "text": "hello"}]},
        ],
        metadata={"team": "a"},
    )
    assert response.output_text == "Fake Cursor reply to: hello"
    assert response.status == "completed" and response.object == "response"
    assert response.id.startswith("resp_") and response.model == "gemini-3-pro"
    (message,) = response.output
    assert message.type == "message" and message.role == "assistant" and message.status == "completed"
    assert message.content[0].type == "output_text" and message.content[0].annotations == []
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.metadata == {"team": "a"} and response.store is True

    sent = chat_request(fake)
    assert sent.explicit_context.context == "Be brief.\n\nUse English."
    assert [(m.type, m.text) for m in sent.conversation] == [(1, "hello")]
    log = last_log()
    assert log.dialect == "responses" and log.status == "success"


def _events(text: str) -> list[dict]:
    """The typed events of a Responses stream; each SSE event name matches its `type`."""
    out = []
    for name, data in sse_events(text):
        if name == ":":
            continue
        event = json.loads(data)
        assert event["type"] == name
        out.append(event)
    return out


def test_stream_event_sequence_follows_the_spec(live, pool_token, fake) -> None:
    body = {"model": "claude-4.5-sonnet", "input": '#fake: reply="aaa bbb ccc" chunks=3', "stream": True}
    response = post(live.url, "/v1/responses", body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert [e["delta"] for e in events[4:7]] == ["aaa ", "bbb ", "ccc"]
    item_id = events[2]["item"]["id"]
    assert all(e["item_id"] == item_id and e["output_index"] == 0 for e in events[3:9])
    assert events[0]["response"]["status"] == "in_progress" and events[0]["response"]["output"] == []
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["usage"]["output_tokens"] > 0
    assert done["output"][0]["content"][0]["text"] == "aaa bbb ccc"
    assert "[DONE]" not in response.text


def test_sdk_stream_retrieve_and_previous_response_id(openai_client, pool_token, fake) -> None:
    with openai_client.responses.stream(model="claude-4.5-sonnet", input="My name is Alice.") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        first = stream.get_final_response()
    assert "".join(deltas) == "Fake Cursor reply to: My name is Alice." == first.output_text

    # Stored before the stream completed: retrievable at once, from any worker (the database).
    again = openai_client.responses.retrieve(first.id)
    assert again.id == first.id and again.output_text == first.output_text

    fake.clear()
    second = openai_client.responses.create(
        model="claude-4.5-sonnet", input="What is my name?", previous_response_id=first.id
    )
    assert second.previous_response_id == first.id
    sent = chat_request(fake)
    assert [(m.type, m.text) for m in sent.conversation] == [
        (1, "My name is Alice."),
        (2, "Fake Cursor reply to: My name is Alice."),
        (1, "What is my name?"),
    ]
    # The chain goes on from the second one: one read, the whole conversation.
    fake.clear()
    openai_client.responses.create(model="claude-4.5-sonnet", input="Again?", previous_response_id=second.id)
    assert len(chat_request(fake).conversation) == 5

    items = openai_client.responses.input_items.list(second.id)
    assert [i.content[0].text for i in items.data] == ["What is my name?"]


def test_stored_responses_belong_to_their_caller(openai_client, live, pool_token, fake) -> None:
    mine = openai_client.responses.create(model="claude-4.5-sonnet", input="secret")
    other = openai.OpenAI(base_url=f"{live.url}/v1", api_key=SHARED, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        other.responses.retrieve(mine.id)
    with pytest.raises(openai.NotFoundError):
        other.responses.delete(mine.id)
    with pytest.raises(openai.NotFoundError):
        other.responses.input_items.list(mine.id)
    with pytest.raises(openai.BadRequestError) as info:
        other.responses.create(model="claude-4.5-sonnet", input="x", previous_response_id=mine.id)
    assert info.value.body["code"] == "previous_response_not_found"

    openai_client.responses.delete(mine.id)
    with pytest.raises(openai.NotFoundError) as gone:
        openai_client.responses.retrieve(mine.id)
    assert gone.value.response.json()["error"]["type"] == "invalid_request_error"


def test_store_false_keeps_nothing(openai_client, pool_token, fake) -> None:
    response = openai_client.responses.create(model="claude-4.5-sonnet", input="hi", store=False)
    assert response.store is False
    with pytest.raises(openai.NotFoundError):
        openai_client.responses.retrieve(response.id)


def test_function_calls_and_their_outputs_round_trip(openai_client, pool_token, fake) -> None:
    first = openai_client.responses.create(
        model="claude-4.5-sonnet",
        input="""#fake: tool_call='get_weather:{"city": "Paris"}'""",
        tools=[WEATHER],
        store=False,
    )
    (call,) = first.output
    assert call.type == "function_call" and call.name == "get_weather" and call.status == "completed"
    assert json.loads(call.arguments) == {"city": "Paris"} and call.call_id
    sent = chat_request(fake)
    assert [(t.name, t.server_name) for t in sent.mcp_tools] == [("get_weather", "custom")]

    fake.clear()
    second = openai_client.responses.create(
        model="claude-4.5-sonnet",
        input=[
            {"role": "user", "content": "weather?"},
            call.model_dump(exclude_none=True),
            {"type": "function_call_output", "call_id": call.call_id, "output": "18 degrees"},
        ],
        tools=[WEATHER],
        store=False,
    )
    assert second.status == "completed"
    sent = chat_request(fake)
    assert [m.type for m in sent.conversation] == [1, 2]
    (result,) = sent.conversation[1].tool_results
    assert result.result.mcp_result.selected_tool == "get_weather"
    assert json.loads(result.result.mcp_result.result)["content"][0]["text"] == "18 degrees"


def test_function_call_stream_events(live, pool_token, fake) -> None:
    body = {
        "model": "claude-4.5-sonnet",
        "input": """#fake: reply=Checking. tool_call='get_weather:{"city": "Paris"}'""",
        "tools": [WEATHER],
        "stream": True,
    }
    events = _events(post(live.url, "/v1/responses", body).text)
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "response.completed"
    call_added = next(
        e for e in events if e["type"] == "response.output_item.added" and e["output_index"] == 1
    )
    assert call_added["item"]["type"] == "function_call" and call_added["item"]["name"] == "get_weather"
    # The message is done before the call starts; the call's arguments stream, then are done.
    assert kinds.index("response.output_item.done") < kinds.index("response.function_call_arguments.delta")
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta")
    done = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    assert json.loads(done["arguments"]) == {"city": "Paris"} and deltas == done["arguments"]
    assert [i["type"] for i in events[-1]["response"]["output"]] == ["message", "function_call"]


def test_namespace_tools_are_offered_flat_and_called_back_by_namespace(
    openai_client, pool_token, fake
) -> None:
    namespace = {
        "type": "namespace",
        "name": "crm",
        "description": "Customer records",
        "tools": [{**WEATHER, "name": "lookup"}],
    }
    response = openai_client.responses.create(
        model="claude-4.5-sonnet",
        input="""#fake: tool_call='crm__lookup:{"city": "Oslo"}'""",
        tools=[namespace, {"type": "web_search"}, {"type": "file_search", "vector_store_ids": ["vs_1"]}],
    )
    (call,) = response.output
    assert (call.name, call.namespace) == ("lookup", "crm")
    sent = chat_request(fake)
    assert [t.name for t in sent.mcp_tools] == ["crm__lookup"]
    assert sent.use_web == "full_search"  # web_search maps to Cursor's web search

    fake.clear()
    openai_client.responses.create(
        model="claude-4.5-sonnet", input="hi", tools=[{"type": "web_search", "external_web_access": False}]
    )
    assert chat_request(fake).use_web == ""  # cached-only search asked: Cursor has only live search


def test_reasoning_comes_as_a_reasoning_item_with_summary(live, openai_client, pool_token, fake) -> None:
    response = openai_client.responses.create(
        model="claude-4.5-sonnet-thinking",
        input='#fake: thinking="Let me see." reply=Done',
        reasoning={"effort": "high", "summary": "auto"},
        include=["reasoning.encrypted_content"],
        store=False,
    )
    reasoning, message = response.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text == "Let me see."
    assert reasoning.encrypted_content and message.content[0].text == "Done"

    # Sent back (store: false, as Codex does), the thinking is replayed to Cursor.
    fake.clear()
    openai_client.responses.create(
        model="claude-4.5-sonnet-thinking",
        input=[
            {"role": "user", "content": "q"},
            reasoning.model_dump(exclude_none=True),
            message.model_dump(exclude_none=True),
            {"role": "user", "content": "and?"},
        ],
        store=False,
    )
    replayed = chat_request(fake).conversation[1]
    assert replayed.thinking.text == "Let me see." and replayed.thinking.signature

    events = _events(
        post(
            live.url,
            "/v1/responses",
            {
                "model": "claude-4.5-sonnet-thinking",
                "input": '#fake: thinking="Hmm." reply=Ok',
                "stream": True,
            },
        ).text
    )
    kinds = [e["type"] for e in events]
    assert kinds[2:8] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]


def test_max_output_tokens_makes_an_incomplete_response(openai_client, pool_token, fake) -> None:
    response = openai_client.responses.create(
        model="claude-4.5-sonnet",
        input='#fake: reply="' + "word " * 200 + '" chunks=50',
        max_output_tokens=16,
    )
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"


def test_errors_before_the_first_event_have_their_status(openai_client, pool_token, fake) -> None:
    with pytest.raises(openai.RateLimitError):
        openai_client.responses.create(model="claude-4.5-sonnet", input="#fake: error=resource_exhausted")
    with pytest.raises(openai.NotFoundError) as info:
        openai_client.responses.create(model="claude-99", input="hi")
    assert info.value.body["code"] == "model_not_found"


def test_a_mid_stream_error_travels_in_band(live, pool_token, fake) -> None:
    body = {
        "model": "claude-4.5-sonnet",
        "stream": True,
        "input": "#fake: chunks=3 error_after=1 error=unavailable",
    }
    response = post(live.url, "/v1/responses", body)
    assert response.status_code == 200
    events = _events(response.text)
    assert [e["type"] for e in events[-2:]] == ["error", "response.failed"]
    assert events[-2]["message"] and events[-2]["error"]["message"] == events[-2]["message"]
    assert events[-1]["response"]["status"] == "failed" and events[-1]["response"]["error"]["message"]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


@pytest.mark.parametrize(
    "payload, param",
    [
        ({"input": "hi"}, "model"),
        ({"model": "claude-4.5-sonnet"}, "input"),
        ({"model": "claude-4.5-sonnet", "input": 5}, "input"),
        ({"model": "claude-4.5-sonnet", "input": [{"type": "bogus"}]}, "input[0].type"),
        ({"model": "claude-4.5-sonnet", "input": "hi", "tools": [{"type": "function"}]}, "tools[0].name"),
        ({"model": "claude-4.5-sonnet", "input": "hi", "max_output_tokens": 0}, "max_output_tokens"),
        ({"model": "claude-4.5-sonnet", "input": "hi", "previous_response_id": 7}, "previous_response_id"),
        ({"model": "claude-4.5-sonnet", "input": "hi", "text": {"format": {"type": "xml"}}}, "text.format"),
    ],
)
def test_bad_requests_are_json_400s_naming_the_parameter(live, pool_token, fake, payload, param) -> None:
    response = post(live.url, "/v1/responses", payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param


def test_codex_shaped_request_is_accepted(live, pool_token, fake) -> None:
    """What Codex sends: developer messages, namespace + hosted tools, reasoning, include, cache key."""
    body = {
        "model": "claude-4.5-sonnet",
        "instructions": "You are Codex.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<perms/>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        ],
        "tools": [
            {"type": "function", "name": "shell", "parameters": {"type": "object"}, "strict": False},
            {
                "type": "custom",
                "name": "apply_patch",
                "format": {"type": "grammar", "syntax": "lark", "definition": "x"},
            },
            {"type": "web_search", "external_web_access": False},
            {"type": "local_shell"},
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "abc",
        "truncation": "auto",
    }
    events = _events(post(live.url, "/v1/responses", body).text)
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["prompt_cache_key"] == "abc"
    assert events[-1]["response"]["parallel_tool_calls"] is False


def test_custom_tool_calls_come_back_as_custom_tool_call_items(openai_client, pool_token, fake) -> None:
    response = openai_client.responses.create(
        model="claude-4.5-sonnet",
        input="""#fake: tool_call='apply_patch:{"input": "*** Begin Patch"}'""",
        tools=[{"type": "custom", "name": "apply_patch", "description": "Edit files"}],
    )
    (call,) = response.output
    assert call.type == "custom_tool_call" and call.input == "*** Begin Patch"


def test_logged_counted_and_filterable_as_responses(openai_client, live, pool_token, fake) -> None:
    openai_client.responses.create(model="claude-4.5-sonnet", input="hi")
    log = last_log()
    assert log.dialect == "responses" and log.status == "success"
    metrics = httpx.get(f"{live.url}/metrics", headers={"Authorization": f"Bearer {AUTH}"}).text
    assert 'cursorapi_requests_total{dialect="responses",status="success",http_status="200"} 1' in metrics
    openai_client.chat.completions.create(
        model="claude-4.5-sonnet", messages=[{"role": "user", "content": "x"}]
    )
    found = post(live.url, "/logs/get", {"query": {"dialect": "responses"}}).json()
    assert found["total"] == 1 and found["logs"][0]["dialect"] == "responses"


def test_named_keys_model_list_applies(live, pool_token, fake) -> None:
    from tokens import keys

    _, secret = keys.create("narrow", models=["gpt-5.1"])
    response = post(live.url, "/v1/responses", {"model": "claude-4.5-sonnet", "input": "hi"}, key=secret)
    assert response.status_code == 403 and "claude-4.5-sonnet" in response.json()["error"]["message"]
    # A key's stored responses are its own: the admin's id is not found for it.
    mine = post(live.url, "/v1/responses", {"model": "claude-4.5-sonnet", "input": "hi"}).json()
    other = httpx.get(f"{live.url}/v1/responses/{mine['id']}", headers={"Authorization": f"Bearer {secret}"})
    assert other.status_code == 404


def test_text_format_fills_the_dialect_neutral_response_format() -> None:
    import asyncio

    from cursorapi.chat.catalog import Catalog
    from cursorapi.chat.types import ChatOptions
    from cursorapi.dialects import responses

    options = ChatOptions(vision="base64", slow_pool=False, long_context=False, web_references=True)
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}

    def parsed(fmt: dict) -> dict | None:
        body = {"model": "claude-4.5-sonnet", "input": "hi", "text": {"format": fmt}}
        return asyncio.run(responses.parse(body, Catalog(), {}, options)).chat.response_format

    assert parsed({"type": "text"}) is None
    assert parsed({"type": "json_object"}) == {"type": "json_object"}
    assert parsed({"type": "json_schema", "name": "A", "schema": schema, "strict": True}) == {
        "type": "json_schema",
        "name": "A",
        "schema": schema,
        "strict": True,
        "description": "",
    }


def test_retention_follows_responses_ttl_and_the_cleanup_command(
    openai_client, pool_token, fake, settings
) -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from storedresponses.models import StoredResponse

    old = openai_client.responses.create(model="claude-4.5-sonnet", input="old")
    new = openai_client.responses.create(model="claude-4.5-sonnet", input="new")
    settings.RESPONSES_TTL = 60
    StoredResponse.objects.filter(pk=old.id).update(created_at=timezone.now() - timedelta(seconds=120))
    with pytest.raises(openai.NotFoundError):  # past its retention: gone even before the cleanup runs
        openai_client.responses.retrieve(old.id)
    call_command("cleanup_responses", stdout=io.StringIO())
    assert list(StoredResponse.objects.values_list("pk", flat=True)) == [new.id]


def test_a_client_disconnect_cancels_the_upstream_request(live, pool_token, fake) -> None:
    import time

    from storedresponses.models import StoredResponse

    payload = {"model": "claude-4.5-sonnet", "input": "#fake: chunks=30 delay_ms=100", "stream": True}
    with httpx.stream(
        "POST", f"{live.url}/v1/responses", json=payload, headers={"Authorization": f"Bearer {AUTH}"}
    ) as response:
        for line in response.iter_lines():
            if line.startswith("event: response.output_text.delta"):
                break
    deadline = time.time() + 5
    while fake.cancelled_streams < 1 and time.time() < deadline:
        time.sleep(0.02)
    assert fake.cancelled_streams == 1
    log = last_log()
    assert (log.dialect, log.status, log.http_status) == ("responses", "cancelled", 499)
    assert not StoredResponse.objects.exists()  # an unfinished response is not stored


def test_keepalives_flow_while_cursor_is_silent(live, pool_token, fake, settings) -> None:
    settings.SSE_KEEPALIVE_S = 0.15
    payload = {"model": "claude-4.5-sonnet", "input": "#fake: stall_ms=700 reply=late", "stream": True}
    names = [name for name, _ in sse_events(post(live.url, "/v1/responses", payload).text)]
    first_event = names.index("response.created")
    assert first_event >= 2 and set(names[:first_event]) == {":"}  # comments while Cursor is silent
    assert names[-1] == "response.completed"


@pytest.mark.parametrize(
    "extra",
    [
        {"input": [1]},
        {"input": [{"type": "message", "role": "user", "content": [1]}]},
        {"input": [{"type": "message", "role": "user", "content": {"a": 1}}]},
        {"input": [{"type": "message", "role": "robot", "content": "x"}]},
        {"input": [{"type": "message", "role": "user", "content": [{"type": "input_image"}]}]},
        {"input": [{"type": "message", "role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
        {"input": [{"type": "function_call", "name": "f"}]},
        {"input": [{"type": "function_call_output", "call_id": "c", "output": {"a": 1}}]},
        {"tools": [{"type": "namespace", "name": "n", "tools": "x"}]},
        {"tools": [{"type": "namespace", "name": "n", "tools": [{"type": "web_search"}]}]},
        {"tools": [{"type": "function", "name": "f", "parameters": "x"}]},
        {"tools": "x"},
        {"reasoning": "high"},
        {"text": "json"},
        {"text": {"format": {"type": "json_schema", "name": "a"}}},
        {"include": "x"},
        {"metadata": ["x"]},
        {"store": "yes"},
        {"stream": "yes"},
        {"instructions": ["x"]},
    ],
)
def test_malformed_requests_are_400s_never_500s(live, pool_token, fake, extra) -> None:
    response = post(live.url, "/v1/responses", {"model": "claude-4.5-sonnet", "input": "hi", **extra})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert not fake.requests_to("StreamUnifiedChatWithTools")


def test_an_unknown_response_id_is_a_json_404(live, pool_token, fake) -> None:
    for method, path in (("GET", "/v1/responses/resp_nope"), ("DELETE", "/v1/responses/resp_nope")):
        response = httpx.request(method, f"{live.url}{path}", headers={"Authorization": f"Bearer {AUTH}"})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    missing = httpx.get(
        f"{live.url}/v1/responses/resp_nope/input_items", headers={"Authorization": f"Bearer {AUTH}"}
    )
    assert missing.status_code == 404
    unauthorised = httpx.get(f"{live.url}/v1/responses/resp_nope")
    assert unauthorised.status_code == 401
