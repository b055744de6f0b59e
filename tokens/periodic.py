"""The background profile refresh: every token's profile and usage, every PROFILE_REFRESH_INTERVAL.

Runs in its own thread of a server process (cursorapi.periodic), or as `manage.py refresh_profiles
--every S`; it never runs on the request path. Tokens are taken in batches, the least recently
refreshed first, so a large pool is covered evenly even when a run is cut short.
"""

from __future__ import annotations

import logging

from django.db.models import F

from . import maintenance
from .models import Token

log = logging.getLogger(__name__)
BATCH = 200


def refresh_all(batch: int = BATCH) -> tuple[int, int]:
    """Refresh every enabled token once; (refreshed, failed)."""
    done = failed = 0
    ids = list(
        Token.objects.filter(enabled=True)
        .order_by(F("last_refreshed_at").asc(nulls_first=True), "id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(ids), batch):
        tokens = list(Token.objects.select_related("proxy").filter(pk__in=ids[start : start + batch]))
        for outcome in maintenance.refresh_profiles(tokens):
            if outcome.ok:
                done += 1
            else:
                failed += 1
                log.info("profile refresh failed for %s: %s", outcome.alias, outcome.error)
    return done, failed


def run_once() -> None:
    done, failed = refresh_all()
    log.info("profiles refreshed: %s, failed: %s", done, failed)
