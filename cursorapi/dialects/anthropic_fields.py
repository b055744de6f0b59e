"""The parts of an Anthropic Messages request current clients add: thinking modes, output_config,
tool kinds beyond plain client tools, mid-conversation system text. See docs/chat.md.

Everything the official API accepts is accepted; what Cursor has no counterpart for is checked for
shape and then has no effect (each such field is listed in docs/chat.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cursorapi.chat import structured
from cursorapi.chat.types import ChatInputError, ChatRequest, Tool

THINKING_TYPES = ("enabled", "disabled", "adaptive")
THINKING_DISPLAYS = ("summarized", "omitted")
EFFORTS = ("low", "medium", "high", "xhigh", "max")
# Text put around system text that arrives inside `messages`, so the model reads it as the operator's
# and not the user's (the convention Claude Code itself uses for system text in user turns).
SYSTEM_OPEN, SYSTEM_CLOSE = "<system-reminder>\n", "\n</system-reminder>"


@dataclass(slots=True)
class AnthropicChat(ChatRequest):
    """A ChatRequest with what only the Anthropic renderer needs."""

    thinking_display: str = "summarized"  # "omitted": thinking blocks carry the signature only


@dataclass(slots=True)
class Thinking:
    wanted: bool  # pick the model's thinking twin
    display: str


def thinking(value: Any) -> Thinking:
    """`thinking`: enabled (the thinking twin), adaptive (the model as named), disabled; `display`."""
    if value is None:
        return Thinking(False, "summarized")
    if not isinstance(value, dict) or value.get("type") not in THINKING_TYPES:
        raise ChatInputError(
            "thinking.type must be one of " + ", ".join(THINKING_TYPES), param="thinking.type"
        )
    display = value.get("display")
    if display is not None and display not in THINKING_DISPLAYS:
        raise ChatInputError("thinking.display must be summarized or omitted", param="thinking.display")
    budget = value.get("budget_tokens")
    if (
        value["type"] == "enabled"
        and budget is not None
        and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 0)
    ):
        raise ChatInputError(
            "thinking.budget_tokens must be a positive integer", param="thinking.budget_tokens"
        )
    return Thinking(value["type"] == "enabled", display or "summarized")


def output_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """`output_config.format` (or the older beta `output_format`) as ChatRequest.response_format."""
    config = body.get("output_config")
    if config is not None and not isinstance(config, dict):
        raise ChatInputError("output_config must be an object", param="output_config")
    config = config or {}
    effort = config.get("effort")
    if effort is not None and effort not in EFFORTS:
        raise ChatInputError(
            "output_config.effort must be one of " + ", ".join(EFFORTS), param="output_config.effort"
        )
    where, fmt = "output_config.format", config.get("format")
    if fmt is None:
        where, fmt = "output_format", body.get("output_format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise ChatInputError("the output format's type must be json_schema", param=f"{where}.type")
    if not isinstance(fmt.get("schema"), dict):
        raise ChatInputError("the output format needs a JSON schema object", param=f"{where}.schema")
    return structured.json_schema("output", fmt["schema"], strict=True, param=where)


def check_shapes(body: dict[str, Any]) -> None:
    """Fields accepted for what they are, with no effect upstream: only their shape is checked."""
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise ChatInputError("metadata must be an object", param="metadata")
        user_id = metadata.get("user_id")
        if user_id is not None and not isinstance(user_id, str):  # Claude Code puts JSON text here
            raise ChatInputError("metadata.user_id must be a string", param="metadata.user_id")
    for name in ("context_management", "cache_control", "container"):
        value = body.get(name)
        if value is not None and not isinstance(value, dict | str):
            raise ChatInputError(f"{name} must be an object", param=name)


def system_text(content: Any, param: str) -> str:
    """The text of a `role: "system"` message or a `mid_conv_system` block."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(b, dict) and b.get("type", "text") == "text" and isinstance(b.get("text"), str)
        for b in content
    ):
        return "\n".join(b["text"] for b in content)
    raise ChatInputError("system content must be a string or a list of text blocks", param=param)


def wrap_system(text: str) -> str:
    return f"{SYSTEM_OPEN}{text}{SYSTEM_CLOSE}"


# --- tools -------------------------------------------------------------------------------------

# Anthropic-defined client tools: the client runs them, the model knows their input. Cursor's models
# do not, so they go upstream as plain tools with the input the client will expect.
_STRING = {"type": "string"}
_CLIENT_TOOLS: dict[str, tuple[str, dict[str, Any]]] = {
    "bash": (
        "Run a bash command in a persistent shell session; `restart` starts a fresh one.",
        {
            "type": "object",
            "properties": {"command": _STRING, "restart": {"type": "boolean"}},
        },
    ),
    "text_editor": (
        "View, create and edit files: `view` a file or directory, `create` a file with `file_text`, "
        "`str_replace` `old_str` by `new_str`, `insert` `insert_text` after line `insert_line`.",
        {
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert"]},
                "path": _STRING,
                "file_text": _STRING,
                "old_str": _STRING,
                "new_str": _STRING,
                "insert_line": {"type": "integer"},
                "insert_text": _STRING,
                "view_range": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["command", "path"],
        },
    ),
    "memory": (
        "Keep notes in the /memories directory: view, create, str_replace, insert, delete, rename.",
        {
            "type": "object",
            "properties": {
                "command": {
                    "type": "string",
                    "enum": ["view", "create", "str_replace", "insert", "delete", "rename"],
                },
                "path": _STRING,
                "file_text": _STRING,
                "old_str": _STRING,
                "new_str": _STRING,
                "insert_line": {"type": "integer"},
                "insert_text": _STRING,
                "old_path": _STRING,
                "new_path": _STRING,
            },
            "required": ["command"],
        },
    ),
}
# Server tools run on Anthropic's side (web search and fetch, code execution, tool search, MCP
# connectors), and computer use needs screenshots Cursor's chat cannot take: nothing upstream can run
# them, so they are accepted and left out (docs/chat.md).
UNRUNNABLE_TOOL_PREFIXES = (
    "web_search_",
    "web_fetch_",
    "code_execution_",
    "tool_search_tool_",
    "computer_",
    "mcp_toolset",
)


def tools(raw: Any, referenced: set[str]) -> list[Tool]:
    """Client tools for Cursor. `defer_loading` tools are left out until a `tool_reference` names them,
    as Anthropic keeps them out of the model's view until a tool search finds them."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ChatInputError("tools must be a list", param="tools")
    out = []
    for n, item in enumerate(raw):
        where = f"tools[{n}]"
        if not isinstance(item, dict):
            raise ChatInputError("each tool must be an object", param=where)
        kind = item.get("type")
        if kind not in (None, "custom") and not isinstance(kind, str):
            raise ChatInputError("a tool's type must be a string", param=f"{where}.type")
        if isinstance(kind, str) and kind.startswith(UNRUNNABLE_TOOL_PREFIXES):
            continue
        family = None
        if kind not in (None, "custom") and "input_schema" not in item:
            family = next((f for f in _CLIENT_TOOLS if kind.startswith(f + "_")), None)
            if family is None:
                continue  # a tool type newer than this server: accepted, not offered upstream
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise ChatInputError("each tool needs a name", param=f"{where}.name")
        if item.get("defer_loading") is True and name not in referenced:
            continue
        if family is not None:
            description, schema = _CLIENT_TOOLS[family]
            out.append(Tool(name, description, schema))
            continue
        schema = item.get("input_schema", {"type": "object", "properties": {}})
        if not isinstance(schema, dict):
            raise ChatInputError("input_schema must be a JSON schema object", param=f"{where}.input_schema")
        out.append(Tool(name, str(item.get("description") or ""), schema))
    return out


def tool_references(messages: list[Any]) -> set[str]:
    """Names of deferred tools a tool search has loaded (`tool_reference` blocks in tool results)."""
    names: set[str] = set()
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for block in content:
            inner = block.get("content") if isinstance(block, dict) else None
            if not isinstance(inner, list):
                continue
            for part in inner:
                if (
                    isinstance(part, dict)
                    and part.get("type") == "tool_reference"
                    and isinstance(part.get("tool_name"), str)
                ):
                    names.add(part["tool_name"])
    return names
