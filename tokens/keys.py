"""Named API keys: making them, and what the admin shows about their use."""

from __future__ import annotations

import json
import secrets

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from cursorapi.auth import key_hash

from .models import ApiKey

PREFIX = "sk-"


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def set_secret(key: ApiKey, secret: str) -> None:
    key.prefix = secret[:10]
    key.key_hash = key_hash(secret)


def model_list(text: str) -> list[str]:
    """`a, b` (or a JSON list) to a clean list of model ids."""
    text = text.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def create(
    name: str, *, models: list[str] | None = None, daily_limit: int | None = None, analytics: bool = False
) -> tuple[ApiKey, str]:
    """A new enabled key; the secret is returned once and only its hash is kept."""
    secret = new_secret()
    key = ApiKey(
        name=name, allowed_models=models or [], daily_request_limit=daily_limit, can_read_analytics=analytics
    )
    set_secret(key, secret)
    key.full_clean()
    key.save()
    return key, secret


def with_requests_today(queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
    """Each key with the requests its daily budget admitted today (UTC): the budget's own counter."""
    from .models import ApiKeyDailyUse

    used = ApiKeyDailyUse.objects.filter(api_key=OuterRef("pk"), day=timezone.now().date()).values("requests")
    return queryset.annotate(requests_today=Coalesce(Subquery(used[:1]), 0))
