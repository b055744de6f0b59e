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
    _check(value, limit, _SURROGATE_ESCAPE.search(text) is not None)
    return value


def _check(value: Any, limit: int, strings: bool) -> None:
    """Depth within `limit`; with `strings`, every string and key encodable as UTF-8. No recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit:
                raise BadJson(f"JSON is nested more than {limit} levels deep")
            for key, inner in item.items():
                if strings:
                    _encodable(key)
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            if depth > limit:
                raise BadJson(f"JSON is nested more than {limit} levels deep")
            stack.extend((inner, depth + 1) for inner in item)
        elif strings and isinstance(item, str):
            _encodable(item)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadJson(
            f"the JSON text holds a lone UTF-16 surrogate (\\u{ord(text[exc.start]):04x}), which is not a "
            "character: send valid Unicode"
        ) from None
