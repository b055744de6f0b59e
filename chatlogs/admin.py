"""Request logs in admin: read-only, and fast on millions of rows (no COUNT(*) per page)."""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from .models import Chain, ChatLog


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
    readonly_fields = [*(f.name for f in ChatLog._meta.fields), "chain_table"]

    @admin.display(description="Chain (per upstream frame)")
    def chain_table(self, obj: ChatLog) -> str:
        """Each content frame: its characters, the wait before it and the time since the request began."""
        delays = Chain.objects.filter(log=obj).values_list("delays", flat=True).first()
        if not delays:
            return "-"
        rows, elapsed = [], 0.0
        widest = max(ms for _, ms in delays) or 1
        for number, (chars, ms) in enumerate(delays, 1):
            elapsed += ms
            bar = max(1, round(120 * ms / widest))
            rows.append((number, chars, f"{ms:.1f}", f"{elapsed:.1f}", bar))
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} ms</td><td>{} ms</td>"
            '<td><span style="display:inline-block;height:.7em;width:{}px;background:#79aec8">'
            "</span></td></tr>",
            rows,
        )
        return format_html(
            "<table><thead><tr><th>#</th><th>chars</th><th>wait</th><th>at</th><th></th></tr></thead>"
            "<tbody>{}</tbody></table>",
            body,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
