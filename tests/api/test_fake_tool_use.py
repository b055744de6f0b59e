"""The fake in tool-use mode, through our server: agents' tools get called, then their results quoted."""

from __future__ import annotations

import json

import httpx
import jsonschema
import pytest

from cursorapi.upstream.fake import tool_play
from tests.api.helpers import user

MODEL = "claude-4.5-sonnet"

BASH = {
    "name": "Bash",
    "description": "Executes a given bash command in a persistent shell session.",
    "input_schema": {
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The command to execute"},
            "timeout": {"type": "number", "description": "Optional timeout in milliseconds"},
            "description": {"type": "string"},
            "run_in_background": {"type": "boolean"},
        },
        "required": ["command"],
        "additionalProperties": False,
    },
}
BASH_OUTPUT = {
    "name": "BashOutput",
    "description": "Retrieves output from a running or completed background bash shell.",
    "input_schema": {
        "type": "object",
        "properties": {"bash_id": {"type": "string"}, "command": {"type": "string"}},
        "required": ["bash_id"],
    },
}
READ = {
    "name": "Read",
    "description": "Reads a file from the local filesystem.",
    "input_schema": {
        "type": "object",
        "properties": {
            "file_path": {"type": "string", "description": "The absolute path to the file to read"},
            "offset": {"type": "number"},
            "limit": {"type": "number"},
        },
        "required": ["file_path"],
        "additionalProperties": False,
    },
}
WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 2},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "required": ["city", "unit", "days"],
    },
}
AGENT_TOOLS = [BASH_OUTPUT, BASH, READ, WEATHER]


def _call(anthropic_client, text: str, system: str = "", tools=AGENT_TOOLS):
    message = anthropic_client.messages.create(
        model=MODEL, max_tokens=200, tools=tools, system=system, messages=user(text)
    )
    assert message.stop_reason == "tool_use", message.content
    (block,) = [b for b in message.content if b.type == "tool_use"]
    schema = next(t["input_schema"] for t in tools if t["name"] == block.name)
    jsonschema.validate(block.input, schema)
    return message, block


def test_a_file_named_in_the_message_is_read_at_its_absolute_path(anthropic_client, pool_token, tool_fake):
    _, block = _call(anthropic_client, "What is in notes.txt?", system="Working directory: /tmp/proj\n")
    assert block.name == "Read" and block.input == {"file_path": "/tmp/proj/notes.txt"}


def test_run_asks_for_the_shell(anthropic_client, pool_token, tool_fake):
    _, block = _call(anthropic_client, "Please run `ls -la /etc` for me")
    assert block.name == "Bash" and block.input["command"] == "ls -la /etc"
    _, block = _call(anthropic_client, "run echo hi there.")
    assert block.input["command"] == "echo hi there"


def test_otherwise_the_tool_sharing_words_with_the_message(anthropic_client, pool_token, tool_fake):
    _, block = _call(anthropic_client, "How is the weather in Oslo?")
    assert block.name == "get_weather"
    assert block.input == {"city": "fake", "unit": "celsius", "days": 1}  # valid, if not wise


def test_no_fitting_tool_gets_a_plain_reply(anthropic_client, pool_token, tool_fake):
    message = anthropic_client.messages.create(
        model=MODEL, max_tokens=100, tools=[WEATHER], messages=user("say hello")
    )
    assert message.stop_reason == "end_turn"
    assert message.content[0].text == "Fake Cursor reply to: say hello"


def test_after_the_result_the_answer_quotes_it(anthropic_client, pool_token, tool_fake):
    first, block = _call(anthropic_client, "run `cat notes.txt`")
    message = anthropic_client.messages.create(
        model=MODEL,
        max_tokens=200,
        tools=AGENT_TOOLS,
        messages=[
            *user("run `cat notes.txt`"),
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": block.id, "content": "line one\nline two"},
                    # Claude Code adds reminders next to results: still the answer's turn, not a new call.
                    {"type": "text", "text": "<system-reminder>be careful</system-reminder>"},
                ],
            },
        ],
    )
    assert message.stop_reason == "end_turn"
    assert message.content[0].text == "The Bash tool returned:\n\nline one\nline two"


def test_openai_tools_and_results_too(openai_client, pool_token, tool_fake):
    shell = {
        "type": "function",
        "function": {
            "name": "shell",
            "description": "Runs a shell command and returns its output.",
            "parameters": {
                "type": "object",
                "properties": {
                    "command": {"type": "array", "items": {"type": "string"}},
                    "workdir": {"type": "string"},
                },
                "required": ["command"],
                "additionalProperties": False,
            },
        },
    }
    prompt = [{"role": "user", "content": "run `pwd`"}]
    first = openai_client.chat.completions.create(model=MODEL, messages=prompt, tools=[shell])
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "shell"
    assert json.loads(call.function.arguments) == {"command": ["bash", "-lc", "pwd"]}
    second = openai_client.chat.completions.create(
        model=MODEL,
        tools=[shell],
        messages=[
            *prompt,
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "/home/me"},
        ],
    )
    assert second.choices[0].message.content == "The shell tool returned:\n\n/home/me"


def test_fake_lines_still_script_the_turn(anthropic_client, pool_token, tool_fake):
    message = anthropic_client.messages.create(
        model=MODEL, max_tokens=100, tools=AGENT_TOOLS, messages=user('run ls\n#fake: reply="scripted"')
    )
    assert message.content[0].text == "scripted"


def test_off_by_default_and_switched_over_http(anthropic_client, pool_token, fake, fake_server):
    def ask() -> str:
        message = anthropic_client.messages.create(
            model=MODEL, max_tokens=100, tools=AGENT_TOOLS, messages=user("run `ls`")
        )
        return message.stop_reason

    assert ask() == "end_turn"
    assert httpx.post(f"{fake_server.url}/__fake__/tool-use", json={"on": True}).json() == {"on": True}
    assert ask() == "tool_use"
    fake.clear()
    assert ask() == "end_turn"


SCHEMAS = [
    {"type": "object", "properties": {"a": {"type": ["string", "null"], "maxLength": 2}}, "required": ["a"]},
    {"type": "object", "properties": {"n": {"type": "number", "exclusiveMinimum": 5}}, "required": ["n"]},
    {
        "type": "object",
        "properties": {"xs": {"type": "array", "items": {"type": "integer"}, "minItems": 2}},
        "required": ["xs"],
    },
    {
        "type": "object",
        "properties": {
            "o": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"k": {"const": 3}}}]}
        },
        "required": ["o"],
    },
    {"allOf": [{"type": "object", "properties": {"p": {"type": "boolean"}}, "required": ["p"]}]},
    {"type": "object", "properties": {"url": {"type": "string", "format": "uri"}}, "required": ["url"]},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_built_arguments_validate_against_their_schema(schema):
    intent = tool_play._Intent.of("run `ls` on data.csv", "/w")
    jsonschema.validate(tool_play.build_arguments(schema, intent), schema)


def test_thinking_models_think_first(anthropic_client, pool_token, tool_fake):
    message = anthropic_client.messages.create(
        model=MODEL,
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=AGENT_TOOLS,
        messages=user("run `ls`"),
    )
    assert [b.type for b in message.content] == ["thinking", "tool_use"]
    assert message.content[0].thinking == "The user asks: run `ls`. The Bash tool fits; calling it."
    plain = anthropic_client.messages.create(model=MODEL, max_tokens=100, messages=user("hi"))
    assert [b.type for b in plain.content] == ["text"]  # a model without thinking does not


def test_without_a_read_tool_the_shell_reads(openai_client, pool_token, tool_fake):
    def tool(name: str, properties: dict) -> dict:
        schema = {"type": "object", "properties": properties, "required": list(properties)}
        return {"type": "function", "function": {"name": name, "description": "", "parameters": schema}}

    tools = [
        tool("view_image", {"path": {"type": "string"}}),  # Codex's: for pictures, not text
        tool("shell_command", {"command": {"type": "string"}}),
    ]
    reply = openai_client.chat.completions.create(
        model=MODEL,
        tools=tools,
        messages=[
            {"role": "system", "content": "<env>\n  Working directory: /srv/app\n</env>"},
            {"role": "user", "content": "What does notes.txt say?"},
        ],
    )
    call = reply.choices[0].message.tool_calls[0]
    assert call.function.name == "shell_command"
    assert json.loads(call.function.arguments) == {"command": "cat /srv/app/notes.txt"}
