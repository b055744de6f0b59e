"""Which account serves an editor: the one its client key used before, while that token is usable.

Cursor keeps an editor's synced files per account, so an editor that jumped between pool tokens
would see `non_existant` on every other sync. The mapping lives in the database (not a process
cache) because every worker process must agree on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cursorapi.auth import Caller
from tokens import services as pool
from tokens.models import Token

from .models import Affinity

# The last-used stamp only feeds the TTL, so a write per minute is plenty.
TOUCH_EVERY = timedelta(minutes=1)


def key_hash(client_key: str) -> str:
    return hashlib.sha256(client_key.lower().encode()).hexdigest()


def lease_for_client(caller: Caller, client_key: str, *, exclude: Iterable[int] = ()) -> pool.Lease:
    """The account for this editor's next call; `exclude` holds tokens that just failed it."""
    if caller.pinned_alias is not None or getattr(caller, "account", None) is not None:
        return pool.lease_for(caller)
    if not client_key:  # no editor key: no affinity, the pool's next token
        return pool.lease_for(caller, exclude=exclude)
    digest = key_hash(client_key)
    now = timezone.now()
    excluded = list(exclude)
    current = (
        Affinity.objects.filter(key_hash=digest, last_used_at__gte=now - _ttl())
        .filter(token__in=Token.objects.usable())
        .exclude(token_id__in=excluded)
        .values_list("token__alias", "last_used_at")
        .first()
    )
    if current is not None:
        alias, last_used = current
        try:
            lease = pool.acquire(alias=alias)
        except pool.UnknownAlias:  # deleted since the lookup: choose again below
            pass
        else:
            if now - last_used >= TOUCH_EVERY:
                Affinity.objects.filter(key_hash=digest).update(last_used_at=now)
            return lease
    return _bind(digest, pool.acquire(exclude=excluded), now)


def _bind(digest: str, lease: pool.Lease, now: datetime) -> pool.Lease:
    """Map the editor to the token just leased (a new editor, or its old token became unusable)."""
    assert lease.token is not None
    if Affinity.objects.filter(key_hash=digest).update(token_id=lease.token.pk, last_used_at=now):
        return lease
    try:
        with transaction.atomic():
            Affinity.objects.create(key_hash=digest, token_id=lease.token.pk, last_used_at=now)
    except IntegrityError:
        # A concurrent first call of the same editor bound it first: follow it to one account.
        winner = Affinity.objects.filter(key_hash=digest).values_list("token__alias", flat=True).first()
        if winner is not None and winner != lease.token.alias:
            return pool.acquire(alias=winner)
        return lease
    # New editors are rare next to their calls: a good moment to forget the long gone ones.
    Affinity.objects.filter(last_used_at__lt=now - _ttl()).delete()
    return lease


def _ttl() -> timedelta:
    return timedelta(seconds=settings.CPP_AFFINITY_TTL)
