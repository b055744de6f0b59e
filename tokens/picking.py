"""The pool's hot path: pick and stamp the next token in one statement, and reuse decrypted accounts.

Every chat request runs this before it can call Cursor, so it is built for speed: a single
UPDATE ... RETURNING (the pick is a subquery, row-locked on PostgreSQL so concurrent workers skip
each other's choice), and the token's decrypted identity kept in process memory for a few seconds,
keyed by its `updated_at`, so Fernet and the ORM are skipped on most requests.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from cursorapi.dbwork import one_writer
from cursorapi.upstream.headers import Account

from .models import Health, Token

SNAPSHOT_SECONDS = 5.0  # how stale a token's proxy or general proxy may be on the hot path

_lock = threading.Lock()
_snapshots: dict[int, tuple[float, str, Token, Account]] = {}
_general: tuple[float, str | None] | None = None


def clear(**_: object) -> None:
    global _general
    with _lock:
        _snapshots.clear()
        _general = None


# A proxy edited in this process applies at once; other processes see it within SNAPSHOT_SECONDS.
post_save.connect(clear, sender="proxies.Proxy", dispatch_uid="picking-proxy-saved")
post_delete.connect(clear, sender="proxies.Proxy", dispatch_uid="picking-proxy-deleted")


def _sql(alias: bool, excluded: int, *, skip_locked: bool = True) -> str:
    table = Token._meta.db_table
    if alias:
        where = "alias = %s"
    else:
        not_in = f" AND id NOT IN ({', '.join(['%s'] * excluded)})" if excluded else ""
        # NO KEY UPDATE, not UPDATE: a log record naming the token holds a key-share lock on its row
        # until that write commits, and must not make the token look taken.
        lock = " FOR NO KEY UPDATE" if connection.vendor == "postgresql" else ""
        if lock and skip_locked:
            lock += " SKIP LOCKED"
        where = (
            f"id = (SELECT id FROM {table} WHERE enabled AND health <> %s"
            f" AND (cooldown_until IS NULL OR cooldown_until <= %s){not_in}"
            f" ORDER BY last_used_at ASC NULLS FIRST, id ASC LIMIT 1{lock})"
        )
    return f"UPDATE {table} SET last_used_at = %s WHERE {where} RETURNING id, updated_at, health"


@one_writer
def pick(alias: str | None, exclude: Iterable[int]) -> tuple[int, str, str] | None:
    """Stamp and return (id, updated_at, health) of the next token, or None."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    excluded = list(exclude)
    if alias is not None:
        params: list[object] = [now, alias]
    else:
        params = [now, Health.INVALID, now, *excluded]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A lost "last used" stamp after a crash is harmless; waiting for the WAL flush is not.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(_sql(alias is not None, len(excluded)), params)
        row = cursor.fetchone()
        if row is None and alias is None and connection.vendor == "postgresql":
            # Every usable token was being stamped by another worker at this very moment (a pool of
            # one, say): wait for those few microseconds rather than answer "no token".
            cursor.execute(_sql(False, len(excluded), skip_locked=False), params)
            row = cursor.fetchone()
    return None if row is None else (row[0], str(row[1]), row[2])


def general_proxy() -> str | None:
    global _general
    now = time.monotonic()
    cached = _general
    if cached is not None and cached[0] > now:
        return cached[1]
    from proxies.models import Proxy

    url = Proxy.objects.filter(is_general=True).values_list("url", flat=True).first()
    _general = (now + SNAPSHOT_SECONDS, url)
    return url


def snapshot(
    token_id: int, version: str, health: str, build: Callable[[Token], Account]
) -> tuple[Token, Account]:
    """The token and its account, from memory while the row is unchanged (and for a few seconds)."""
    now = time.monotonic()
    cached = _snapshots.get(token_id)
    if cached is None or cached[0] < now or cached[1] != version:
        token = Token.objects.select_related("proxy").get(pk=token_id)
        account = build(token)
        with _lock:
            _snapshots[token_id] = (now + SNAPSHOT_SECONDS, version, token, account)
    else:
        _, _, token, account = cached
    # Each lease gets its own copy, carrying the health the pick just read.
    token = copy.copy(token)
    token.health = health
    return token, account
