"""Who is calling: one place that reads credentials, so views only ask questions of a Caller."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from cursorapi.dbwork import db
from runtime import config as runtime_config

ADMIN = "admin"
SHARED = "shared"
KEY = "key"


@dataclass(frozen=True, slots=True)
class Caller:
    kind: str  # "admin" or "shared" (more kinds arrive with API keys)
    pinned_alias: str | None = None  # AUTH_TOKEN-<alias> pins one pool token
    api_key_id: int | None = None  # a named API key (tokens.ApiKey)

    @property
    def is_admin(self) -> bool:
        return self.kind == ADMIN


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def bearer(request: HttpRequest) -> str:
    value = request.headers.get("Authorization", "")
    return value[len("Bearer ") :].strip() if value.startswith("Bearer ") else ""


def credential(request: HttpRequest) -> str:
    """The chat routes accept `x-api-key` (Anthropic's SDK) or `Authorization: Bearer` (OpenAI's)."""
    return request.headers.get("x-api-key", "").strip() or bearer(request)


def identify(secret: str) -> Caller | None:
    """The caller a secret stands for, or None. Comparisons take constant time."""
    if not secret:
        return None
    admin = settings.AUTH_TOKEN
    if admin:
        if _equal(secret, admin):
            return Caller(ADMIN)
        prefix = admin + "-"
        if len(secret) > len(prefix) and _equal(secret[: len(prefix)], prefix):
            return Caller(ADMIN, pinned_alias=secret[len(prefix) :])
    shared = runtime_config.current()["share_token"]
    if shared and _equal(secret, shared):
        return Caller(SHARED)
    return None


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _named_key(secret: str) -> Caller | None:
    from tokens.models import ApiKey

    found = (
        ApiKey.objects.filter(key_hash=key_hash(secret), enabled=True).values_list("pk", flat=True).first()
    )
    return None if found is None else Caller(KEY, api_key_id=found)


async def authenticate(request: HttpRequest) -> Caller | None:
    """The caller of a chat-level route (chat, models, Copilot++), or None when the key is unknown."""
    secret = credential(request)
    caller = identify(secret)
    if caller is None and secret:
        caller = await db(_named_key)(secret)
    return caller


def is_admin(request: HttpRequest) -> bool:
    """Admin routes read only `Authorization: Bearer <AUTH_TOKEN>`, as the original does."""
    secret = bearer(request)
    return bool(settings.AUTH_TOKEN) and bool(secret) and _equal(secret, settings.AUTH_TOKEN)
