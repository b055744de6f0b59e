"""Keeping the request log within REQUEST_LOGS_LIMIT records and REQUEST_LOGS_MAX_AGE days.

Runs in the background (cursorapi.periodic) or as `cleanup_logs`, never on the request path.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import ChatLog

BATCH = 5000


def _delete_ids(ids: list[int]) -> int:
    deleted, _ = ChatLog.objects.filter(pk__in=ids).delete()
    return deleted


def cleanup() -> int:
    """Delete what the limits do not keep, in batches (short transactions on a big table)."""
    deleted = 0
    max_age = settings.REQUEST_LOGS_MAX_AGE
    limit = settings.REQUEST_LOGS_LIMIT
    cutoff = timezone.now() - timedelta(days=max_age)
    while ids := list(ChatLog.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:BATCH]):
        deleted += _delete_ids(ids)
    # The newest `limit` records stay (0 keeps nothing): everything at or below the limit-th newest id goes.
    if limit <= 0:
        boundary = ChatLog.objects.order_by("-pk").values_list("pk", flat=True).first()
        boundary = None if boundary is None else boundary + 1
    else:
        boundary = ChatLog.objects.order_by("-pk").values_list("pk", flat=True)[limit - 1 : limit].first()
    if boundary is not None:
        older = ChatLog.objects.filter(pk__lt=boundary).order_by("pk").values_list("pk", flat=True)
        while ids := list(older[:BATCH]):
            deleted += _delete_ids(ids)
    _forget_old_budget_days()
    return deleted


def _forget_old_budget_days() -> None:
    """Daily budget counters (cursorapi.admission) matter for today only; yesterday's is kept a day."""
    from tokens.models import ApiKeyDailyUse

    ApiKeyDailyUse.objects.filter(day__lt=timezone.now().date() - timedelta(days=1)).delete()
