"""The one parse of a JSON request body: strict JSON, bounded nesting, text that can be encoded.

Python's `json` accepts things that break us later: `NaN`/`Infinity` (not JSON, and not numbers any
filter can use), lone UTF-16 surrogates written as `\\ud800` (valid escapes, but a `str` that cannot
be encoded to UTF-8, so it fails deep in the protobuf or database code), and nesting as deep as the
interpreter's recursion limit (a RecursionError). Every JSON route parses through `loads`, which
turns each of these into `BadJson`, a ValueError its caller answers with a 400 in its own shape.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings

# A `\u` escape of a surrogate (D800-DFFF): only bodies holding one need the walk for lone ones.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


class BadJson(ValueError):
    """Why a body is not acceptable JSON; `str()` is a message fit for the client."""


def _no_constants(name: str) -> Any:
    raise BadJson(f"{name} is not valid JSON")


def loads(raw: bytes | str, *, max_depth: int | None = None) -> Any:
    """The parsed body, or BadJson. `max_depth` defaults to settings.JSON_MAX_DEPTH."""
    limit = settings.JSON_MAX_DEPTH if max_depth is None else max_depth
    try:
        # Strict UTF-8 (RFC 8259); json.loads would let surrogates encoded as bytes through.
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise BadJson(f"JSON is nested more than {limit} levels deep") from None
    except BadJson:
        raise
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise BadJson(f"request body is not valid JSON: {exc}") from None
    # No more brackets than the limit (some may be inside strings): the body cannot nest deeper.
    if text.count("[") + text.count("{") > limit and not _within(value, limit):
        raise BadJson(f"JSON is nested more than {limit} levels deep")
    if _SURROGATE_ESCAPE.search(text) is not None:
        _check_strings(value)
    return value


def _within(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest at most `limit` deep: one level at a time, no recursion
    (about half of json.loads's own time on a 500 KB chat, nothing on a typical one)."""
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return False
        below = []
        for item in level:
            for inner in item.values() if type(item) is dict else item:
                kind = type(inner)
                if kind is dict or kind is list:
                    below.append(inner)
        level = below
    return True


def _check_strings(value: Any) -> None:
    """Every string and key encodable as UTF-8 (no lone surrogates). Depth is already bounded."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                _encodable(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            _encodable(item)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadJson(
            f"the JSON text holds a lone UTF-16 surrogate (\\u{ord(text[exc.start]):04x}), which is not a "
            "character: send valid Unicode"
        ) from None
