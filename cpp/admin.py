from __future__ import annotations

from django.contrib import admin

from .models import Affinity


@admin.register(Affinity)
class AffinityAdmin(admin.ModelAdmin):
    list_display = ["key_hash", "token", "last_used_at"]
    list_select_related = ["token"]
    raw_id_fields = ["token"]
