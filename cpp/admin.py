from __future__ import annotations

from django.contrib import admin

from .models import Affinity


@admin.register(Affinity)
class AffinityAdmin(admin.ModelAdmin):
    """Which token each editor is on; the client key itself is never stored, only its hash."""

    list_display = ["key_hash", "token", "last_used_at"]
    list_select_related = ["token"]
    raw_id_fields = ["token"]
    search_fields = ["key_hash", "token__alias"]
    ordering = ["-last_used_at"]
