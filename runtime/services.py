"""Changing the runtime configuration: one writer wins, the other learns its copy was stale."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from . import config
from .models import Config


class StaleHash(Exception):
    """The configuration changed since the caller read it (412)."""


def _record() -> Config:
    try:
        with transaction.atomic():
            record, _ = Config.objects.get_or_create(pk=1)
    except IntegrityError:  # created by a concurrent writer just now
        record = Config.objects.get(pk=1)
    return record


def update(expected_hash: str, changes: dict[str, Any]) -> bool:
    """Apply `changes` if the effective configuration still hashes to `expected_hash`.

    Returns whether the effective values changed. The write is a conditional UPDATE on the version
    read, so of two writers holding the same hash exactly one succeeds.
    """
    changes = config.validate(changes)
    record = _record()
    before = config.effective(record.values)
    if config.config_hash(before) != expected_hash:
        raise StaleHash
    overrides = {**record.values, **changes}
    written = Config.objects.filter(pk=1, version=record.version).update(
        values=overrides, version=F("version") + 1
    )
    if not written:
        raise StaleHash
    config.forget()
    return config.config_hash(config.effective(overrides)) != expected_hash


def current_overrides() -> dict[str, Any]:
    return dict(_record().values)
