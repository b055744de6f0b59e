"""Secrets out of any text Cursor (or another upstream) sent that we relay to a client or log.

An upstream error may quote what it was given: the account's JWT, a bearer header, the checksum
or client key, an API key. None of those may reach our callers or our logs, so every upstream
text goes through `scrub` before it is kept anywhere.
"""

from __future__ import annotations

import re

_RULES: list[tuple[re.Pattern[str], str]] = [
    # A JWT (three base64url parts, the first starting `{"` encoded), with a `user_...::` or
    # `user_...%3A%3A` account prefix if the token was quoted whole.
    (re.compile(r"(?:user_[0-9A-Za-z]+(?:::|%3[Aa]%3[Aa]))?eyJ[\w-]*(?:\.[\w-]*)+"), "[token]"),
    # Authorization-style headers and `name=value` credentials, whatever the value looks like.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s\"',;]+"), r"\1\2[secret]"),
    (
        re.compile(
            r"(?i)\b(x-api-key|api[_-]?key|authorization|access[_-]?token|refresh[_-]?token|token"
            r"|x-cursor-checksum|x-client-key|checksum|secret|password)(\"?\s*[:=]\s*\"?)[^\s\"',;]+"
        ),
        r"\1\2[secret]",
    ),
    # Keys in the usual prefixed forms (ours are sk-..., Cursor's key_...).
    (re.compile(r"\b(?:sk|key|crsr)[-_][A-Za-z0-9_-]{16,}"), "[key]"),
    # Checksums, client keys, hashes: long runs of hex digits.
    (re.compile(r"[0-9A-Fa-f]{32,}"), "[hex]"),
    # Anything else that looks like an opaque credential: a long unbroken run of base64 letters.
    (re.compile(r"[A-Za-z0-9+/_=-]{48,}"), "[redacted]"),
]


def scrub(text: str) -> str:
    """`text` with every credential-looking part replaced by a placeholder."""
    if not text:
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
