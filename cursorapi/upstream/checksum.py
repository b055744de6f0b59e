"""x-cursor-checksum: an obfuscated time prefix followed by the account's two machine hashes.

Format: 8 characters of time header, then `<first 64 hex>/<second 64 hex>`: 137 characters.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time

CHECKSUM_LENGTH = 137
_SEED = 165
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEADER = re.compile(r"^[A-Za-z0-9_-]{8}$")


def _obfuscate(raw: bytes) -> bytes:
    out = bytearray()
    prev = _SEED
    for i, byte in enumerate(raw):
        prev = ((byte ^ prev) + i) & 0xFF
        out.append(prev)
    return bytes(out)


def _deobfuscate(data: bytes) -> bytes:
    out = bytearray()
    prev = _SEED
    for i, byte in enumerate(data):
        out.append(((byte - i) & 0xFF) ^ prev)
        prev = byte
    return bytes(out)


def time_header(unix_seconds: float | None = None) -> str:
    """The 8-character prefix; it changes every 1000 seconds."""
    k = int((time.time() if unix_seconds is None else unix_seconds) // 1000)
    raw = bytes([(k >> 8) & 0xFF, k & 0xFF, (k >> 24) & 0xFF, (k >> 16) & 0xFF, (k >> 8) & 0xFF, k & 0xFF])
    return base64.urlsafe_b64encode(_obfuscate(raw)).decode().rstrip("=")


def decode_time_header(header: str) -> int | None:
    """Kilo-seconds since the epoch encoded in a prefix, or None when it is not a valid prefix."""
    if not _HEADER.match(header):
        return None
    raw = _deobfuscate(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    if raw[0] != raw[4] or raw[1] != raw[5]:
        return None
    return int.from_bytes(raw[2:6], "big")


def random_hash(safe: bool = True) -> str:
    """32 random bytes as 64 lowercase hex (SHA-256'd when `safe`, as the original does)."""
    data = secrets.token_bytes(32)
    return (hashlib.sha256(data).digest() if safe else data).hex()


def build(first: str, second: str, unix_seconds: float | None = None) -> str:
    return f"{time_header(unix_seconds)}{first}/{second}"


def split(value: str) -> tuple[str, str] | None:
    """Parse a stored or pasted checksum strictly: `first/second` (129) or `prefix+first/second` (137)."""
    value = value.strip()
    if len(value) == CHECKSUM_LENGTH and _HEADER.match(value[:8]):
        value = value[8:]
    if len(value) != 129 or value[64] != "/":
        return None
    first, second = value[:64].lower(), value[65:].lower()
    if not (_HEX64.match(first) and _HEX64.match(second)):
        return None
    return first, second


def repair(value: str, safe: bool = True) -> tuple[str, str]:
    """Accept what users paste, filling what is missing with random hashes.

    `prefix+hex64` (72) keeps the first half, `hex64/hex64` or the full 137 keep both; anything else
    gives two new hashes.
    """
    value = value.strip()
    parts = split(value)
    if parts:
        return parts
    if len(value) == 72 and _HEADER.match(value[:8]) and _HEX64.match(value[8:].lower()):
        return value[8:].lower(), random_hash(safe)
    return random_hash(safe), random_hash(safe)


def verify(value: str, now: float | None = None, skew_seconds: float | None = None) -> str | None:
    """Why a checksum header is unacceptable, or None when it is fine (used by the fake upstream)."""
    if len(value) != CHECKSUM_LENGTH:
        return f"checksum must be {CHECKSUM_LENGTH} characters, got {len(value)}"
    k = decode_time_header(value[:8])
    if k is None:
        return "checksum time prefix does not decode"
    if split(value) is None:
        return "checksum hashes are not two 64-hex values separated by '/'"
    if skew_seconds is not None:
        current = (time.time() if now is None else now) // 1000
        if abs(current - k) * 1000 > skew_seconds:
            return "checksum time prefix is too far from the server's clock"
    return None
