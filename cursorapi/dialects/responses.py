"""OpenAI Responses API: request JSON to a ChatRequest, events to typed stream events and a Response.

The third dialect over the chat core, next to Chat Completions and Anthropic Messages. What maps to
what, and what is accepted but not supported, is in docs/responses.md.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from cursorapi.chat import images, structured
from cursorapi.chat import instructions as chat_instructions
from cursorapi.chat.catalog import Catalog
from cursorapi.chat.types import (
    ChatInputError,
    ChatOptions,
    ChatRequest,
    Event,
    Finish,
    Image,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Turn,
    Usage,
)

KEEPALIVE = b": keep-alive\n\n"

# Hosted tools that map to Cursor's own web search (the `-online` model variant does the same).
WEB_SEARCH_TOOLS = {
    "web_search",
    "web_search_preview",
    "web_search_2025_08_26",
    "web_search_preview_2025_03_11",
}
# Item types the official API accepts in `input` that describe work of hosted tools we do not run:
# accepted and left out of the conversation Cursor sees.
_IGNORED_ITEMS = {
    "item_reference",
    "web_search_call",
    "file_search_call",
    "computer_call",
    "computer_call_output",
    "code_interpreter_call",
    "image_generation_call",
    "local_shell_call",
    "local_shell_call_output",
    "shell_call",
    "shell_call_output",
    "apply_patch_call",
    "apply_patch_call_output",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "mcp_call",
    "tool_search_call",
    "tool_search_output",
    "compaction",
    "additional_tools",
}
_NO_THINKING = {None, "none", "minimal"}


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(24)


@dataclass(frozen=True, slots=True)
class ToolRef:
    """How a tool offered to Cursor under a flat name is named back to the caller."""

    name: str
    namespace: str | None = None
    custom: bool = False  # a freeform `custom` tool: one string argument, `input`


@dataclass
class ResponsesCall:
    """A parsed request: the chat for the core, plus what the Response object echoes back."""

    chat: ChatRequest
    echo: dict[str, Any]
    input_items: list[dict[str, Any]]
    new_turns: list[Turn]
    history: list[Turn]
    store: bool
    tools: dict[str, ToolRef] = field(default_factory=dict)
    include_encrypted: bool = False


# --- the request ---------------------------------------------------------------------------------


def _flat_name(namespace: str, name: str) -> str:
    # `mcp__server__` namespaces keep Cursor's MCP naming; others join with the same separator.
    return f"{namespace}{name}" if namespace.endswith("__") else f"{namespace}__{name}"


def _function_tool(item: dict[str, Any], param: str) -> Tool:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ChatInputError("a function tool needs a name", param=f"{param}.name")
    parameters = item.get("parameters") or {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise ChatInputError("parameters must be a JSON schema object", param=f"{param}.parameters")
    return Tool(name, str(item.get("description") or ""), parameters)


def _custom_tool(item: dict[str, Any], param: str) -> Tool:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ChatInputError("a custom tool needs a name", param=f"{param}.name")
    description = str(item.get("description") or "")
    fmt = item.get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "grammar" and isinstance(fmt.get("definition"), str):
        description += f"\n\nThe input must follow this {fmt.get('syntax', '')} grammar:\n{fmt['definition']}"
    parameters = {
        "type": "object",
        "properties": {"input": {"type": "string", "description": "the tool's input, as free text"}},
        "required": ["input"],
    }
    return Tool(name, description.strip(), parameters)


def _tools(body: dict[str, Any]) -> tuple[list[Tool], dict[str, ToolRef], bool]:
    """Cursor's tools, the names to map calls back, and whether web search was offered."""
    raw = body.get("tools")
    if raw is None:
        return [], {}, False
    if not isinstance(raw, list):
        raise ChatInputError("tools must be a list", param="tools")
    tools: list[Tool] = []
    refs: dict[str, ToolRef] = {}
    web = False
    for n, item in enumerate(raw):
        param = f"tools[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ChatInputError("each tool must be an object with a `type`", param=param)
        kind = item["type"]
        if kind == "function":
            tool = _function_tool(item, param)
            tools.append(tool)
            refs[tool.name] = ToolRef(tool.name)
        elif kind == "custom":
            tool = _custom_tool(item, param)
            tools.append(tool)
            refs[tool.name] = ToolRef(tool.name, custom=True)
        elif kind == "namespace":
            namespace, inner = item.get("name"), item.get("tools")
            if not isinstance(namespace, str) or not namespace or not isinstance(inner, list):
                raise ChatInputError("a namespace tool needs a name and a list of tools", param=param)
            for k, sub in enumerate(inner):
                where = f"{param}.tools[{k}]"
                sub_kind = sub.get("type") if isinstance(sub, dict) else None
                if sub_kind not in ("function", "custom"):
                    raise ChatInputError("namespace tools hold function or custom tools", param=where)
                tool = _function_tool(sub, where) if sub_kind == "function" else _custom_tool(sub, where)
                ref = ToolRef(tool.name, namespace, custom=sub_kind == "custom")
                tool.name = _flat_name(namespace, tool.name)
                if item.get("description"):
                    tool.description = f"({namespace}: {item['description']})\n{tool.description}".strip()
                tools.append(tool)
                refs[tool.name] = ref
        elif kind in WEB_SEARCH_TOOLS:
            # `external_web_access: false` (Codex's default "cached" mode) asks for no live fetches;
            # Cursor has only live search, so that request gets none.
            web = web or item.get("external_web_access") is not False
        # Other hosted tools (file_search, code_interpreter, computer use, image generation, mcp,
        # local_shell, shell, apply_patch, tool_search): accepted, not offered; see docs/responses.md.
    if body.get("tool_choice") == "none":
        return [], refs, False
    return tools, refs, web


def _part_text(part: dict[str, Any], where: str) -> str:
    text = part.get("text")
    if not isinstance(text, str):
        raise ChatInputError("text parts need a string `text`", param=f"{where}.text")
    return text


async def _image(part: dict[str, Any], where: str, options: ChatOptions) -> Image:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        if part.get("file_id"):
            raise ChatInputError("file_id images are not supported; send image_url", param=f"{where}.file_id")
        raise ChatInputError("input_image needs an `image_url`", param=f"{where}.image_url")
    images.require_vision(where, options)
    if url.startswith("data:"):
        return images.from_data_url(url, where)
    return await images.from_url(url, where, options)


async def _content(
    content: Any, param: str, options: ChatOptions, *, allow_images: bool
) -> tuple[str, list[Image]]:
    """A message's content as text, and its images: a string or a list of parts."""
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        raise ChatInputError("content must be a string or a list of content parts", param=param)
    texts: list[str] = []
    pictures: list[Image] = []
    for n, part in enumerate(content):
        where = f"{param}[{n}]"
        if not isinstance(part, dict):
            raise ChatInputError("content parts must be objects", param=where)
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text", "summary_text", "reasoning_text"):
            texts.append(_part_text(part, where))
        elif kind == "refusal":
            texts.append(str(part.get("refusal") or ""))
        elif kind == "input_image" and allow_images:
            pictures.append(await _image(part, where, options))
        elif kind == "input_image":
            raise ChatInputError("images are only accepted in user messages", param=where)
        elif kind == "input_file":
            raise ChatInputError("input_file parts are not supported; send the text", param=where)
        else:
            raise ChatInputError(f"unsupported content part type {kind!r}", param=f"{where}.type")
    return "\n".join(t for t in texts if t), pictures


def _output_text(output: Any, param: str) -> str:
    """A function call's output: a string, or parts of which the text is kept."""
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "\n".join(p["text"] for p in output if isinstance(p, dict) and isinstance(p.get("text"), str))
    if output is None:
        return ""
    raise ChatInputError("output must be a string or a list of content parts", param=param)


def encode_reasoning(thinking: str, signature: str) -> str:
    """`encrypted_content` for a reasoning item: what Cursor needs to replay the thinking.

    Not encrypted (the caller saw the thinking as a summary anyway); opaque to clients, which send it
    back unchanged when they keep the conversation themselves (store: false).
    """
    raw = json.dumps({"thinking": thinking, "signature": signature}).encode()
    return "cursorapi:" + base64.urlsafe_b64encode(raw).decode()


def _decode_reasoning(item: dict[str, Any]) -> tuple[str, str]:
    blob = item.get("encrypted_content")
    if isinstance(blob, str) and blob.startswith("cursorapi:"):
        try:
            data = json.loads(base64.urlsafe_b64decode(blob[len("cursorapi:") :]))
            return str(data.get("thinking", "")), str(data.get("signature", ""))
        except ValueError:
            pass  # not ours, or damaged: fall back to the summary
    summary = item.get("summary")
    if isinstance(summary, list):
        text = "\n".join(s["text"] for s in summary if isinstance(s, dict) and isinstance(s.get("text"), str))
        return text, ""
    return "", ""


def _call_name(item: dict[str, Any], param: str) -> str:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ChatInputError("tool calls need a name", param=f"{param}.name")
    namespace = item.get("namespace")
    return _flat_name(namespace, name) if isinstance(namespace, str) and namespace else name


def _call_id(item: dict[str, Any], param: str) -> str:
    call_id = item.get("call_id")
    if not isinstance(call_id, str) or not call_id:
        raise ChatInputError("tool calls and their outputs need a call_id", param=f"{param}.call_id")
    return call_id


def _listed(item: dict[str, Any], kind: str | None) -> dict[str, Any]:
    """An input item as input_items lists it: with an id, and a message's text as a content part."""
    out = {"id": item.get("id") or _new_id("msg_" if kind == "message" else "item_"), **item}
    if kind == "message":
        out.setdefault("type", "message")
        out.setdefault("status", "completed")
        if isinstance(item.get("content"), str):
            part = "output_text" if item.get("role") == "assistant" else "input_text"
            out["content"] = [{"type": part, "text": item["content"]}]
    return out


async def _turns(
    items: list[Any], options: ChatOptions, *, keep_items: bool
) -> tuple[list[str], list[Turn], list[dict[str, Any]]]:
    """System texts, conversation turns, and (to store) the items with ids as input_items lists them."""
    system: list[str] = []
    turns: list[Turn] = []
    listed: list[dict[str, Any]] = []
    thinking = ("", "")  # from a reasoning item, for the assistant turn that follows it

    def assistant() -> Turn:
        nonlocal thinking
        last = turns[-1] if turns else None
        if last is not None and last.role == "assistant" and not thinking[0]:
            return last
        turn = Turn("assistant", "", thinking=thinking[0], thinking_signature=thinking[1])
        thinking = ("", "")
        turns.append(turn)
        return turn

    for n, item in enumerate(items):
        param = f"input[{n}]"
        if not isinstance(item, dict):
            raise ChatInputError("input items must be objects", param=param)
        kind = item.get("type") or ("message" if "role" in item else None)
        if keep_items:
            listed.append(_listed(item, kind))
        if kind == "message":
            role = item.get("role")
            text, pictures = await _content(
                item.get("content"), f"{param}.content", options, allow_images=role == "user"
            )
            if role in ("system", "developer"):
                system.append(text)
            elif role == "user":
                turns.append(Turn("user", text, images=pictures))
            elif role == "assistant":
                turn = assistant()
                if turn.tool_calls:  # text after calls starts a new turn
                    turn = Turn("assistant", "")
                    turns.append(turn)
                turn.text = f"{turn.text}\n\n{text}" if turn.text and text else turn.text or text
            else:
                raise ChatInputError(f"unsupported role {role!r}", param=f"{param}.role")
        elif kind == "function_call":
            arguments = item.get("arguments", "{}")
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments)
            assistant().tool_calls.append(ToolCall(_call_id(item, param), _call_name(item, param), arguments))
        elif kind == "custom_tool_call":
            arguments = json.dumps({"input": str(item.get("input") or "")})
            assistant().tool_calls.append(ToolCall(_call_id(item, param), _call_name(item, param), arguments))
        elif kind in ("function_call_output", "custom_tool_call_output"):
            text = _output_text(item.get("output"), f"{param}.output")
            turns.append(Turn("tool", text, tool_call_id=_call_id(item, param)))
        elif kind == "reasoning":
            thinking = _decode_reasoning(item)
        elif kind in _IGNORED_ITEMS:
            continue
        else:
            raise ChatInputError(f"unsupported input item type {kind!r}", param=f"{param}.type")
    return system, turns, listed


def _max_output_tokens(body: dict[str, Any]) -> int | None:
    value = body.get("max_output_tokens")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ChatInputError("max_output_tokens must be a positive integer", param="max_output_tokens")
    return value


def _response_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """`text.format` as the dialect-neutral ChatRequest.response_format."""
    text = body.get("text")
    if text is None:
        return None
    if not isinstance(text, dict):
        raise ChatInputError("text must be an object", param="text")
    fmt = text.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise ChatInputError("text.format.type must be text, json_object or json_schema", param="text.format")
    if fmt["type"] == "text":
        return None
    if fmt["type"] == "json_object":
        return structured.json_object()
    if not isinstance(fmt.get("schema"), dict):
        raise ChatInputError("a json_schema format needs a `schema` object", param="text.format.schema")
    return structured.json_schema(
        fmt.get("name"),
        fmt["schema"],
        strict=fmt.get("strict"),
        description=fmt.get("description"),
        param="text.format",
    )


def _number(body: dict[str, Any], key: str, default: float) -> float:
    value = body.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else default


def _echo_tool(tool: Any) -> Any:
    """A tool as the response lists it: a function tool with every field the spec requires."""
    if isinstance(tool, dict) and tool.get("type") == "function":
        return {"description": None, "parameters": None, "strict": None, **tool}
    return tool


def _echo(body: dict[str, Any], model: str, previous_id: str | None, store: bool) -> dict[str, Any]:
    """The Response object's fields that restate the request (every field the spec requires)."""
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    text = body.get("text") if isinstance(body.get("text"), dict) else {}
    metadata = body.get("metadata")
    instructions = body.get("instructions")
    return {
        "id": _new_id("resp_"),
        "object": "response",
        "created_at": int(time.time()),
        "status": "in_progress",
        "background": False,
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": instructions if isinstance(instructions, str | list) else None,
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls") if isinstance(body.get("max_tool_calls"), int) else None,
        "model": model,
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "previous_response_id": previous_id,
        "prompt_cache_key": body.get("prompt_cache_key")
        if isinstance(body.get("prompt_cache_key"), str)
        else None,
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "safety_identifier": body.get("safety_identifier")
        if isinstance(body.get("safety_identifier"), str)
        else None,
        "service_tier": "default",
        "store": store,
        "temperature": _number(body, "temperature", 1.0),
        "text": {
            "format": text.get("format") or {"type": "text"},
            "verbosity": text.get("verbosity", "medium"),
        },
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": [_echo_tool(t) for t in body["tools"]] if isinstance(body.get("tools"), list) else [],
        "top_logprobs": body.get("top_logprobs") if isinstance(body.get("top_logprobs"), int) else 0,
        "top_p": _number(body, "top_p", 1.0),
        "presence_penalty": _number(body, "presence_penalty", 0.0),
        "frequency_penalty": _number(body, "frequency_penalty", 0.0),
        "truncation": body.get("truncation")
        if body.get("truncation") in ("auto", "disabled")
        else "disabled",
        "usage": None,
        "user": body.get("user") if isinstance(body.get("user"), str) else None,
        "metadata": metadata if isinstance(metadata, dict) else {},
    }


async def parse(
    body: Any,
    catalog: Catalog,
    headers: dict[str, str],
    options: ChatOptions,
    history: list[Turn] | None = None,
) -> ResponsesCall:
    """The request as a ResponsesCall; `history` is the stored conversation of previous_response_id."""
    if not isinstance(body, dict):
        raise ChatInputError("the request body must be a JSON object")
    reasoning = body.get("reasoning")
    if reasoning is not None and not isinstance(reasoning, dict):
        raise ChatInputError("reasoning must be an object", param="reasoning")
    effort = (reasoning or {}).get("effort")
    model = catalog.resolve(body.get("model"), thinking=effort not in _NO_THINKING)  # type: ignore[arg-type]
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ChatInputError("stream must be a boolean", param="stream")
    store = body.get("store", True)
    if not isinstance(store, bool):
        raise ChatInputError("store must be a boolean", param="store")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ChatInputError("metadata must be an object of strings", param="metadata")
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise ChatInputError("instructions must be a string", param="instructions")
    include = body.get("include") or []
    if not isinstance(include, list):
        raise ChatInputError("include must be a list", param="include")

    raw = body.get("input")
    if isinstance(raw, str):
        raw = [{"type": "message", "role": "user", "content": raw}]
    elif raw is None:
        raw = []
    elif not isinstance(raw, list):
        raise ChatInputError("input must be a string or a list of items", param="input")
    system, turns, listed = await _turns(raw, options, keep_items=store)
    if any(t.images for t in turns) and not model.model.images:
        raise ChatInputError(f"model {model.requested} does not accept images", param="input")
    history = history or []
    if not turns and not history:
        raise ChatInputError("input must hold at least one message", param="input")

    tools, refs, web = _tools(body)
    if web and not model.web:
        model.web = True
    # Instructions are the request's own: a previous response's are not carried over (as the spec says).
    system_text = "\n\n".join(s for s in [instructions or "", *system] if s)
    previous_id = body.get("previous_response_id")
    chat = ChatRequest(
        model=model,
        system=system_text or chat_instructions.default(),
        turns=[*history, *turns],
        options=options,
        tools=tools,
        stream=stream,
        max_tokens=_max_output_tokens(body),
        response_format=_response_format(body),
        platform=headers.get("x-stainless-os", ""),
        arch=headers.get("x-stainless-arch", ""),
    )
    return ResponsesCall(
        chat=chat,
        echo=_echo(body, model.requested, previous_id if isinstance(previous_id, str) else None, store),
        input_items=listed,
        new_turns=turns,
        history=history,
        store=store,
        tools=refs,
        include_encrypted="reasoning.encrypted_content" in include,
    )


def error_body(
    message: str, kind: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


# --- the reply -----------------------------------------------------------------------------------


def _usage(usage: Usage | None) -> dict[str, Any]:
    usage = usage or Usage(0, 0)
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def _sse(kind: str, payload: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + payload + b"\n\n"


class _Open:
    """An output item being streamed: a message, a reasoning item or a tool call."""

    __slots__ = ("index", "item", "parts", "prefix", "ref", "signature")

    def __init__(self, item: dict[str, Any], index: int, ref: ToolRef | None = None) -> None:
        self.item = item
        self.index = index
        self.parts: list[str] = []
        self.signature = ""
        self.ref = ref
        self.prefix = b""  # the delta event's fixed fields, built once per item


class Renderer:
    """Events to the Responses API's typed SSE events (with sequence numbers), or to one Response."""

    keepalive = KEEPALIVE
    done = b""  # the Responses API ends with its terminal event, no [DONE]

    def __init__(self, call: ResponsesCall) -> None:
        self.call = call
        self.response = call.echo
        self.id = self.response["id"]
        self.seq = 0
        self.output: list[dict[str, Any]] = []
        self._text: _Open | None = None  # the message or reasoning item open now
        self._calls: dict[int, _Open] = {}
        self._started = False
        self.final: dict[str, Any] | None = None  # the finished Response, once rendered
        self.reply = Turn("assistant", "")
        self.metadata: dict[str, Any] | None = None

    # --- one typed event ---------------------------------------------------------------------------

    def _emit(self, kind: str, fields: dict[str, Any]) -> bytes:
        payload = {"type": kind, "sequence_number": self.seq, **fields}
        self.seq += 1
        return _sse(kind, json.dumps(payload).encode())

    def _snapshot(self, kind: str) -> bytes:
        return self._emit(kind, {"response": self.response})

    def _start(self) -> bytes:
        """`response.created` and `response.in_progress`: one serialisation of the response for both."""
        self._started = True
        snapshot = json.dumps(self.response).encode()
        out = b""
        for kind in ("response.created", "response.in_progress"):
            head = f'{{"type":"{kind}","sequence_number":{self.seq},"response":'.encode()
            out += _sse(kind, head + snapshot + b"}")
            self.seq += 1
        return out

    # --- items ------------------------------------------------------------------------------------

    def _add(self, item: dict[str, Any], ref: ToolRef | None = None) -> tuple[_Open, bytes]:
        opened = _Open(item, len(self.output), ref)
        self.output.append(item)
        return opened, self._emit("response.output_item.added", {"output_index": opened.index, "item": item})

    def _open_message(self) -> bytes:
        item = {
            "id": _new_id("msg_"),
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        opened, out = self._add(item)
        self._text = opened
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        out += self._emit(
            "response.content_part.added",
            {"item_id": item["id"], "output_index": opened.index, "content_index": 0, "part": part},
        )
        opened.prefix = (
            f'{{"type":"response.output_text.delta","item_id":"{item["id"]}",'
            f'"output_index":{opened.index},"content_index":0,"logprobs":[],'
        ).encode()
        return out

    def _open_reasoning(self) -> bytes:
        item = {"id": _new_id("rs_"), "type": "reasoning", "summary": []}
        opened, out = self._add(item)
        self._text = opened
        part = {"type": "summary_text", "text": ""}
        out += self._emit(
            "response.reasoning_summary_part.added",
            {"item_id": item["id"], "output_index": opened.index, "summary_index": 0, "part": part},
        )
        opened.prefix = (
            f'{{"type":"response.reasoning_summary_text.delta","item_id":"{item["id"]}",'
            f'"output_index":{opened.index},"summary_index":0,'
        ).encode()
        return out

    def _delta(self, opened: _Open, kind: str, text: str) -> bytes:
        opened.parts.append(text)
        payload = (
            opened.prefix + b'"sequence_number":%d,"delta":' % self.seq + json.dumps(text).encode() + b"}"
        )
        self.seq += 1
        return _sse(kind, payload)

    def _close_text(self, status: str = "completed") -> bytes:
        opened, self._text = self._text, None
        if opened is None:
            return b""
        item, text = opened.item, "".join(opened.parts)
        where = {"item_id": item["id"], "output_index": opened.index}
        if item["type"] == "message":
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            out = self._emit(
                "response.output_text.done", {**where, "content_index": 0, "text": text, "logprobs": []}
            )
            out += self._emit("response.content_part.done", {**where, "content_index": 0, "part": part})
            item["content"] = [part]
            self.reply.text += text
        else:
            part = {"type": "summary_text", "text": text}
            out = self._emit(
                "response.reasoning_summary_text.done", {**where, "summary_index": 0, "text": text}
            )
            out += self._emit(
                "response.reasoning_summary_part.done", {**where, "summary_index": 0, "part": part}
            )
            item["summary"] = [part]
            if self.call.include_encrypted:
                item["encrypted_content"] = encode_reasoning(text, opened.signature)
            self.reply.thinking += text
            self.reply.thinking_signature = opened.signature or self.reply.thinking_signature
        item["status"] = status
        return out + self._emit("response.output_item.done", {"output_index": opened.index, "item": item})

    def _open_call(self, event: ToolCallStart) -> bytes:
        ref = self.call.tools.get(event.name) or ToolRef(event.name)
        item: dict[str, Any]
        if ref.custom:
            item = {"id": _new_id("ctc_"), "type": "custom_tool_call", "status": "in_progress",
                    "call_id": event.id, "name": ref.name, "input": ""}  # fmt: skip
        else:
            item = {"id": _new_id("fc_"), "type": "function_call", "status": "in_progress",
                    "call_id": event.id, "name": ref.name, "arguments": ""}  # fmt: skip
        if ref.namespace:
            item["namespace"] = ref.namespace
        opened, out = self._add(item, ref)
        self._calls[event.index] = opened
        opened.prefix = (
            f'{{"type":"response.function_call_arguments.delta","item_id":"{item["id"]}",'
            f'"output_index":{opened.index},'
        ).encode()
        self.reply.tool_calls.append(ToolCall(event.id, event.name, ""))
        return out

    def _close_call(self, index: int, status: str = "completed") -> bytes:
        opened = self._calls.pop(index, None)
        if opened is None:
            return b""
        item, arguments = opened.item, "".join(opened.parts)
        for call in self.reply.tool_calls:
            if call.id == item["call_id"]:
                call.arguments = arguments
        where = {"item_id": item["id"], "output_index": opened.index}
        if item["type"] == "custom_tool_call":
            try:
                value = json.loads(arguments or "{}")
                item["input"] = str(value.get("input", "")) if isinstance(value, dict) else str(value)
            except ValueError:
                item["input"] = arguments
            out = self._emit("response.custom_tool_call_input.delta", {**where, "delta": item["input"]})
            out += self._emit("response.custom_tool_call_input.done", {**where, "input": item["input"]})
        else:
            item["arguments"] = arguments
            out = self._emit(
                "response.function_call_arguments.done",
                {**where, "name": item["name"], "arguments": arguments},
            )
        item["status"] = status
        return out + self._emit("response.output_item.done", {"output_index": opened.index, "item": item})

    # --- the renderer interface ---------------------------------------------------------------------

    def event(self, event: Event) -> bytes | None:
        out = b"" if self._started else self._start()
        if isinstance(event, TextDelta):
            if self._text is None or self._text.item["type"] != "message":
                out += self._close_text() + self._open_message()
            return out + self._delta(self._text, "response.output_text.delta", event.text)  # type: ignore[arg-type]
        if isinstance(event, ThinkingDelta):
            if self._text is None or self._text.item["type"] != "reasoning":
                out += self._close_text() + self._open_reasoning()
            return out + self._delta(self._text, "response.reasoning_summary_text.delta", event.text)  # type: ignore[arg-type]
        if isinstance(event, ThinkingSignature):
            if self._text is not None and self._text.item["type"] == "reasoning":
                self._text.signature = event.signature
            else:
                self.reply.thinking_signature = event.signature
            return out or None
        if isinstance(event, ToolCallStart):
            return out + self._close_text() + self._open_call(event)
        if isinstance(event, ToolCallDelta):
            opened = self._calls.get(event.index)
            if opened is None:
                return out or None
            if opened.ref is not None and opened.ref.custom:
                opened.parts.append(event.arguments)  # sent whole once the JSON around it is complete
                return out or None
            return out + self._delta(opened, "response.function_call_arguments.delta", event.arguments)
        if isinstance(event, ToolCallEnd):
            return out + self._close_call(event.index)
        if isinstance(event, Finish):
            return out + self._finish(event)
        return out or None

    def _finish(self, finish: Finish) -> bytes:
        status = "incomplete" if finish.reason == "length" else "completed"
        out = self._close_text(status)
        for index in list(self._calls):
            out += self._close_call(index, status)
        self.response.update(
            status=status,
            completed_at=int(time.time()),
            output=self.output,
            usage=_usage(finish.usage),
            incomplete_details={"reason": "max_output_tokens"} if status == "incomplete" else None,
        )
        self.final = self.response
        return out + self._snapshot(f"response.{status}")

    def error_event(self, message: str, kind: str, code: str | None) -> bytes:
        """An `error` event, then `response.failed`: the stream still ends with a terminal event."""
        out = b"" if self._started else self._start()
        failure = {"type": kind, "code": code, "message": message, "param": None}
        # Both shapes: OpenAI's SDK reads the flat fields, the Open Responses spec the nested object.
        out += self._emit("error", {"code": code, "message": message, "param": None, "error": failure})
        self.response.update(
            status="failed",
            output=self.output,
            error={
                "code": "rate_limit_exceeded" if kind == "rate_limit_error" else "server_error",
                "message": message,
            },
        )
        return out + self._snapshot("response.failed")

    def complete(self, events: list[Event]) -> dict[str, Any]:
        for event in events:
            self.event(event)
        if self.final is None:
            self._finish(Finish("stop"))
        return self.final  # type: ignore[return-value]

    def turns(self) -> list[Turn]:
        """The whole conversation including this reply, for a later previous_response_id."""
        return [*self.call.history, *self.call.new_turns, self.reply]
