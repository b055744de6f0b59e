"""Writes to the token pool: adding, importing, leasing and reporting on tokens. Each owns its transaction."""

from __future__ import annotations

import dataclasses
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from cursorapi import crypto
from cursorapi.auth import Caller
from cursorapi.upstream import checksum, jwt
from cursorapi.upstream.headers import Account

from . import picking, profile_fill, resting
from .models import GcppHost, Health, RestReason, Token


class TokenInputError(ValueError):
    """Bad input for a token; the message names the problem and never contains the secret."""


@sensitive_variables("value")
def parse_token(value: str) -> jwt.CursorToken:
    try:
        return jwt.parse(jwt.strip_cookie_prefix(value), tuple(settings.ALLOWED_PROVIDERS))
    except jwt.TokenError as exc:
        raise TokenInputError(str(exc)) from exc


def normalize_gcpp_host(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip().removeprefix("https://").rstrip("/")
    for choice in GcppHost:
        if value.lower() in (choice.value.lower(), choice.label.split("(")[1].rstrip(")")):
            return choice.value
    raise TokenInputError(f"gcpp_host must be Asia, EU or US, not {value!r}")


def normalize_timezone(value: str | None) -> str:
    if not value:
        return ""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise TokenInputError(f"unknown timezone {value!r}") from exc
    return value


def _client_key(value: str | None) -> str:
    if value and len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    return checksum.random_hash(settings.SAFE_HASH)


def _session_id(value: str | None) -> uuid.UUID:
    if value:
        try:
            return uuid.UUID(value)
        except ValueError as exc:
            raise TokenInputError("session_id must be a UUID") from exc
    return uuid.uuid4()


@sensitive_variables("value", "token", "parsed")
def build_token(
    value: str,
    *,
    alias: str = "",
    checksum_value: str = "",
    client_key: str | None = None,
    session_id: str | None = None,
    config_version: str | None = None,
    timezone_name: str | None = None,
    gcpp_host: str | None = None,
    enabled: bool = True,
) -> Token:
    """An unsaved Token with the identity fields filled in the original's formats."""
    parsed = parse_token(value)
    first, second = checksum.repair(checksum_value or "", settings.SAFE_HASH)
    try:
        version = uuid.UUID(config_version) if config_version else None
    except ValueError as exc:
        raise TokenInputError("config_version must be a UUID") from exc
    return Token(
        alias=alias.strip(),
        primary_token=parsed.raw,
        token_digest=crypto.digest(parsed.raw),
        user_id=parsed.user_id,
        provider=parsed.provider,
        token_type=parsed.token_type,
        expires_at=datetime.fromtimestamp(parsed.expires_at, tz=UTC),
        checksum_first=first,
        checksum_second=second,
        client_key=_client_key(client_key),
        session_id=_session_id(session_id),
        config_version=version,
        timezone=normalize_timezone(timezone_name),
        gcpp_host=normalize_gcpp_host(gcpp_host),
        enabled=enabled,
    )


def _free_alias(base: str) -> str:
    alias, n = base, 1
    while Token.objects.filter(alias=alias).exists():
        n += 1
        alias = f"{base}-{n}"
    return alias


def save_new_token(token: Token) -> Token:
    """Insert, giving unnamed tokens `unnamed-<n>`; raises IntegrityError on a duplicate token."""
    with transaction.atomic():
        if not token.alias or token.alias == "unnamed" or token.alias.startswith("unnamed-"):
            token.alias = _free_alias(f"unnamed-{Token.objects.count() + 1}")
        token.save()
        profile_fill.added(token.alias)
    return token


# --- the pool ------------------------------------------------------------------------------------


class NoTokenAvailable(Exception):
    """Every token is disabled, invalid or cooling down."""


class PoolResting(NoTokenAvailable):
    """Every enabled token rests for account-level reasons (rate or usage limits)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after  # whole seconds until the soonest rest ends


class UnknownAlias(NoTokenAvailable):
    """A caller pinned a token alias that is not in the pool."""


@sensitive_variables("token")
def account_for(token: Token) -> Account:
    proxy = token.proxy.url if token.proxy_id and token.proxy else _general_proxy()
    return Account(
        token=token.primary_token,
        checksum_first=token.checksum_first,
        checksum_second=token.checksum_second,
        client_key=token.client_key,
        session_id=str(token.session_id),
        config_version=str(token.config_version) if token.config_version else None,
        timezone=token.timezone or settings.GENERAL_TIMEZONE,
        gcpp_host=token.gcpp_host or settings.GENERAL_GCPP_HOST,
        proxy=proxy,
        secondary_token=token.secondary_token,
        user_id=token.user_id,
    )


def _general_proxy() -> str | None:
    # Like the original, with no general proxy configured the environment's proxy (`sys`) is used.
    return picking.general_proxy() or "sys"


@dataclass(frozen=True, slots=True)
class Lease:
    """The account a request uses; `token` is None when the account is not a pool token."""

    token: Token | None
    account: Account


def lease_for(caller: Caller, *, exclude: Iterable[int] = ()) -> Lease:
    """The account for this caller's next upstream call: its pinned token, or the pool's next.

    A dynamic key brings its own account: no pool token, through the proxy the key names.
    """
    if caller.account is not None:
        name = caller.key.proxy_name if caller.key is not None else None
        return Lease(
            None, dataclasses.replace(caller.account, proxy=proxy_url(name, for_key=True), public=True)
        )
    return acquire(alias=caller.pinned_alias, exclude=exclude)


def proxy_url(name: str | None, *, for_key: bool = False) -> str | None:
    """The URL of the proxy with this name; an unknown or missing name means the general proxy.

    `for_key`: the name comes from a dynamic key, so only a proxy the operator marked usable by
    keys counts; any other name is treated as unknown (which neither refuses nor confirms it).
    """
    if name:
        from proxies.models import Proxy

        found = Proxy.objects.filter(name=name)
        if for_key:
            found = found.filter(usable_by_keys=True)
        url = found.values_list("url", flat=True).first()
        if url is not None:
            return url
    return _general_proxy()


def acquire(*, alias: str | None = None, exclude: Iterable[int] = ()) -> Lease:
    """Lease the least recently used usable token (or the named one) and stamp it as used.

    Pick and stamp are one statement (see tokens.picking), so concurrent workers spread over the
    pool instead of piling onto one token.
    """
    picked = picking.pick(alias, exclude)
    if picked is None and alias is None:
        # Nothing usable: rather a token resting for Cursor's failures than no answer at all.
        try:
            picked = resting.pick_resting(exclude)
        except resting.PoolResting as exc:
            raise PoolResting(exc.retry_after) from None
    if picked is None:
        raise UnknownAlias(alias) if alias is not None else NoTokenAvailable()
    token, account = picking.snapshot(*picked, build=account_for)
    return Lease(token, account)


def report_auth_failure(token_id: int, reason: str) -> None:
    Token.objects.filter(pk=token_id).update(
        health=Health.INVALID, last_error=reason[:300], rest_reason="", updated_at=timezone.now()
    )


def report_overload(token_id: int, reason: str, seconds: float | None = None) -> None:
    """Rest the token for an account-level limit (Cursor's wait when it gave one)."""
    resting.rest(token_id, RestReason.ACCOUNT, seconds or settings.TOKEN_COOLDOWN_SECONDS, reason)


def report_success(token: Token | None) -> None:
    """Back to healthy after a rest or failures, without a write when it already was."""
    if token is not None and resting.needs_reset(token):
        resting.reset(token.pk)
