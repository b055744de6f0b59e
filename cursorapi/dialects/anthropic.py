"""Anthropic Messages: request JSON to a ChatRequest, events to the Messages SSE sequence or a message."""

from __future__ import annotations

import json
import secrets
from typing import Any

from cursorapi.chat import images
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
from runtime import config as runtime_config

from . import anthropic_fields as fields

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
        if not isinstance(block, dict):
            raise ChatInputError("tool_result blocks must be objects", param=f"{param}[{n}]")
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif kind == "image":
            parts.append("[image]")
        elif kind == "tool_reference" and isinstance(block.get("tool_name"), str):
            parts.append(f"[tool loaded: {block['tool_name']}]")  # a tool search's answer
        elif kind in ("document", "search_result"):
            parts.append(_document_text(block))
        else:
            raise ChatInputError(
                "tool_result blocks must be text, image, document, search_result or tool_reference",
                param=f"{param}[{n}]",
            )
    return "\n".join(parts)


def _document_text(block: dict[str, Any]) -> str:
    """The text Cursor can take of a document or search result block; other sources by title."""
    title = block.get("title") if isinstance(block.get("title"), str) else ""
    source = block.get("source")
    text = ""
    if isinstance(source, dict) and source.get("type") == "text" and isinstance(source.get("data"), str):
        text = source["data"]
    elif isinstance(block.get("content"), list):
        text = "\n".join(str(part.get("text", "")) for part in block["content"] if isinstance(part, dict))
    head = f"[{block.get('type')}: {title}]" if title else f"[{block.get('type')}]"
    return f"{head}\n{text}" if text else head


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
        elif kind == "mid_conv_system":
            texts.append(fields.wrap_system(fields.system_text(block.get("content"), f"{where}.content")))
        elif kind in ("document", "search_result") and role == "user":
            texts.append(_document_text(block))
        elif isinstance(kind, str) and (
            kind in ("server_tool_use", "container_upload") or kind.endswith("_tool_result")
        ):
            continue  # Anthropic's server tools ran these; nothing upstream can replay them
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
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "none":
        return []
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    return fields.tools(body.get("tools"), fields.tool_references(messages))


async def parse(
    body: Any, catalog: Catalog, headers: dict[str, str], options: ChatOptions, *, counting: bool = False
) -> ChatRequest:
    if not isinstance(body, dict):
        raise ChatInputError("the request body must be a JSON object")
    thinking = fields.thinking(body.get("thinking"))
    model = catalog.resolve(body.get("model"), thinking=thinking.wanted)  # type: ignore[arg-type]
    max_tokens = body.get("max_tokens")
    if not counting and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise ChatInputError("max_tokens is required and must be a positive integer", param="max_tokens")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatInputError("messages must be a non-empty list", param="messages")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ChatInputError("stream must be a boolean", param="stream")
    fields.check_shapes(body)
    response_format = fields.output_format(body)
    system = _system(body.get("system"))
    turns: list[Turn] = []
    for n, message in enumerate(messages):
        param = f"messages[{n}]"
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant", "system"):
            raise ChatInputError("each message needs role user, assistant or system", param=f"{param}.role")
        if message["role"] == "system":
            text = fields.system_text(message.get("content"), f"{param}.content")
            if not turns:  # before the conversation starts it is the system prompt's continuation
                system = f"{system}\n\n{text}" if system else text
            elif turns[-1].role == "user":  # kept where it was said: after the user's words
                turns[-1].text = f"{turns[-1].text}\n\n{fields.wrap_system(text)}".lstrip()
            else:
                turns.append(Turn("user", fields.wrap_system(text)))
            continue
        new = await _turns(message["role"], message.get("content"), f"{param}.content", options)
        if any(t.images for t in new) and not model.model.images:
            raise ChatInputError(f"model {model.requested} does not accept images", param=f"{param}.content")
        turns.extend(new)
    return fields.AnthropicChat(
        model=model,
        system=system or runtime_config.current()["default_instructions"],
        turns=turns,
        options=options,
        tools=_tools(body),
        stream=stream,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        response_format=response_format,
        platform=headers.get("x-stainless-os", ""),
        arch=headers.get("x-stainless-arch", ""),
        thinking_display=thinking.display,
    )


def _usage(input_tokens: int, output_tokens: int, thinking_tokens: int, cache_read: int) -> dict[str, Any]:
    """Usage with every field the current spec requires; 0 or null where Cursor has no value."""
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens_details": {"thinking_tokens": thinking_tokens},
        "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
        "service_tier": "standard",
        "inference_geo": None,
    }


_DELTA_USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens_details",
    "server_tool_use",
)
_DIRECT = {"type": "direct"}


def _thinking_tokens(chars: int) -> int:
    return (chars + 3) // 4 if chars else 0


class Renderer:
    """Events to `message_start` … `message_stop`, or to one `message` object."""

    keepalive = KEEPALIVE
    done = b""

    def __init__(self, chat: ChatRequest) -> None:
        self.id = "msg_" + secrets.token_hex(12)
        self.model = chat.model.requested
        self.estimated_input = max(1, chat.prompt_chars() // 4)
        # display "omitted": thinking blocks keep their signature, their text is not sent
        self.omit_thinking = getattr(chat, "thinking_display", "summarized") == "omitted"
        self._started = False
        self._block: str | None = None  # kind of the open content block
        self._index = -1
        self._thinking_chars = 0
        self.metadata: dict[str, Any] | None = None  # set before the Finish event is rendered

    def _message(self, content: list[Any], stop_reason: str | None, usage: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "stop_details": None,
            "container": None,
            "usage": usage,
        }

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        message = self._message([], None, _usage(self.estimated_input, 0, 0, 0))
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
                out += self._open("text", {"type": "text", "text": "", "citations": None})
            return out + self._delta({"type": "text_delta", "text": event.text})
        if isinstance(event, ThinkingDelta):
            if self._block != "thinking":
                out += self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            self._thinking_chars += len(event.text)
            if self.omit_thinking:
                return out or None
            return out + self._delta({"type": "thinking_delta", "thinking": event.text})
        if isinstance(event, ThinkingSignature):
            if self._block != "thinking":
                out += self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            return out + self._delta({"type": "signature_delta", "signature": event.signature})
        if isinstance(event, ToolCallStart):
            block = {"type": "tool_use", "id": event.id, "name": event.name, "input": {}, "caller": _DIRECT}
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
            usage = self._final_usage(event)
            delta = {
                "stop_reason": STOP_REASONS[event.reason],
                "stop_sequence": None,
                "stop_details": None,
                "container": None,
            }
            message_delta: dict[str, Any] = {
                "type": "message_delta",
                "delta": delta,
                "usage": {key: usage[key] for key in _DELTA_USAGE_KEYS},
            }
            if self.metadata:
                message_delta["cursor_metadata"] = self.metadata
            return (
                out
                + self._close()
                + _sse("message_delta", message_delta)
                + _sse("message_stop", {"type": "message_stop"})
            )
        return out or None

    def _final_usage(self, finish: Finish) -> dict[str, Any]:
        got = finish.usage
        return _usage(
            got.prompt_tokens if got else self.estimated_input,
            got.completion_tokens if got else 0,
            _thinking_tokens(self._thinking_chars),
            got.cache_read_tokens if got else 0,
        )

    def error_event(self, message: str, kind: str, code: str | None) -> bytes:
        return _sse("error", error_body(message, kind))

    def complete(self, events: list[Event]) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        calls: dict[int, dict[str, Any]] = {}
        finish = Finish("stop")
        for event in events:
            if isinstance(event, TextDelta):
                if not content or content[-1]["type"] != "text":
                    content.append({"type": "text", "text": "", "citations": None})
                content[-1]["text"] += event.text
            elif isinstance(event, ThinkingDelta | ThinkingSignature):
                if not content or content[-1]["type"] != "thinking":
                    content.append({"type": "thinking", "thinking": "", "signature": ""})
                if isinstance(event, ThinkingDelta):
                    self._thinking_chars += len(event.text)
                    if not self.omit_thinking:
                        content[-1]["thinking"] += event.text
                else:
                    content[-1]["signature"] += event.signature
            elif isinstance(event, ToolCallStart):
                calls[event.index] = {
                    "type": "tool_use",
                    "id": event.id,
                    "name": event.name,
                    "input": "",
                    "caller": _DIRECT,
                }
                content.append(calls[event.index])
            elif isinstance(event, ToolCallDelta):
                calls[event.index]["input"] += event.arguments
            elif isinstance(event, Finish):
                finish = event
        for call in calls.values():
            try:
                call["input"] = json.loads(call["input"] or "{}")
            except ValueError:
                call["input"] = {"_raw": call["input"]}
        message = self._message(content, STOP_REASONS[finish.reason], self._final_usage(finish))
        if self.metadata:
            message["cursor_metadata"] = self.metadata
        return message
