"""The model list shared by every worker: stored in the database, copied into each worker's catalog.

Cursor's AvailableModels is fetched by the periodic job (runtime.model_refresh), never on a request's
path; workers notice a new list within a few seconds (runtime.middleware) by comparing its stamp.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from cursorapi.chat import catalog as catalogs
from cursorapi.chat.types import Model

from .models import ModelList


def save(models: list[Model], raw: dict[str, Any] | None, fetch_mode: str) -> ModelList:
    record, _ = ModelList.objects.update_or_create(
        pk=1,
        defaults={
            "entries": [catalogs.to_json(m) for m in models],
            "raw": raw,
            "fetch_mode": fetch_mode,
            "stamp": uuid.uuid4().hex,
            "refreshed_at": timezone.now(),
        },
    )
    return record


def stored() -> ModelList | None:
    return ModelList.objects.filter(pk=1).first()


def sync(cat: catalogs.Catalog | None = None) -> None:
    """Load the stored list into this worker's catalog when it changed (one small query otherwise)."""
    cat = cat or catalogs.catalog
    try:
        stamp = ModelList.objects.filter(pk=1).values_list("stamp", flat=True).first()
        if not stamp or stamp == cat.stamp:
            return
        record = ModelList.objects.get(pk=1)
    except (DatabaseError, ModelList.DoesNotExist):
        return  # keep serving the list we have
    models = [catalogs.from_json(m) for m in record.entries if isinstance(m, dict) and m.get("id")]
    refreshed = record.refreshed_at.timestamp() if record.refreshed_at else None
    cat.replace(models, stamp=record.stamp, refreshed_at=refreshed)
