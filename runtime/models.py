from __future__ import annotations

from django.db import models


class Config(models.Model):
    """The one record of settings changed at runtime; environment values are the defaults under it."""

    values = models.JSONField(default=dict, blank=True, help_text="overrides of the environment's defaults")
    # Bumped on every change: workers compare it to know their copy is stale, writers to detect races.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "runtime configuration"
        verbose_name_plural = "runtime configuration"

    def __str__(self) -> str:
        return f"configuration v{self.version}"


class Worker(models.Model):
    """A live server process, by its heartbeat: records and leases it owns die with it."""

    owner = models.CharField(max_length=128, primary_key=True)  # host:pid:start time
    host = models.CharField(max_length=128)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return self.owner


class ModelList(models.Model):
    """The one shared model list: the built-in table with Cursor's AvailableModels merged in.

    Written by the periodic refresh (runtime.model_refresh), read by every worker; `raw` is Cursor's
    answer as received (GET /raw/models).
    """

    entries = models.JSONField(default=list, blank=True)
    raw = models.JSONField(null=True, blank=True)
    fetch_mode = models.CharField(max_length=20, default="truncate")
    stamp = models.CharField(max_length=32, default="", help_text="changes on every write")
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "model list"

    def __str__(self) -> str:
        return f"{len(self.entries)} models"
