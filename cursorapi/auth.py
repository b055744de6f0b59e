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
    allowed_models: tuple[str, ...] = ()  # the key's model list; empty: every model
    daily_limit: int | None = None  # the key's requests per day (UTC); None: no limit

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
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from tokens.models import ApiKey

    found = (
        ApiKey.objects.filter(key_hash=key_hash(secret), enabled=True)
        .values_list("pk", "allowed_models", "daily_request_limit")
        .first()
    )
    if found is None:
        return None
    pk, models, limit = found
    now = timezone.now()
    # last_used_at to the minute: at most one write a minute per key, not one per request.
    ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1)), pk=pk
    ).update(last_used_at=now)
    return Caller(KEY, api_key_id=pk, allowed_models=tuple(models or ()), daily_limit=limit)


def refusal(caller: Caller, model_id: str) -> tuple[int, str, str] | None:
    """Why a named key may not make this request (status, kind, message), or None.

    A sync call (the daily count reads the request log): from async code go through dbwork.db.
    """
    if caller.allowed_models and model_id not in caller.allowed_models:
        return 403, "permission_error", f"this API key may not use the model {model_id!r}"
    if caller.daily_limit is not None and caller.api_key_id is not None:
        from django.utils import timezone

        from chatlogs.models import ChatLog

        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        used = ChatLog.objects.filter(api_key_id=caller.api_key_id, created_at__gte=today).count()
        if used >= caller.daily_limit:
            return (
                429,
                "rate_limit_error",
                f"this API key has used its {caller.daily_limit} requests for today",
            )
    return None


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
