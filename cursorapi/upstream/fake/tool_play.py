"""The fake playing a tool-using model: picks an offered tool for the user's message, then quotes its result.

Turned on by `manage.py fakecursor --tool-use` (or `FakeCursor(tool_use=True)`, or
`POST /__fake__/tool-use`). Agent clients (Claude Code, Codex, opencode) and outside suites can then
be driven through a whole tool round trip without `#fake:` lines:

* the last turn is the user's and the request offers tools: call the offered tool that best fits the
  message ("run `ls`" -> a shell tool, a message naming a file -> a read tool, else the tool whose
  name or description shares the most words with the message), with arguments built from the tool's
  JSON schema so that they validate against it. No tool fits: a plain reply.
* the turn after a tool result: a text answer quoting the result.

Deterministic on purpose: the same request always plays out the same way.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from ..proto import aiserver_pb2 as pb
from .directives import without_system_text

HUMAN, AI = 1, 2
QUOTE_LIMIT = 4000  # characters of a tool result quoted back; agents send whole files

_SHELL_NAMES = re.compile(r"bash|shell|exec|command|terminal|run", re.I)
_READ_NAMES = re.compile(r"read|cat|view|open|file", re.I)
_IMAGE_NAMES = re.compile(r"image|picture|screenshot", re.I)  # Codex's view_image reads no text
_SHELL_WORDS = re.compile(r"\b(run|execute|exec|shell|command|bash)\b", re.I)
_BACKTICKED = re.compile(r"`([^`\n]+)`")
_RUN_REST = re.compile(r"\b(?:run|execute)\s+(?:the\s+command\s+)?(.+)", re.I | re.S)
# A path: something with a slash, or a name with a short extension (hello.txt, src/app.py).
_PATH = re.compile(r"(?<![\w@:/])(~?/?(?:[\w.-]+/)*[\w-][\w.-]*\.[A-Za-z0-9]{1,8}|/(?:[\w.-]+/?)+)(?![\w/])")
_WORKDIR = re.compile(r"(?:working directory|cwd)\s*:\s*(/\S+)", re.I)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "and", "for", "with", "this", "that", "from", "into", "please", "you", "can", "what", "use"}


@dataclass(slots=True)
class Offered:
    name: str  # as the client named it: `mcp__server__tool` for real MCP servers
    description: str
    schema: dict[str, Any]


@dataclass(slots=True)
class Play:
    """What the fake does this turn: call `tool` with `arguments`, or say `reply`."""

    tool: str | None = None
    arguments: str = ""
    reply: str | None = None


def offered_tools(chat: pb.StreamUnifiedChatRequest) -> list[Offered]:
    tools = []
    for tool in chat.mcp_tools:
        name = tool.name if tool.server_name in ("", "custom") else f"mcp__{tool.server_name}__{tool.name}"
        try:
            schema = json.loads(tool.parameters) if tool.parameters else {}
        except ValueError:
            schema = {}
        tools.append(Offered(name, tool.description, schema if isinstance(schema, dict) else {}))
    return tools


def plan(request: pb.StreamUnifiedChatRequestWithTools) -> Play | None:
    """The turn to play, or None to answer as without tool-use mode."""
    chat = request.stream_unified_chat_request
    result = _pending_result(chat.conversation)
    if result is not None:
        return Play(reply=_quote(*result))
    tools = offered_tools(chat)
    if not tools:
        return None
    said = _user_text(chat.conversation)
    text = without_system_text(said)
    choice = choose(tools, text)
    if choice is None:
        return None
    workdir = _workdir(chat.explicit_context.context) or _workdir(said)
    arguments = build_arguments(choice.schema, _Intent.of(text, workdir))
    return Play(tool=choice.name, arguments=json.dumps(arguments))


def thoughts(play: Play | None, user_text: str) -> str:
    """What a thinking model thinks before this turn: deterministic, and short."""
    asked = " ".join(without_system_text(user_text).split())[:200]
    if play is not None and play.tool is not None:
        return f"The user asks: {asked}. The {play.tool} tool fits; calling it."
    if play is not None:
        return "The tool has answered; I will quote its result."
    return f"The user asks: {asked}. I will answer directly."


# --- where the conversation stands ------------------------------------------------------------------


def _pending_result(conversation) -> tuple[str, str] | None:
    """(tool name, result text) when the turn being answered follows a tool result.

    Walking back from the end over user messages (an agent may add text next to its tool results),
    a tool result before any assistant text means the model owes an answer about that result.
    """
    for message in reversed(conversation):
        if message.tool_results:
            entry = message.tool_results[-1]
            return _tool_label(entry.tool_name), _result_text(entry.result.mcp_result.result)
        if message.type == HUMAN:
            if message.text.startswith("Tool result ("):  # a result the proxy could not place
                return "the tool", message.text.partition("\n")[2]
            continue
        return None
    return None


def _tool_label(cursor_name: str) -> str:
    # Cursor names results `mcp_<server>_<tool>`; `custom` is the server of plain client tools.
    return cursor_name.removeprefix("mcp_custom_") or "the tool"


def _result_text(raw: str) -> str:
    """The text of an MCP CallToolResult (what the proxy sends), or the raw string."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(parsed, dict) and isinstance(parsed.get("content"), list):
        return "\n".join(str(part.get("text", "")) for part in parsed["content"] if isinstance(part, dict))
    return raw


def _quote(tool: str, result: str) -> str:
    result = result.strip()
    if len(result) > QUOTE_LIMIT:
        result = result[:QUOTE_LIMIT] + "\n[...]"
    if not result:
        return f"The {tool} tool returned nothing."
    return f"The {tool} tool returned:\n\n{result}"


def _user_text(conversation) -> str:
    for message in reversed(conversation):
        if message.type == HUMAN:
            return message.text
    return ""


def _workdir(context: str) -> str:
    found = _WORKDIR.search(context)
    return found.group(1).rstrip(".,;") if found else ""


# --- which tool --------------------------------------------------------------------------------


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def _has_property(tool: Offered, names: tuple[str, ...]) -> bool:
    return any(key.lower() in names for key in _properties(tool.schema))


_COMMAND_KEYS = ("command", "cmd", "script", "commands")
_PATH_KEYS = ("file_path", "path", "filepath", "filename", "file", "absolute_path", "target_file")


def choose(tools: list[Offered], text: str) -> Offered | None:
    shell = [t for t in tools if _SHELL_NAMES.search(t.name) and _has_property(t, _COMMAND_KEYS)]
    reader = [
        t
        for t in tools
        if _READ_NAMES.search(t.name) and not _IMAGE_NAMES.search(t.name) and _has_property(t, _PATH_KEYS)
    ]
    if shell and (_SHELL_WORDS.search(text) or _BACKTICKED.search(text)):
        return _shortest(shell)
    if _PATH.search(text) and (reader or shell):
        # An agent without a read tool (Codex) reads with its shell: `cat <path>`.
        return _shortest(reader or shell)
    words = {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}
    best, best_score = None, 0
    for tool in tools:
        # The name counts most; of the description only its first sentence, as long ones match anything.
        name_words = set(_WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", tool.name).lower()))
        first_sentence = tool.description.split(".")[0].lower()
        score = 3 * len(words & name_words) + len(words & set(_WORD.findall(first_sentence)))
        if score > best_score:
            best, best_score = tool, score
    return best


def _shortest(tools: list[Offered]) -> Offered:
    # "Bash" over "BashOutput", "Read" over "ReadMcpResource": the plainest name is the general tool.
    return min(tools, key=lambda t: (len(t.name), t.name))


# --- its arguments -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Intent:
    text: str
    command: str
    path: str

    @classmethod
    def of(cls, text: str, workdir: str) -> _Intent:
        ticked = _BACKTICKED.search(text)
        if ticked:
            command = ticked.group(1).strip()
        else:
            rest = _RUN_REST.search(text)
            command = rest.group(1).strip().rstrip(".!?") if rest else ""
        found = _PATH.search(text)
        path = found.group(1).rstrip(".,;:") if found else ""
        if path and not path.startswith(("/", "~")) and workdir:
            # Agents' read tools want absolute paths; the system prompt says where the agent runs.
            path = posixpath.normpath(posixpath.join(workdir, path))
        if not command and path:
            command = f"cat {path}"
        return cls(text=text, command=command or "echo hello", path=path or (workdir or "."))


def build_arguments(schema: dict[str, Any], intent: _Intent) -> Any:
    """A value valid against `schema` (the common JSON Schema subset tools use), filled from the intent."""
    return _value(schema, "", intent, depth=0)


def _value(schema: Any, key: str, intent: _Intent, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > 6:
        return _for_key(key, intent) if key else {}
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for combo in ("anyOf", "oneOf", "allOf"):
        options = schema.get(combo)
        if isinstance(options, list) and options:
            if combo == "allOf":
                merged: dict[str, Any] = {}
                for part in options:
                    if isinstance(part, dict):
                        merged = _merge(merged, part)
                return _value(merged, key, intent, depth + 1)
            plain = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
            return _value(plain[0] if plain else options[0], key, intent, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        return _object(schema, intent, depth)
    if kind == "array":
        return _array(schema, key, intent, depth)
    if kind == "string":
        return _string(schema, key, intent)
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return bool(schema.get("default", False))
    return None


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = {**a, **b}
    out["properties"] = {**_properties(a), **_properties(b)}
    out["required"] = [*a.get("required", []), *b.get("required", [])]
    return out


def _object(schema: dict[str, Any], intent: _Intent, depth: int) -> dict[str, Any]:
    props = _properties(schema)
    required = [r for r in schema.get("required", []) if isinstance(r, str)]
    out: dict[str, Any] = {}
    for name in required:
        out[name] = _value(props.get(name, {}), name, intent, depth + 1)
    # Optional arguments a model would fill in for this intent: a shell call's description, say.
    for name, sub in props.items():
        if name not in out and name.lower() in ("description",) and _type_of(sub) == "string":
            out[name] = _value(sub, name, intent, depth + 1)
    return out


def _type_of(schema: Any) -> Any:
    return schema.get("type") if isinstance(schema, dict) else None


def _array(schema: dict[str, Any], key: str, intent: _Intent, depth: int) -> list[Any]:
    items = schema.get("items", {})
    low = key.lower()
    if low in _COMMAND_KEYS and _type_of(items) == "string":
        return ["bash", "-lc", intent.command]  # Codex's shell tool: an argv
    count = int(schema.get("minItems", 0) or 0)
    if low in _PATH_KEYS:
        count = max(1, count)
    return [_value(items, key.rstrip("s"), intent, depth + 1) for _ in range(count)]


def _string(schema: dict[str, Any], key: str, intent: _Intent) -> str:
    value = _for_key(key, intent)
    if schema.get("format") == "uri" and not value.startswith(("http://", "https://")):
        value = "https://example.com/"
    low, high = int(schema.get("minLength", 0) or 0), schema.get("maxLength")
    if len(value) < low:
        value = value + "x" * (low - len(value))
    if isinstance(high, int) and len(value) > high:
        value = value[:high]
    return value


def _for_key(key: str, intent: _Intent) -> str:
    low = key.lower()
    if low in _COMMAND_KEYS:
        return intent.command
    if low in _PATH_KEYS or low.endswith("_path") or low.endswith("path"):
        return intent.path
    if low == "description":
        return f"Run {intent.command}"[:80]
    if low in ("url", "uri"):
        found = re.search(r"https?://\S+", intent.text)
        return found.group(0) if found else "https://example.com/"
    if low in ("pattern", "query", "search", "regex", "glob", "prompt", "content", "text", "message"):
        words = _WORD.findall(intent.text.lower())
        return next((w for w in words if len(w) > 3 and w not in _STOP), "fake")
    return "fake"


def _number(schema: dict[str, Any], kind: str) -> int | float:
    if "default" in schema and isinstance(schema["default"], int | float):
        return schema["default"]
    value = 1
    if isinstance(schema.get("minimum"), int | float):
        value = max(value, schema["minimum"])
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        value = max(value, schema["exclusiveMinimum"] + 1)
    if isinstance(schema.get("maximum"), int | float):
        value = min(value, schema["maximum"])
    return int(value) if kind == "integer" else float(value)
