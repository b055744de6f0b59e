"""Cursor session/web tokens: JWTs whose payload we read but never verify (Cursor signs them)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from dataclasses import dataclass

HEADER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"  # {"alg":"HS256","typ":"JWT"}
ISSUER = "https://authentication.cursor.sh"
SCOPE = "openid profile email offline_access"
AUDIENCE = "https://cursor.com"
DEFAULT_PROVIDERS = ("auth0", "google-oauth2", "github")

_USER_ID = re.compile(r"^(user_[0-9A-HJKMNP-TV-Z]{26}|[0-9a-f]{24})$")
_RANDOMNESS = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}$")
_CLAIMS = {"sub", "time", "randomness", "exp", "iss", "scope", "aud", "type"}


class TokenError(ValueError):
    """A token that is not a Cursor JWT; the message never contains the token."""


@dataclass(frozen=True, slots=True)
class CursorToken:
    raw: str
    provider: str
    user_id: str
    issued_at: int
    expires_at: int
    randomness: str
    token_type: str  # "session" or "web"
    signature: bytes

    @property
    def is_session(self) -> bool:
        return self.token_type == "session"

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at <= (time.time() if now is None else now)


def _b64decode(segment: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", segment):
        raise TokenError("token segment is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("token segment is not base64url") from exc


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def strip_cookie_prefix(value: str) -> str:
    """Users paste the WorkosCursorSessionToken cookie: keep what follows `user_…%3A%3A` or `::`."""
    value = value.strip()
    for sep in ("%3A%3A", "%3a%3a", "::"):
        if sep in value:
            value = value.rsplit(sep, 1)[1]
    return value


def parse(token: str, allowed_providers: tuple[str, ...] | list[str] = DEFAULT_PROVIDERS) -> CursorToken:
    """Read a Cursor JWT strictly; raise TokenError saying what is wrong (never echoing the token)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("token must be a JWT with three dot-separated parts")
    header, payload_b64, signature_b64 = parts
    if header != HEADER:
        raise TokenError("token header is not Cursor's HS256 JWT header")
    signature = _b64decode(signature_b64)
    if len(signature_b64) != 43 or len(signature) != 32:
        raise TokenError("token signature must be 32 bytes")
    try:
        claims = json.loads(_b64decode(payload_b64))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenError("token payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise TokenError("token payload is not a JSON object")
    missing = _CLAIMS - claims.keys()
    extra = claims.keys() - _CLAIMS
    if missing:
        raise TokenError(f"token payload lacks {', '.join(sorted(missing))}")
    if extra:
        raise TokenError(f"token payload has unexpected claims {', '.join(sorted(extra))}")
    sub = claims["sub"]
    if not isinstance(sub, str) or "|" not in sub:
        raise TokenError("token sub must be '<provider>|<user id>'")
    provider, user_id = sub.split("|", 1)
    if provider not in allowed_providers:
        raise TokenError(f"token provider {provider!r} is not allowed")
    if not _USER_ID.match(user_id):
        raise TokenError("token user id must be user_<ULID> or 24 hex digits")
    issued = claims["time"]
    if isinstance(issued, str) and issued.isdigit():
        issued = int(issued)
    if not isinstance(issued, int) or isinstance(issued, bool):
        raise TokenError("token time must be an integer (or a string of one)")
    exp = claims["exp"]
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise TokenError("token exp must be an integer")
    if not isinstance(claims["randomness"], str) or not _RANDOMNESS.match(claims["randomness"]):
        raise TokenError("token randomness must look like xxxxxxxx-xxxx-xxxx")
    for claim, expected in (("iss", ISSUER), ("scope", SCOPE), ("aud", AUDIENCE)):
        if claims[claim] != expected:
            raise TokenError(f"token {claim} is not {expected!r}")
    if claims["type"] not in ("session", "web"):
        raise TokenError("token type must be 'session' or 'web'")
    return CursorToken(
        raw=token,
        provider=provider,
        user_id=user_id,
        issued_at=issued,
        expires_at=exp,
        randomness=claims["randomness"],
        token_type=claims["type"],
        signature=signature,
    )


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def mint(
    *,
    user_id: str | None = None,
    provider: str = "auth0",
    token_type: str = "session",
    lifetime: int = 60 * 24 * 3600,
    now: int | None = None,
) -> str:
    """A well-formed token with a random signature: what the fake upstream hands out and accepts."""
    now = int(time.time()) if now is None else now
    if user_id is None:
        # 26 base-32 digits hold 130 bits and a ULID 128, so its first digit is 0-7.
        rest = "".join(secrets.choice(_CROCKFORD) for _ in range(25))
        user_id = "user_" + secrets.choice(_CROCKFORD[:8]) + rest
    r = secrets.token_hex(8)
    payload = {
        "sub": f"{provider}|{user_id}",
        "time": str(now),
        "randomness": f"{r[:8]}-{r[8:12]}-{r[12:16]}",
        "exp": now + lifetime,
        "iss": ISSUER,
        "scope": SCOPE,
        "aud": AUDIENCE,
        "type": token_type,
    }
    body = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{HEADER}.{body}.{_b64encode(secrets.token_bytes(32))}"
