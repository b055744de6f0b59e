"""Request logs in admin: read-only, and fast on millions of rows (no COUNT(*) per page)."""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .models import ChatLog


class CappedPaginator(Paginator):
    """Counting millions of rows on every page costs seconds; past this many, say "this many or more"."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return len(self.object_list[: self.CAP].values_list("pk", flat=True))


@admin.register(ChatLog)
class ChatLogAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "request_id",
        "dialect",
        "model",
        "stream",
        "status",
        "http_status",
        "token_alias",
        "ttft_ms",
        "total_ms",
        "completion_tokens",
    ]
    # A date filter, not date_hierarchy: the hierarchy aggregates dates over the whole table.
    list_filter = ["status", "dialect", "stream", ("created_at", admin.DateFieldListFilter), "model"]
    search_fields = ["request_id", "token_alias", "error"]
    paginator = CappedPaginator
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = [f.name for f in ChatLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
