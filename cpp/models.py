from __future__ import annotations

from django.db import models
from django.utils import timezone


class Affinity(models.Model):
    """Which pool token an editor (by its x-client-key) uses: file sync state lives upstream per account."""

    key_hash = models.CharField(max_length=64, unique=True)  # sha256 of the client key, never the key
    token = models.ForeignKey("tokens.Token", on_delete=models.CASCADE, related_name="cpp_affinities")
    # Refreshed at most once a minute (see services.TOUCH_EVERY); rows past CPP_AFFINITY_TTL are pruned.
    last_used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "Copilot++ affinity"
        verbose_name_plural = "Copilot++ affinities"

    def __str__(self) -> str:
        return f"{self.key_hash[:12]}… → {self.token_id}"
