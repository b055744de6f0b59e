"""Who is calling: one place that reads credentials, so views only ask questions of a Caller."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from cursorapi.dbwork import db
from cursorapi.upstream import dynamic_key
from cursorapi.upstream.headers import Account
from runtime import config as runtime_config

ADMIN = "admin"
SHARED = "shared"
KEY = "key"
DYNAMIC = "dynamic"  # a dynamic key (/build-key): the caller brings its own Cursor account


@dataclass(frozen=True, slots=True)
class Caller:
    kind: str  # "admin", "shared", "key" (a named API key) or "dynamic" (a /build-key key)
    pinned_alias: str | None = None  # AUTH_TOKEN-<alias> pins one pool token
    api_key_id: int | None = None  # a named API key (tokens.ApiKey)
    allowed_models: tuple[str, ...] = ()  # the key's model list; empty: every model
    daily_limit: int | None = None  # the key's requests per day (UTC); None: no limit
    # A dynamic key's account (its proxy is the key's proxy name, resolved by tokens.services),
    # and the rest of what the key carries (flags, proxy name).
    account: Account | None = None
    key: dynamic_key.KeyContents | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == ADMIN


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@sensitive_variables("value")
def bearer(request: HttpRequest) -> str:
    value = request.headers.get("Authorization", "")
    return value[len("Bearer ") :].strip() if value.startswith("Bearer ") else ""


def credential(request: HttpRequest) -> str:
    """The chat routes accept `x-api-key` (Anthropic's SDK) or `Authorization: Bearer` (OpenAI's)."""
    return request.headers.get("x-api-key", "").strip() or bearer(request)


@sensitive_variables("secret", "admin", "prefix", "shared")
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


@sensitive_variables("secret")
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
    """Why a named key may not make this request (status, kind, message), or None; reserves
    nothing (cursorapi.admission.admit does). A sync call: from async code go through dbwork.db.
    """
    from cursorapi import admission

    refused = admission.peek(caller, model_id)
    return None if refused is None else (refused.status, refused.kind, refused.message)


@sensitive_variables("secret", "hmac_key", "contents", "account")
def _dynamic_key(secret: str) -> tuple[Caller | None, str | None]:
    """The caller for a /build-key key, or why the secret is not one (None: it does not look like one)."""
    if not settings.KEY_PREFIX or not secret.startswith(settings.KEY_PREFIX):
        return None, None
    hmac_key = dynamic_key.secret_key(runtime_config.current()["dynamic_key_secret"])
    if hmac_key is None and not settings.DYNAMIC_KEY:
        return None, "Dynamic keys are disabled on this server (no DYNAMIC_KEY_SECRET, DYNAMIC_KEY=false)."
    try:
        contents = dynamic_key.decode(
            secret,
            settings.KEY_PREFIX,
            tuple(settings.ALLOWED_PROVIDERS),
            hmac_key=hmac_key,
            r3=settings.DYNAMIC_KEY,
        )
    except dynamic_key.DynamicKeyError as exc:
        return None, f"Invalid API key: not a known key, and not a valid dynamic key ({exc})."
    account = Account(
        token=contents.token,
        checksum_first=contents.checksum_first,
        checksum_second=contents.checksum_second,
        client_key=contents.client_key,
        session_id=contents.session_id,
        config_version=contents.config_version,
        timezone=contents.timezone or settings.GENERAL_TIMEZONE,
        gcpp_host=contents.gcpp_host or settings.GENERAL_GCPP_HOST,
        user_id=contents.user_id,
    )
    return Caller(DYNAMIC, account=account, key=contents), None


@sensitive_variables("secret")
async def authenticate(request: HttpRequest) -> Caller | None:
    """The caller of a chat-level route (chat, models, Copilot++), or None when the key is unknown.

    When a key is refused for a reason worth telling (a malformed dynamic key, dynamic keys off),
    the reason is left in `request.auth_problem` for the 401's message.
    """
    secret = credential(request)
    caller = identify(secret)
    if caller is None and secret:
        # Decoding costs no query; a named key may share the prefix, so it is looked up after.
        caller, problem = _dynamic_key(secret)
        if caller is None:
            caller = await db(_named_key)(secret)
            if caller is None and problem:
                request.auth_problem = problem  # type: ignore[attr-defined]
    return caller


_analytics_seen: dict[str, tuple[float, bool]] = {}
ANALYTICS_KEY_SECONDS = 10.0  # how long a key's analytics permission is trusted without a query


def _analytics_key(digest: str) -> bool:
    from tokens.models import ApiKey

    return ApiKey.objects.filter(key_hash=digest, enabled=True, can_read_analytics=True).exists()


@sensitive_variables("secret")
async def can_read_analytics(
    request: HttpRequest, run: Callable[[Callable[[str], bool]], Callable[[str], Awaitable[bool]]] = db
) -> bool:
    """The admin, or a named API key allowed to read analytics.

    The one indexed lookup runs off the event loop through `run` (the shared database pool unless
    the view says otherwise); waiting on it from the loop would stall every other request. Its answer
    is kept for a few seconds, so a key costs a query at most once per interval.
    """
    if is_admin(request):
        return True
    secret = credential(request)
    if not secret:
        return False
    digest = key_hash(secret)
    now = time.monotonic()
    seen = _analytics_seen.get(digest)
    if seen is not None and seen[0] > now:
        return seen[1]
    allowed = await run(_analytics_key)(digest)
    if len(_analytics_seen) > 10_000:
        _analytics_seen.clear()
    _analytics_seen[digest] = (now + ANALYTICS_KEY_SECONDS, allowed)
    return allowed


@sensitive_variables("secret")
def is_admin(request: HttpRequest) -> bool:
    """Admin routes read only `Authorization: Bearer <AUTH_TOKEN>`, as the original does."""
    secret = bearer(request)
    return bool(settings.AUTH_TOKEN) and bool(secret) and _equal(secret, settings.AUTH_TOKEN)
