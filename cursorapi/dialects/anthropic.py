"""Anthropic Messages: request JSON to a ChatRequest, events to the Messages SSE sequence or a message."""

from __future__ import annotations

import json
import secrets
from typing import Any

from cursorapi.chat import images, instructions
from cursorapi.chat.catalog import Catalog
from cursorapi.chat.types import (
    ChatInputError,
    ChatOptions,
    ChatRequest,
    Event,
    Finish,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Turn,
)

KEEPALIVE = b'event: ping\ndata: {"type": "ping"}\n\n'
STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def error_body(message: str, kind: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _sse(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + json.dumps(payload).encode() + b"\n\n"


async def _image(block: dict[str, Any], param: str, options: ChatOptions) -> images.Image:
    source = block.get("source")
    if not isinstance(source, dict):
        raise ChatInputError("image blocks need a source", param=f"{param}.source")
    images.require_vision(param, options)
    if source.get("type") == "base64" and isinstance(source.get("data"), str):
        return images.from_base64(source["data"], f"{param}.source.data")
    if source.get("type") == "url" and isinstance(source.get("url"), str):
        return await images.from_url(source["url"], f"{param}.source.url", options)
    raise ChatInputError("image sources must be base64 or url", param=f"{param}.source")


def _result_text(content: Any, param: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise ChatInputError("tool_result content must be a string or a list of blocks", param=param)
    parts = []
    for n, block in enumerate(content):
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif isinstance(block, dict) and block.get("type") == "image":
            parts.append("[image]")
        else:
            raise ChatInputError("tool_result blocks must be text or image", param=f"{param}[{n}]")
    return "\n".join(parts)


async def _turns(role: str, content: Any, param: str, options: ChatOptions) -> list[Turn]:
    if isinstance(content, str):
        return [Turn("user" if role == "user" else "assistant", content)]
    if not isinstance(content, list):
        raise ChatInputError("content must be a string or a list of blocks", param=param)
    texts: list[str] = []
    pictures: list[images.Image] = []
    results: list[Turn] = []
    calls: list[ToolCall] = []
    thinking: list[str] = []
    signature = ""
    for n, block in enumerate(content):
        where = f"{param}[{n}]"
        if not isinstance(block, dict):
            raise ChatInputError("content blocks must be objects", param=where)
        kind = block.get("type")
        if kind == "text":
            if not isinstance(block.get("text"), str):
                raise ChatInputError("text blocks need a string `text`", param=f"{where}.text")
            texts.append(block["text"])
        elif kind == "image" and role == "user":
            pictures.append(await _image(block, where, options))
        elif kind == "tool_result" and role == "user":
            call_id = block.get("tool_use_id")
            if not isinstance(call_id, str) or not call_id:
                raise ChatInputError("tool_result needs a tool_use_id", param=f"{where}.tool_use_id")
            results.append(
                Turn(
                    "tool",
                    _result_text(block.get("content"), f"{where}.content"),
                    tool_call_id=call_id,
                    tool_is_error=bool(block.get("is_error")),
                )
            )
        elif kind == "tool_use" and role == "assistant":
            if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
                raise ChatInputError("tool_use blocks need an id and a name", param=where)
            calls.append(ToolCall(block["id"], block["name"], json.dumps(block.get("input", {}))))
        elif kind == "thinking" and role == "assistant":
            thinking.append(str(block.get("thinking", "")))
            signature = str(block.get("signature", "")) or signature
        elif kind == "redacted_thinking" and role == "assistant":
            continue  # nothing Cursor can take back
        else:
            raise ChatInputError(
                f"unsupported content block {kind!r} in a {role} message", param=f"{where}.type"
            )
    text = "\n".join(texts)
    if role == "assistant":
        return [
            Turn(
                "assistant", text, tool_calls=calls, thinking="".join(thinking), thinking_signature=signature
            )
        ]
    turns = results
    if text or pictures or not results:
        turns = [*results, Turn("user", text, images=pictures)]
    return turns


def _system(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(b, dict) and isinstance(b.get("text"), str) for b in value):
        return "\n".join(b["text"] for b in value)
    raise ChatInputError("system must be a string or a list of text blocks", param="system")


def _tools(body: dict[str, Any]) -> list[Tool]:
    raw = body.get("tools")
    choice = body.get("tool_choice")
    if raw is None or (isinstance(choice, dict) and choice.get("type") == "none"):
        return []
    if not isinstance(raw, list):
        raise ChatInputError("tools must be a list", param="tools")
    tools = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ChatInputError("each tool needs a name", param=f"tools[{n}].name")
        if "input_schema" not in item and item.get("type"):
            continue  # Anthropic's server tools (web search, ...) have no meaning upstream
        schema = item.get("input_schema", {"type": "object", "properties": {}})
        if not isinstance(schema, dict):
            raise ChatInputError(
                "input_schema must be a JSON schema object", param=f"tools[{n}].input_schema"
            )
        tools.append(Tool(item["name"], str(item.get("description") or ""), schema))
    return tools


async def parse(
    body: Any, catalog: Catalog, headers: dict[str, str], options: ChatOptions, *, counting: bool = False
) -> ChatRequest:
    if not isinstance(body, dict):
        raise ChatInputError("the request body must be a JSON object")
    thinking = body.get("thinking")
    wants_thinking = isinstance(thinking, dict) and thinking.get("type") == "enabled"
    model = catalog.resolve(body.get("model"), thinking=wants_thinking)  # type: ignore[arg-type]
    max_tokens = body.get("max_tokens")
    if not counting and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise ChatInputError("max_tokens is required and must be a positive integer", param="max_tokens")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatInputError("messages must be a non-empty list", param="messages")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ChatInputError("stream must be a boolean", param="stream")
    turns: list[Turn] = []
    for n, message in enumerate(messages):
        param = f"messages[{n}]"
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise ChatInputError("each message needs role user or assistant", param=f"{param}.role")
        new = await _turns(message["role"], message.get("content"), f"{param}.content", options)
        if any(t.images for t in new) and not model.model.images:
            raise ChatInputError(f"model {model.requested} does not accept images", param=f"{param}.content")
        turns.extend(new)
    return ChatRequest(
        model=model,
        system=_system(body.get("system")) or instructions.default(),
        turns=turns,
        options=options,
        tools=_tools(body),
        stream=stream,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        platform=headers.get("x-stainless-os", ""),
        arch=headers.get("x-stainless-arch", ""),
    )


class Renderer:
    """Events to `message_start` … `message_stop`, or to one `message` object."""

    keepalive = KEEPALIVE
    done = b""

    def __init__(self, chat: ChatRequest) -> None:
        self.id = "msg_" + secrets.token_hex(12)
        self.model = chat.model.requested
        self.estimated_input = max(1, chat.prompt_chars() // 4)
        self._started = False
        self._block: str | None = None  # kind of the open content block
        self._index = -1
        self.metadata: dict[str, Any] | None = None  # set before the Finish event is rendered

    def _message(self, content: list[Any], stop_reason: str | None, usage: dict[str, int]) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        message = self._message([], None, {"input_tokens": self.estimated_input, "output_tokens": 0})
        return _sse("message_start", {"type": "message_start", "message": message}) + KEEPALIVE

    def _open(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close()
        self._index += 1
        self._block = kind
        return out + _sse(
            "content_block_start",
            {"type": "content_block_start", "index": self._index, "content_block": block},
        )

    def _close(self) -> bytes:
        if self._block is None:
            return b""
        self._block = None
        return _sse("content_block_stop", {"type": "content_block_stop", "index": self._index})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _sse(
            "content_block_delta", {"type": "content_block_delta", "index": self._index, "delta": delta}
        )

    def event(self, event: Event) -> bytes | None:
        out = self._start()
        if isinstance(event, TextDelta):
            if self._block != "text":
                out += self._open("text", {"type": "text", "text": ""})
            return out + self._delta({"type": "text_delta", "text": event.text})
        if isinstance(event, ThinkingDelta):
            if self._block != "thinking":
                out += self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            return out + self._delta({"type": "thinking_delta", "thinking": event.text})
        if isinstance(event, ThinkingSignature):
            if self._block != "thinking":
                out += self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            return out + self._delta({"type": "signature_delta", "signature": event.signature})
        if isinstance(event, ToolCallStart):
            block = {"type": "tool_use", "id": event.id, "name": event.name, "input": {}}
            return (
                out
                + self._open(f"tool{event.index}", block)
                + self._delta({"type": "input_json_delta", "partial_json": ""})
            )
        if isinstance(event, ToolCallDelta):
            return out + self._delta({"type": "input_json_delta", "partial_json": event.arguments})
        if isinstance(event, ToolCallEnd):
            return out + self._close()
        if isinstance(event, Finish):
            usage = {"output_tokens": event.usage.completion_tokens if event.usage else 0}
            if event.usage:
                usage["input_tokens"] = event.usage.prompt_tokens
            delta = {"stop_reason": STOP_REASONS[event.reason], "stop_sequence": None}
            message_delta: dict[str, Any] = {"type": "message_delta", "delta": delta, "usage": usage}
            if self.metadata:
                message_delta["cursor_metadata"] = self.metadata
            return (
                out
                + self._close()
                + _sse("message_delta", message_delta)
                + _sse("message_stop", {"type": "message_stop"})
            )
        return out or None

    def error_event(self, message: str, kind: str, code: str | None) -> bytes:
        return _sse("error", error_body(message, kind))

    def complete(self, events: list[Event]) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        calls: dict[int, dict[str, Any]] = {}
        finish = Finish("stop")
        for event in events:
            if isinstance(event, TextDelta):
                if not content or content[-1]["type"] != "text":
                    content.append({"type": "text", "text": ""})
                content[-1]["text"] += event.text
            elif isinstance(event, ThinkingDelta | ThinkingSignature):
                if not content or content[-1]["type"] != "thinking":
                    content.append({"type": "thinking", "thinking": "", "signature": ""})
                if isinstance(event, ThinkingDelta):
                    content[-1]["thinking"] += event.text
                else:
                    content[-1]["signature"] += event.signature
            elif isinstance(event, ToolCallStart):
                calls[event.index] = {
                    "type": "tool_use",
                    "id": event.id,
                    "name": event.name,
                    "input": "",
                    "_": 1,
                }
                content.append(calls[event.index])
            elif isinstance(event, ToolCallDelta):
                calls[event.index]["input"] += event.arguments
            elif isinstance(event, Finish):
                finish = event
        for call in calls.values():
            del call["_"]
            try:
                call["input"] = json.loads(call["input"] or "{}")
            except ValueError:
                call["input"] = {"_raw": call["input"]}
        usage = finish.usage
        message = self._message(
            content,
            STOP_REASONS[finish.reason],
            {
                "input_tokens": usage.prompt_tokens if usage else self.estimated_input,
                "output_tokens": usage.completion_tokens if usage else 0,
            },
        )
        if self.metadata:
            message["cursor_metadata"] = self.metadata
        return message
