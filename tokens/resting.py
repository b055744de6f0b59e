"""What a failed call says about its token, and when a token rests.

Failures are of two kinds. Account-level: Cursor refused the account (it becomes invalid) or
limited it (it rests, for as long as Cursor's error says when it says so). Service-level: Cursor
failed (5xx, internal, unavailable, timeouts, dropped connections, malformed streams); the account
is not at fault, so one such failure only counts, and the token rests after
TOKEN_SERVICE_FAILURES_BEFORE_REST of them in a row. A failure after the first byte of a reply
never rests a token by itself: at most it counts.

A pool whose tokens all rest still serves: the token whose service-level rest ends first is
tried anyway (a pool of one must not go dark because Cursor hiccupped). Only when every enabled
token rests for account-level reasons does the pool refuse, with the seconds until the soonest
rest ends.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from cursorapi.upstream.errors import CursorError, UpstreamError

from .models import Health, RestReason, Token

# ErrorDetails values that say Cursor refused the account itself (logged out, revoked, expired).
ACCOUNT_REFUSED = frozenset({1, 2, 3, 11, 12, 38, 42})
# Rate and usage limits of the account.
ACCOUNT_LIMITED = frozenset({7, 8, 9, 10, 14, 15, 22, 28, 34, 50, 51})
# Cursor's own failures: unspecified, provider error, timeout, custom messages, its repository
# service, and 41 RESOURCE_EXHAUSTED (Cursor's "high demand", not a limit of this account).
SERVICE_ERRORS = frozenset({0, 13, 25, 29, 37, 41, 52})
# Connect codes without ErrorDetails.
_SERVICE_CODES = frozenset({"internal", "unavailable", "unknown", "deadline_exceeded", "data_loss"})


class Kind(enum.StrEnum):
    REFUSED = "refused"  # the account is unusable: invalid
    LIMITED = "limited"  # the account is rate or usage limited: rest
    SERVICE = "service"  # Cursor failed, not the account: count
    REQUEST = "request"  # about what was asked (bad model, too long, debounced): the token is fine


class PoolResting(Exception):
    """Every enabled token rests for account-level reasons; `retry_after` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def classify(exc: BaseException) -> Kind:
    if not isinstance(exc, CursorError):
        # Timeouts, refused or dropped connections, malformed frames: nothing about the account.
        return Kind.SERVICE if isinstance(exc, UpstreamError) else Kind.REQUEST
    if exc.error in ACCOUNT_REFUSED or exc.code == "unauthenticated":
        return Kind.REFUSED
    if exc.error is not None:
        if exc.error in ACCOUNT_LIMITED:
            return Kind.LIMITED
        if exc.error in SERVICE_ERRORS or exc.type == "unknown":
            return Kind.SERVICE
        return Kind.REQUEST
    if exc.code == "resource_exhausted":  # a bare 429
        return Kind.LIMITED
    return Kind.SERVICE if exc.code in _SERVICE_CODES else Kind.REQUEST


def reason_for(exc: BaseException) -> str:
    """A short text for `last_error`: the error's type and Cursor's words, never a secret."""
    kind = getattr(exc, "type", "") or type(exc).__name__
    return f"{kind}: {exc}"[:300]


def report(token_id: int, exc: BaseException, *, after_first_byte: bool) -> Kind:
    """Record what `exc` says about the token; the kind tells the caller whether to try another."""
    kind = classify(exc)
    reason = reason_for(exc)
    if kind is Kind.REFUSED:
        Token.objects.filter(pk=token_id).update(
            health=Health.INVALID, last_error=reason, rest_reason="", updated_at=timezone.now()
        )
    elif kind is Kind.LIMITED and not after_first_byte:
        seconds = getattr(exc, "retry_after", None) or settings.TOKEN_COOLDOWN_SECONDS
        rest(token_id, RestReason.ACCOUNT, seconds, reason)
    elif kind in (Kind.SERVICE, Kind.LIMITED):
        count_failure(token_id, reason)
    return kind


def rest(token_id: int, why: str, seconds: float, reason: str) -> None:
    now = timezone.now()
    Token.objects.filter(pk=token_id).exclude(health=Health.INVALID).update(
        health=Health.COOLING,
        rest_reason=why,
        cooldown_until=now + timedelta(seconds=seconds),
        last_error=reason[:300],
        updated_at=now,
    )


def count_failure(token_id: int, reason: str) -> None:
    """One more service-level failure in a row; the Nth rests the token (an account rest stays)."""
    now = timezone.now()
    with transaction.atomic():
        Token.objects.filter(pk=token_id).update(
            consecutive_failures=F("consecutive_failures") + 1, last_error=reason[:300], updated_at=now
        )
        Token.objects.filter(
            pk=token_id, consecutive_failures__gte=max(1, settings.TOKEN_SERVICE_FAILURES_BEFORE_REST)
        ).exclude(health=Health.INVALID).exclude(
            rest_reason=RestReason.ACCOUNT, cooldown_until__gt=now
        ).update(
            health=Health.COOLING,
            rest_reason=RestReason.SERVICE,
            cooldown_until=now + timedelta(seconds=settings.TOKEN_COOLDOWN_SECONDS),
        )


def needs_reset(token: Token | None) -> bool:
    """After a success: does the token carry a rest or a failure count to clear? (No write if not.)"""
    return token is not None and (token.health != Health.OK or token.consecutive_failures > 0)


def reset(token_id: int) -> None:
    Token.objects.filter(pk=token_id).exclude(health=Health.INVALID).update(
        health=Health.OK,
        cooldown_until=None,
        rest_reason="",
        consecutive_failures=0,
        last_error="",
        updated_at=timezone.now(),
    )


def end_rest(tokens: Iterable[int] | None = None) -> int:
    """End the rests of these tokens (all when None) now; invalid tokens stay invalid. Returns a count."""
    query = Token.objects.filter(health=Health.COOLING)
    if tokens is not None:
        query = query.filter(pk__in=list(tokens))
    return query.update(
        health=Health.OK,
        cooldown_until=None,
        rest_reason="",
        consecutive_failures=0,
        updated_at=timezone.now(),
    )


def pick_resting(exclude: Iterable[int]) -> tuple[int, str, str] | None:
    """When no token is usable: the one whose service-level rest ends first, stamped as used.

    Raises PoolResting when every enabled, valid token rests for account-level reasons; None when
    the pool has nothing to offer at all (every token disabled or invalid, or already tried).
    """
    excluded = list(exclude)
    now = timezone.now()
    valid = Token.objects.filter(enabled=True).exclude(health=Health.INVALID)
    candidate = (
        valid.exclude(pk__in=excluded)
        .exclude(Q(rest_reason=RestReason.ACCOUNT) & Q(cooldown_until__gt=now))
        .order_by(F("cooldown_until").asc(nulls_first=True), F("last_used_at").asc(nulls_first=True), "id")
        .values_list("id", flat=True)
        .first()
    )
    if candidate is not None:
        table = Token._meta.db_table
        stamp = connection.ops.adapt_datetimefield_value(now)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_used_at = %s WHERE id = %s RETURNING id, updated_at, health",
                [stamp, candidate],
            )
            row = cursor.fetchone()
        if row is not None:
            return row[0], str(row[1]), row[2]
    resting = valid.filter(rest_reason=RestReason.ACCOUNT, cooldown_until__gt=now)
    if valid.exists() and not valid.exclude(pk__in=resting.values("pk")).exists():
        soonest = resting.aggregate(soonest=Min("cooldown_until"))["soonest"]
        raise PoolResting(max(1, math.ceil((soonest - now).total_seconds())))
    return None
