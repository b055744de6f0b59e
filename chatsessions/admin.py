from __future__ import annotations

from django.contrib import admin

from .models import ChatSession


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ["session_id", "owner", "model", "turn_count", "last_used_at", "lease_until"]
    list_filter = ["owner"]
    search_fields = ["session_id"]
    readonly_fields = ["created_at", "last_used_at", "lease_until", "lease_holder"]

    @admin.display(description="turns")
    def turn_count(self, obj: ChatSession) -> int:
        return len(obj.turns)
