"""The fake follows output-format instructions the way a real model does.

When the instructions (Cursor's explicit context, or the last user message) carry a JSON Schema (a
```json fence under a line that says "JSON Schema"), the fake answers with a JSON value valid
against it; when they ask to reply with a JSON object and give no schema, with a small object.
Like a real model it sometimes wraps the JSON in a ```json fence (about one reply in three, decided
by the message, so a test sees the same reply each time).

`#fake: json=fenced|plain` forces the fence or its absence; `#fake: json=invalid` makes the reply
broken JSON, and holds for the rest of that conversation (a later turn's answer is broken too), so
that a server's retry fails as well. Without such instructions the fake answers as before.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

from ..proto import aiserver_pb2 as pb
from . import directives as fd

HUMAN = 1
_SCHEMA_BLOCK = re.compile(r"JSON Schema[^\n]*\n+```(?:json|JSON)?[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL)
_OBJECT_ASKED = re.compile(
    r"\b(reply|respond|answer)\s+(only\s+)?with\s+(only\s+)?(one|a single|a)\s+JSON object", re.I
)
_STRING_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "email": "fake@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
}
_TEXT_FIELDS = {"answer", "reply", "text", "content", "message", "response", "summary", "output", "result"}


def asked_format(request: pb.StreamUnifiedChatRequestWithTools, user_text: str) -> tuple[str, Any] | None:
    """("schema", schema) or ("object", None) when the instructions ask for JSON; else None."""
    context = request.stream_unified_chat_request.explicit_context.context
    for text in (user_text, context):
        for block in reversed(_SCHEMA_BLOCK.findall(text)):
            try:
                schema = json.loads(block)
            except ValueError:
                continue
            if isinstance(schema, dict):
                return "schema", schema
    if _OBJECT_ASKED.search(context) or _OBJECT_ASKED.search(user_text):
        return "object", None
    return None


def _sticky_invalid(request: pb.StreamUnifiedChatRequestWithTools) -> bool:
    for message in request.stream_unified_chat_request.conversation:
        if message.type != HUMAN:
            continue
        for line in message.text.splitlines():
            stripped = line.strip()
            if stripped.startswith(fd.PREFIX) and "json=invalid" in stripped:
                return True
    return False


def reply(request: pb.StreamUnifiedChatRequestWithTools, d: fd.Directives, user_text: str) -> str:
    """The fake's unscripted reply: JSON when the instructions ask for it, else the default text."""
    asked = asked_format(request, user_text)
    if asked is None:
        return fd.default_reply(user_text)
    kind, schema = asked
    answer = fd.default_reply(user_text.split("\n\n(Reply with the JSON only")[0])
    if d.json == "invalid" or (d.json is None and _sticky_invalid(request)):
        return '{"answer": "' + answer[:40]  # cut off mid-string, as a model stopped short would
    value = example(schema, schema, answer) if kind == "schema" else {"answer": answer}
    text = json.dumps(value, indent=2)
    fenced = d.json == "fenced" or (d.json is None and zlib.crc32(user_text.encode()) % 3 == 0)
    return f"```json\n{text}\n```" if fenced else text


# --- an instance of a schema ---------------------------------------------------------------------


def _resolve(ref: str, root: Any) -> Any:
    if not ref.startswith("#"):
        return {}
    node = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return {}
    return node


def _merged(schemas: list[Any], root: Any) -> dict[str, Any]:
    """allOf's parts as one schema (enough for the objects and refinements models are given)."""
    out: dict[str, Any] = {}
    for part in schemas:
        part = _resolve(part["$ref"], root) if isinstance(part, dict) and "$ref" in part else part
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "properties":
                out.setdefault("properties", {}).update(value)
            elif key == "required":
                out["required"] = [*out.get("required", []), *value]
            else:
                out.setdefault(key, value)
    return out


def example(schema: Any, root: Any, text: str, name: str = "", depth: int = 0) -> Any:
    """A value valid against `schema` (refs resolved in `root`); strings say `text` where fitting."""
    if schema is True or not isinstance(schema, dict):
        return text
    if "$ref" in schema:
        return example(_resolve(schema["$ref"], root), root, text, name, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema and depth > 0:
        return schema["default"]
    if "allOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return example(_merged([rest, *schema["allOf"]], root), root, text, name, depth + 1)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [o for o in schema[key] if not (isinstance(o, dict) and o.get("type") == "null")]
            return example((options or schema[key])[0], root, text, name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        keep = properties if depth < 6 else {k: v for k, v in properties.items() if k in required}
        return {key: example(sub, root, text, key, depth + 1) for key, sub in keep.items()}
    if kind == "array":
        items = schema.get("items", schema.get("prefixItems", {}))
        if isinstance(items, list):  # a tuple
            return [example(sub, root, text, name, depth + 1) for sub in items]
        count = max(schema.get("minItems", 0), 1 if depth < 4 else 0)
        count = min(count, schema.get("maxItems", count))
        return [example(items, root, text, name, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, text, name)


def _number(schema: dict[str, Any], kind: str) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1 if kind == "integer" else 1.5
    if isinstance(low, int | float):
        value = max(value, low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0))
    if isinstance(high, int | float):
        value = min(value, high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0))
    return int(value) if kind == "integer" else value


def _string(schema: dict[str, Any], text: str, name: str) -> str:
    value = _STRING_FORMATS.get(schema.get("format", ""))
    if value is None:
        value = text if not name or name.lower() in _TEXT_FIELDS else f"fake {name}"
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < low:
        value += "x" * (low - len(value))
    return value[:high] if isinstance(high, int) else value
