"""OpenAI Chat Completions: request JSON to a ChatRequest, events to chunks and completions."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from cursorapi.chat import images, instructions, structured
from cursorapi.chat.catalog import Catalog
from cursorapi.chat.types import (
    ChatInputError,
    ChatOptions,
    ChatRequest,
    Event,
    Finish,
    TextDelta,
    ThinkingDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    Turn,
    Usage,
)
from runtime import config as runtime_config

KEEPALIVE = b": keep-alive\n\n"
DONE = b"data: [DONE]\n\n"


# The original's 0.3 accepted these spellings of the two roles; clients written for it still send them.
ROLE_ALIASES = {"human": "user", "ai": "assistant"}


def _text_of(content: Any, param: str, *, allow_images: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Content as text, plus the image parts (validated later): a string or a list of parts."""
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        raise ChatInputError("content must be a string or a list of content parts", param=param)
    texts: list[str] = []
    pictures: list[dict[str, Any]] = []
    for n, part in enumerate(content):
        where = f"{param}[{n}]"
        if not isinstance(part, dict):
            raise ChatInputError("content parts must be objects", param=where)
        kind = part.get("type")
        if kind == "text":
            if not isinstance(part.get("text"), str):
                raise ChatInputError("text parts need a string `text`", param=f"{where}.text")
            texts.append(part["text"])
        elif kind == "image_url" and allow_images:
            pictures.append({**part, "_param": where})
        elif kind == "image_url":
            raise ChatInputError("images are only accepted in user messages", param=where)
        else:
            raise ChatInputError(f"unsupported content part type {kind!r}", param=f"{where}.type")
    return "\n".join(texts), pictures


async def _load_image(part: dict[str, Any], options: ChatOptions) -> images.Image:
    param = part["_param"]
    spec = part.get("image_url")
    url = spec.get("url") if isinstance(spec, dict) else spec
    if not isinstance(url, str) or not url:
        raise ChatInputError("image_url needs a `url`", param=f"{param}.image_url.url")
    images.require_vision(param, options)
    if url.startswith("data:"):
        return images.from_data_url(url, param)
    return await images.from_url(url, param, options)


def _tools(body: dict[str, Any]) -> list[Tool]:
    raw = body.get("tools")
    if raw is None or body.get("tool_choice") == "none":
        return []
    if not isinstance(raw, list):
        raise ChatInputError("tools must be a list", param="tools")
    tools = []
    for n, item in enumerate(raw):
        fn = item.get("function") if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or item.get("type", "function") != "function"
            or not isinstance(fn, dict)
        ):
            raise ChatInputError("each tool must be {type: function, function: {...}}", param=f"tools[{n}]")
        if not isinstance(fn.get("name"), str) or not fn["name"]:
            raise ChatInputError("a function tool needs a name", param=f"tools[{n}].function.name")
        parameters = fn.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(parameters, dict):
            raise ChatInputError(
                "parameters must be a JSON schema object", param=f"tools[{n}].function.parameters"
            )
        tools.append(Tool(fn["name"], str(fn.get("description") or ""), parameters))
    return tools


def _tool_calls(raw: Any, param: str) -> list[ToolCall]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ChatInputError("tool_calls must be a list", param=param)
    calls = []
    for n, item in enumerate(raw):
        fn = item.get("function") if isinstance(item, dict) else None
        if (
            not isinstance(fn, dict)
            or not isinstance(item.get("id"), str)
            or not isinstance(fn.get("name"), str)
        ):
            raise ChatInputError("tool calls need an id and a function name", param=f"{param}[{n}]")
        arguments = fn.get("arguments", "{}")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(ToolCall(item["id"], fn["name"], arguments))
    return calls


def _max_tokens(body: dict[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ChatInputError(f"{key} must be a positive integer", param=key)
        return value
    return None


def _response_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """`response_format` as the chat core's neutral format (cursorapi.chat.structured)."""
    raw = body.get("response_format")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ChatInputError("response_format must be an object", param="response_format")
    kind = raw.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return structured.json_object()
    if kind == "json_schema":
        spec = raw.get("json_schema")
        if not isinstance(spec, dict):
            raise ChatInputError("json_schema must be an object", param="response_format.json_schema")
        return structured.json_schema(
            spec.get("name"),
            spec.get("schema"),
            strict=spec.get("strict"),
            description=spec.get("description"),
            param="response_format.json_schema",
        )
    raise ChatInputError(
        "response_format.type must be text, json_object or json_schema", param="response_format.type"
    )


async def parse(
    body: Any, catalog: Catalog, headers: dict[str, str], options: ChatOptions
) -> tuple[ChatRequest, bool]:
    """The ChatRequest, and whether the caller asked for usage in the stream."""
    if not isinstance(body, dict):
        raise ChatInputError("the request body must be a JSON object")
    model = catalog.resolve(body.get("model"))  # type: ignore[arg-type]
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatInputError("messages must be a non-empty list", param="messages")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ChatInputError("stream must be a boolean", param="stream")
    stream_options = body.get("stream_options") or {}
    include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True

    system: list[str] = []
    turns: list[Turn] = []
    for n, message in enumerate(messages):
        param = f"messages[{n}]"
        if not isinstance(message, dict):
            raise ChatInputError("each message must be an object", param=param)
        role = message.get("role")
        role = ROLE_ALIASES.get(role, role) if isinstance(role, str) else role
        if role in ("system", "developer"):
            text, _ = _text_of(message.get("content"), f"{param}.content")
            system.append(text)
        elif role == "user":
            text, parts = _text_of(message.get("content"), f"{param}.content", allow_images=True)
            pictures = [await _load_image(p, options) for p in parts]
            if pictures and not model.model.images:
                raise ChatInputError(
                    f"model {model.requested} does not accept images", param=f"{param}.content"
                )
            turns.append(Turn("user", text, images=pictures))
        elif role == "assistant":
            text, _ = _text_of(message.get("content"), f"{param}.content")
            calls = _tool_calls(message.get("tool_calls"), f"{param}.tool_calls")
            turns.append(Turn("assistant", text, tool_calls=calls))
        elif role == "tool":
            text, _ = _text_of(message.get("content"), f"{param}.content")
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                raise ChatInputError("tool messages need a tool_call_id", param=f"{param}.tool_call_id")
            turns.append(Turn("tool", text, tool_call_id=call_id))
        else:
            raise ChatInputError(f"unsupported role {role!r}", param=f"{param}.role")
    chat = ChatRequest(
        model=model,
        system="\n\n".join(s for s in system if s) or instructions.default(),
        turns=turns,
        options=options,
        tools=_tools(body),
        stream=stream,
        max_tokens=_max_tokens(body),
        response_format=_response_format(body),
        platform=headers.get("x-stainless-os", ""),
        arch=headers.get("x-stainless-arch", ""),
    )
    return chat, include_usage


def _usage(usage: Usage | None) -> dict[str, Any]:
    usage = usage or Usage(0, 0)
    out: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }
    if usage.cache_read_tokens:
        out["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
    return out


def error_body(
    message: str, kind: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class Renderer:
    """Events to `chat.completion.chunk` SSE lines, or to one `chat.completion`."""

    keepalive = KEEPALIVE
    done = DONE

    def __init__(self, chat: ChatRequest, include_usage: bool) -> None:
        self.id = "chatcmpl-" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
        self.created = int(time.time())
        self.model = chat.model.requested
        self.include_usage = include_usage
        self.tag = runtime_config.current()["thinking_tag"]
        if chat.response_format is not None:
            self.tag = ""  # inline thinking would break the JSON content: it goes to reasoning_content
        self._head = (
            f'{{"id":"{self.id}","object":"chat.completion.chunk","created":{self.created},'
            f'"model":{json.dumps(self.model)},'
        ).encode()
        self._tail = b',"usage":null}\n\n' if include_usage else b"}\n\n"
        self._role_sent = False
        self._in_thinking = False
        self.metadata: dict[str, Any] | None = None  # set before the Finish event is rendered

    # --- streaming --------------------------------------------------------------------------------

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        if not self._role_sent:
            delta = {"role": "assistant", **delta, "refusal": None}  # as OpenAI's first chunk
            self._role_sent = True
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return b"data: " + self._head + b'"choices":[' + json.dumps(choice).encode() + b"]" + self._tail

    def event(self, event: Event) -> bytes | None:
        if isinstance(event, TextDelta):
            if self._in_thinking:
                self._in_thinking = False
                return self._chunk({"content": f"</{self.tag}>" + event.text})
            return self._chunk({"content": event.text})
        if isinstance(event, ThinkingDelta):
            if self.tag:
                text = event.text
                if not self._in_thinking:
                    self._in_thinking = True
                    text = f"<{self.tag}>" + text
                return self._chunk({"content": text})
            return self._chunk({"reasoning_content": event.text})
        if isinstance(event, ToolCallStart):
            call = {"index": event.index, "id": event.id, "type": "function"}
            call["function"] = {"name": event.name, "arguments": ""}
            return self._chunk({"content": None, "tool_calls": [call]})
        if isinstance(event, ToolCallDelta):
            return self._chunk(
                {"tool_calls": [{"index": event.index, "function": {"arguments": event.arguments}}]}
            )
        if isinstance(event, Finish):
            out = b""
            if self._in_thinking:
                self._in_thinking = False
                out += self._chunk({"content": f"</{self.tag}>"})
            finish = self._chunk({}, finish=event.reason)
            if self.metadata:
                # cursorpipe's extension; standard clients ignore unknown fields.
                finish = (
                    finish[: -len(self._tail)] + b',"cursor_metadata":' + json.dumps(self.metadata).encode()
                )
                finish += self._tail
            out += finish
            if self.include_usage:
                usage = {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": self.model,
                    "choices": [],
                    "usage": _usage(event.usage),
                }
                out += b"data: " + json.dumps(usage).encode() + b"\n\n"
            return out
        return None

    def error_event(self, message: str, kind: str, code: str | None) -> bytes:
        # The openai SDK raises APIError for a `data:` line carrying an `error` object.
        return b"data: " + json.dumps(error_body(message, kind, code=code)).encode() + b"\n\n"

    # --- non-streaming ----------------------------------------------------------------------------

    def complete(self, events: list[Event]) -> dict[str, Any]:
        text: list[str] = []
        thinking: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        finish = Finish("stop")
        for event in events:
            if isinstance(event, TextDelta):
                text.append(event.text)
            elif isinstance(event, ThinkingDelta):
                thinking.append(event.text)
            elif isinstance(event, ToolCallStart):
                calls[event.index] = {
                    "id": event.id,
                    "type": "function",
                    "function": {"name": event.name, "arguments": ""},
                }
            elif isinstance(event, ToolCallDelta):
                calls[event.index]["function"]["arguments"] += event.arguments
            elif isinstance(event, Finish):
                finish = event
        content = "".join(text)
        # `refusal` is required (nullable) by the spec and `annotations` always sent by OpenAI.
        message: dict[str, Any] = {
            "role": "assistant",
            "content": content if content or not calls else None,
            "refusal": None,
            "annotations": [],
        }
        if thinking:
            if self.tag:
                message["content"] = f"<{self.tag}>{''.join(thinking)}</{self.tag}>{content}"
            else:
                message["reasoning_content"] = "".join(thinking)
        if calls:
            message["tool_calls"] = [calls[i] for i in sorted(calls)]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish.reason}],
            "usage": _usage(finish.usage),
            **({"cursor_metadata": self.metadata} if self.metadata else {}),
        }
