"""A named key's optional monthly spend limit (cents Cursor billed, REAL_USAGE), checked on admission.

Separate from the daily request budget on purpose: each is one small function. The limit is read
from the key (cached a few seconds per process); the month's spend is one indexed sum over the
billed usage rows since the first of the month (UTC). Billed usage arrives a little after each
request, so a key can go a few requests over its limit before it is refused.
"""

from __future__ import annotations

import time

from django.utils import timezone

CACHE_SECONDS = 5.0
_limits: dict[int, tuple[float, float | None]] = {}


def _limit(api_key_id: int) -> float | None:
    from .models import ApiKey

    now = time.monotonic()
    cached = _limits.get(api_key_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    limit = ApiKey.objects.filter(pk=api_key_id).values_list("monthly_spend_limit_cents", flat=True).first()
    _limits[api_key_id] = (now + CACHE_SECONDS, limit)
    return limit


def cached_unlimited(api_key_id: int) -> bool:
    """True when this process knows, without a query, that the key has no monthly limit."""
    cached = _limits.get(api_key_id)
    return cached is not None and cached[0] > time.monotonic() and cached[1] is None


def monthly_refusal(api_key_id: int | None) -> tuple[int, str, str] | None:
    """(status, error kind, message) when the key has spent its month's limit; None to admit."""
    if api_key_id is None:
        return None
    limit = _limit(api_key_id)
    if limit is None:
        return None
    from chatlogs import billing

    spent = billing.spend_cents(api_key_id, now=timezone.now())["month_cents"]
    if spent < limit:
        return None
    return (
        429,
        "rate_limit_error",
        f"this API key has spent {spent:.2f} of its {limit:.2f} cents for this month",
    )
