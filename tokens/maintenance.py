"""Upkeep that asks Cursor: profiles and usage, config versions, token refreshes.

Each batch reads its tokens, makes the upstream calls concurrently on the management loop
(tokens.remote) through each token's proxy, then writes what came back. A failure is reported for
its own token and never stops or undoes the others; a failed profile keeps the last good one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from google.protobuf.message import DecodeError

from cursorapi import crypto, upstream_client
from cursorapi.upstream import deep_login, hosts, jwt
from cursorapi.upstream.errors import ProtocolError, UpstreamError
from cursorapi.upstream.headers import Account
from cursorapi.upstream.proto import aiserver_pb2 as pb

from . import profile as profiles
from . import remote, services
from .models import Health, Token

REFRESH_CLIENT_ID = "KbZUR41cY7W6zRSdpSUJ7I7mLYBKOCmB"
T = TypeVar("T")


@dataclass(slots=True)
class Outcome:
    alias: str
    error: str | None = None  # None: done

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class Batch:
    outcomes: list[Outcome]

    @property
    def done(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.done

    def failures(self) -> dict[str, str]:
        return {o.alias: o.error for o in self.outcomes if o.error is not None}


def _reason(exc: BaseException) -> str:
    return profiles._reason(exc)


def _gather(
    jobs: list[tuple[Token, Account]], call: Callable[[Token, Account], Awaitable[T]]
) -> list[T | BaseException]:
    """Run `call` for every token's account at once (bounded), on the management loop.

    `call` may read the token's loaded fields but not query: it runs on the management loop's thread.
    """
    limit = max(1, settings.PROFILE_REFRESH_CONCURRENCY)

    async def all_of() -> list[T | BaseException]:
        gate = asyncio.Semaphore(limit)

        async def one(token: Token, account: Account) -> T:
            async with gate:
                return await call(token, account)

        return await asyncio.gather(*(one(token, account) for token, account in jobs), return_exceptions=True)

    if not jobs:
        return []
    return remote.run(all_of())


def _tokens(aliases: Iterable[str]) -> tuple[list[Token], list[Outcome]]:
    wanted = list(dict.fromkeys(aliases))
    found = {t.alias: t for t in Token.objects.select_related("proxy").filter(alias__in=wanted)}
    missing = [Outcome(a, "no token has this alias") for a in wanted if a not in found]
    return [found[a] for a in wanted if a in found], missing


# --- profiles ----------------------------------------------------------------------------------


def update_profiles(aliases: Iterable[str]) -> Batch:
    tokens, outcomes = _tokens(aliases)
    return Batch(outcomes + refresh_profiles(tokens))


def refresh_profiles(tokens: list[Token]) -> list[Outcome]:
    client = upstream_client.get()
    jobs = [(t, services.account_for(t)) for t in tokens]
    replies = _gather(jobs, lambda _, account: profiles.fetch(client, account))
    outcomes = []
    for (token, _), reply in zip(jobs, replies, strict=True):
        if isinstance(reply, BaseException):
            outcomes.append(Outcome(token.alias, _reason(reply)))
        elif not reply.found:
            outcomes.append(Outcome(token.alias, "; ".join(reply.errors) or "Cursor sent no profile"))
        else:
            store_profile(token, reply)
            outcomes.append(Outcome(token.alias))
    return outcomes


def store_profile(token: Token, found: profiles.Profile) -> None:
    """Keep the parts that came back (a failed part keeps its last value); rename unnamed tokens."""
    stored = dict(token.profile or {})
    for part in ("usage", "stripe", "user", "sessions"):
        value = getattr(found, part)
        if value is not None:
            stored[part] = value
    fields: dict[str, Any] = {"profile": stored, "last_refreshed_at": timezone.now()}
    if found.email:
        fields["email"] = found.email[:254]
    if found.membership:
        fields["membership_type"] = found.membership[:32]
    used, limit = found.plan_usage()
    if used is not None:
        fields["usage_used"], fields["usage_limit"] = used, limit
    Token.objects.filter(pk=token.pk).update(**fields)
    # Like the original, a token without a name takes its account's email once that is known.
    if found.email and token.alias.startswith("unnamed") and len(found.email) <= 64:
        try:
            with transaction.atomic():
                Token.objects.filter(pk=token.pk).update(alias=found.email)
        except IntegrityError:
            pass  # the email is another token's alias already: keep the generated one


# --- config versions ---------------------------------------------------------------------------


async def fetch_config_version(account: Account) -> str:
    # Asked without a config version, as the original does.
    account = dataclasses.replace(account, config_version=None)
    reply = await upstream_client.get().unary(account, hosts.SERVER_CONFIG, b"")
    try:
        return str(uuid.UUID(pb.GetServerConfigResponse.FromString(reply.body).config_version))
    except (ValueError, DecodeError) as exc:
        raise UpstreamError("Cursor's server config has no valid config version") from exc


def update_config_versions(aliases: Iterable[str]) -> Batch:
    tokens, outcomes = _tokens(aliases)
    return Batch(outcomes + refresh_config_versions(tokens))


def refresh_config_versions(tokens: list[Token]) -> list[Outcome]:
    outcomes = []
    jobs = []
    for token in tokens:
        if token.token_type == "web":
            why = "a web token: Cursor gives config versions to session tokens"
            outcomes.append(Outcome(token.alias, why))
        else:
            jobs.append((token, services.account_for(token)))
    replies = _gather(jobs, lambda _, account: fetch_config_version(account))
    for (token, _), reply in zip(jobs, replies, strict=True):
        if isinstance(reply, BaseException):
            outcomes.append(Outcome(token.alias, _reason(reply)))
        else:
            Token.objects.filter(pk=token.pk).update(config_version=reply, updated_at=timezone.now())
            outcomes.append(Outcome(token.alias))
    return outcomes


# --- token refresh -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Renewal:
    token: jwt.CursorToken | None = None  # checked: well formed, and the same account
    upgraded: bool = False  # from a web token's deep login, not from the session token's refresh
    error: str | None = None


def _checked(value: str, account: Account, providers: tuple[str, ...]) -> jwt.CursorToken:
    """The new token, if it is one we can store for this account.

    Checked as soon as it arrives, so that an unusable refresh counts as a failed refresh and a
    token with a web secondary still gets its upgrade.
    """
    try:
        parsed = jwt.parse(value, providers)
    except jwt.TokenError as exc:
        raise ProtocolError(f"Cursor's new token is not usable: {exc}") from exc
    if parsed.user_id != account.user_id:
        raise ProtocolError("Cursor's new token belongs to another account")
    return parsed


async def _refreshed(account: Account, providers: tuple[str, ...]) -> jwt.CursorToken:
    payload = {"grant_type": "refresh_token", "client_id": REFRESH_CLIENT_ID, "refresh_token": account.token}
    reply = await upstream_client.get().json(account, hosts.TOKEN_REFRESH, method="POST", payload=payload)
    value = reply.get("access_token") if isinstance(reply, dict) else None
    if not isinstance(value, str):
        raise UpstreamError("Cursor's refresh reply has no access_token")
    return _checked(value, account, providers)


async def _renew(account: Account, *, web: bool, providers: tuple[str, ...], pause: float) -> _Renewal:
    """A session token refreshes (#17); a web token, or a session token whose refresh failed but
    that keeps a web secondary, is upgraded through the deep login (#18/#19), as R4 does."""
    refresh_error = ""
    if not web:
        try:
            return _Renewal(await _refreshed(account, providers))
        except UpstreamError as exc:
            if not account.secondary_token:
                return _Renewal(error=_reason(exc))
            refresh_error = _reason(exc)
    try:
        value = await deep_login.upgrade(upstream_client.get(), account, pause=pause)
        upgraded = _checked(value, account, providers)
    except UpstreamError as exc:
        # Its own messages say what happened; the HTTP status we would map it to says nothing.
        why = str(exc) if isinstance(exc, deep_login.DeepLoginError) else _reason(exc)
        if web:
            return _Renewal(error=f"deep login: {why}")
        return _Renewal(error=f"refresh: {refresh_error}; then deep login with the web token: {why}")
    return _Renewal(upgraded, upgraded=True)


def refresh_tokens(aliases: Iterable[str]) -> Batch:
    """Give each token a new session token: refreshed, or upgraded from its web token."""
    tokens, outcomes = _tokens(aliases)
    jobs = [(t, services.account_for(t)) for t in tokens]
    providers = tuple(settings.ALLOWED_PROVIDERS)
    pause = settings.DEEP_LOGIN_POLL_INTERVAL
    replies = _gather(
        jobs,
        lambda token, account: _renew(
            account, web=token.token_type == "web", providers=providers, pause=pause
        ),
    )
    for (token, _), reply in zip(jobs, replies, strict=True):
        if isinstance(reply, BaseException):
            outcomes.append(Outcome(token.alias, _reason(reply)))
        elif reply.token is None:
            outcomes.append(Outcome(token.alias, reply.error or "no new token"))
        else:
            outcomes.append(_store_refreshed(token, reply.token, upgraded=reply.upgraded))
    return Batch(outcomes)


def _store_refreshed(token: Token, parsed: jwt.CursorToken, *, upgraded: bool = False) -> Outcome:
    changed = ["primary_token", "token_digest", "token_type", "expires_at", "health", "cooldown_until"]
    if upgraded and not token.secondary_token:
        # The web token keeps serving the cookie-authenticated dashboard calls (§7.4 step 4).
        token.secondary_token = token.primary_token
        changed.append("secondary_token")
    token.primary_token = parsed.raw
    token.token_digest = crypto.digest(parsed.raw)
    token.token_type = parsed.token_type
    token.expires_at = datetime.fromtimestamp(parsed.expires_at, tz=UTC)
    # A fresh token is a fresh chance: an account refused for an expired token is usable again.
    token.health, token.cooldown_until, token.last_error = Health.OK, None, ""
    try:
        with transaction.atomic():
            token.save(update_fields=[*changed, "last_error", "updated_at"])
    except IntegrityError:
        return Outcome(token.alias, "Cursor's new token is already in the pool under another alias")
    return Outcome(token.alias)
