"""Which account serves an editor: the one its client key used before, while that token is usable."""

from __future__ import annotations

import hashlib

from cursorapi.auth import Caller
from tokens import services as pool
from tokens.models import Token

from .models import Affinity


def lease_for_client(caller: Caller, client_key: str) -> pool.Lease:
    if caller.pinned_alias is not None:
        return pool.lease_for(caller)
    key_hash = hashlib.sha256(client_key.encode()).hexdigest()
    affinity = Affinity.objects.filter(key_hash=key_hash).values_list("token__alias", "token_id").first()
    if affinity is not None and Token.objects.usable().filter(pk=affinity[1]).exists():
        return pool.acquire(alias=affinity[0])
    lease = pool.lease_for(caller)
    if lease.token is not None:
        Affinity.objects.update_or_create(key_hash=key_hash, defaults={"token_id": lease.token.pk})
    return lease
