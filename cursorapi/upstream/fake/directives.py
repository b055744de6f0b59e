"""`#fake:` lines: how a test (or a user trying the proxy) scripts the fake upstream's reply.

A line of the last user message such as

    #fake: reply="Hello\\nworld" chunks=3 delay_ms=10 error_after=2 error=resource_exhausted

sets what the fake answers. Values may be quoted shell-style; `\\n` in a value is a newline.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

PREFIX = "#fake:"


class DirectiveError(ValueError):
    pass


@dataclass(slots=True)
class ToolCall:
    name: str
    arguments: str  # JSON text


@dataclass(slots=True)
class Directives:
    reply: str | None = None
    chunks: int | None = None
    delay_ms: int = 0
    thinking: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    web_refs: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    error: str | None = None
    error_after: int | None = None
    drop_after: int | None = None
    status: int | None = None
    gzip: bool = False
    split: bool = False
    stall_ms: int = 0
    json: str | None = None  # fenced / plain / invalid: how a JSON reply comes out (fake/structured.py)
    retry_after: int | None = None  # seconds: a Retry-After header on `status`, a hint in error details
    bad_frame: str | None = None  # malformed / oversized / gzip_bomb, after `error_after` text frames
    garbage: bool = False  # the reply's text frames carry bytes that are not a protobuf message
    repeat: int = 1  # the reply, this many times over: a big answer from a small request


_INT_KEYS = {"chunks", "delay_ms", "error_after", "drop_after", "status", "stall_ms", "retry_after", "repeat"}
_BOOL_KEYS = {"gzip", "split", "garbage"}
_TEXT_KEYS = {"reply", "thinking", "error"}
BAD_FRAMES = ("malformed", "oversized", "gzip_bomb")


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\t", "\t")


def parse(message: str) -> tuple[Directives, str]:
    """Directives found in `message`, and the message without its `#fake:` lines."""
    directives = Directives()
    kept: list[str] = []
    for line in message.splitlines():
        stripped = line.strip()
        if not stripped.startswith(PREFIX):
            kept.append(line)
            continue
        try:
            words = shlex.split(stripped[len(PREFIX) :])
        except ValueError as exc:
            raise DirectiveError(f"cannot parse {stripped!r}: {exc}") from exc
        for word in words:
            key, sep, value = word.partition("=")
            if not sep:
                raise DirectiveError(f"directive {word!r} is not key=value")
            _apply(directives, key, _unescape(value))
    return directives, "\n".join(kept).strip()


def _apply(d: Directives, key: str, value: str) -> None:
    if key in _INT_KEYS:
        try:
            number = int(value)
        except ValueError as exc:
            raise DirectiveError(f"{key} must be an integer") from exc
        if number < 0:
            raise DirectiveError(f"{key} must not be negative")
        setattr(d, key, number)
    elif key in _BOOL_KEYS:
        setattr(d, key, value.lower() in ("1", "true", "yes", "on"))
    elif key == "bad_frame":
        if value not in BAD_FRAMES:
            raise DirectiveError(f"bad_frame must be one of {', '.join(BAD_FRAMES)}")
        d.bad_frame = value
    elif key in _TEXT_KEYS:
        setattr(d, key, value)
    elif key == "tool_call":
        name, sep, arguments = value.partition(":")
        if not sep or not name:
            raise DirectiveError("tool_call must be NAME:JSON")
        try:
            json.loads(arguments)
        except ValueError as exc:
            raise DirectiveError("tool_call arguments must be JSON") from exc
        d.tool_calls.append(ToolCall(name, arguments))
    elif key == "json":
        if value not in ("fenced", "plain", "invalid"):
            raise DirectiveError("json must be fenced, plain or invalid")
        d.json = value
    elif key == "web_ref":
        title, sep, url = value.partition("|")
        if not sep or not url:
            raise DirectiveError("web_ref must be TITLE|URL")
        d.web_refs.append((title, url))
    else:
        raise DirectiveError(f"unknown directive {key!r}")


_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.S)


def without_system_text(text: str) -> str:
    """The user's own words: agents (and the Anthropic dialect) put system text in user turns as
    `<system-reminder>` blocks, which the fake, like a model, does not answer."""
    return _REMINDER.sub("", text)


def default_reply(user_text: str) -> str:
    """Without directives the reply is a fixed function of the last user message."""
    text = " ".join(without_system_text(user_text).split())
    return f"Fake Cursor reply to: {text}" if text else "Fake Cursor reply to an empty message."


def split_text(text: str, parts: int) -> list[str]:
    """Cut `text` into `parts` pieces of near-equal length (never splitting inside a character)."""
    parts = max(1, min(parts, len(text) or 1))
    size, extra = divmod(len(text), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(text[start:end])
        start = end
    return [p for p in out if p] or [text]


def natural_chunks(text: str) -> list[str]:
    """Word-sized pieces, like a model streams them."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch in " \n" and len(current) >= 3:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces or [text]
