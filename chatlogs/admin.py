"""Request logs in admin: read-only, and fast on millions of rows (no COUNT(*) per page)."""

from __future__ import annotations

import re

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from cursorapi import charts

from .models import Chain, ChatLog


class CappedPaginator(Paginator):
    """Counting millions of rows on every page costs seconds; past this many, say "this many or more"."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return len(self.object_list[: self.CAP].values_list("pk", flat=True))


STATUS_COLOURS = {"success": "#4caf7a", "failure": "#d64545", "cancelled": "#9a9a9a", "pending": "#e09b2d"}
_TURN = re.compile(r"^\[(user|assistant|tool|system)\] ", re.MULTILINE)


@admin.register(ChatLog)
class ChatLogAdmin(admin.ModelAdmin):
    # Eight narrow columns: the list fits a 1366 px screen with the filter sidebar open.
    list_display = [
        "time",
        "key",
        "model_name",
        "dialect",
        "status_badge",
        "ttft",
        "duration",
        "tokens",
    ]
    list_display_links = ["time"]

    class Media:
        css = {"all": ["cursorapi/charts.css"]}

    list_select_related = ["api_key", "billed"]
    # A date filter, not date_hierarchy: the hierarchy aggregates dates over the whole table.
    list_filter = ["status", "dialect", "stream", ("created_at", admin.DateFieldListFilter), "model"]
    search_fields = ["request_id", "token_alias", "error"]
    paginator = CappedPaginator
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = [*(f.name for f in ChatLog._meta.fields), "chain_chart", "chain_table", "conversation"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "created_at",
                    "request_id",
                    "dialect",
                    "model",
                    "stream",
                    "caller",
                    "api_key",
                    "token",
                    "token_alias",
                    "status",
                    "http_status",
                    "error",
                    "attempts",
                    "finish_reason",
                ]
            },
        ),
        (
            "Timing and tokens",
            {"fields": ["ttft_ms", "total_ms", "chars_out", "prompt_tokens", "completion_tokens"]},
        ),
        ("Chain", {"fields": ["chain_chart", "chain_table"]}),
        ("Conversation (with LOG_CONTENT)", {"fields": ["conversation"], "classes": ["collapse"]}),
    ]

    @admin.display(description="time", ordering="created_at")
    def time(self, obj: ChatLog) -> str:
        local = timezone.localtime(obj.created_at)
        return format_html('<span style="white-space:nowrap">{}</span>', local.strftime("%m-%d %H:%M:%S"))

    @admin.display(description="model", ordering="model")
    def model_name(self, obj: ChatLog) -> str:
        return format_html('<span style="white-space:nowrap">{}</span>', obj.model)

    @admin.display(description="key")
    def key(self, obj: ChatLog) -> str:
        return obj.api_key.name if obj.api_key_id and obj.api_key else obj.caller

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ChatLog) -> str:
        colour = STATUS_COLOURS.get(obj.status, "#9a9a9a")
        code = f" {obj.http_status}" if obj.http_status and obj.http_status != 200 else ""
        return format_html(
            '<span style="white-space:nowrap"><span style="color:{}">&#9679;</span> {}{}</span>',
            colour,
            obj.status,
            code,
        )

    @admin.display(description="TTFT", ordering="ttft_ms")
    def ttft(self, obj: ChatLog) -> str:
        return "-" if obj.ttft_ms is None else f"{obj.ttft_ms} ms"

    @admin.display(description="duration", ordering="total_ms")
    def duration(self, obj: ChatLog) -> str:
        if obj.total_ms is None:
            return "-"
        return f"{obj.total_ms / 1000:.1f} s" if obj.total_ms >= 1000 else f"{obj.total_ms} ms"

    @admin.display(description="tokens in/out (billed)")
    def tokens(self, obj: ChatLog) -> str:
        """Our estimate, then what Cursor billed once REAL_USAGE has matched the request."""
        estimate = "-"
        if obj.prompt_tokens is not None or obj.completion_tokens is not None:
            estimate = f"{obj.prompt_tokens or 0} / {obj.completion_tokens or 0}"
        billed = getattr(obj, "billed", None)
        if billed is None:
            return estimate
        return format_html(
            '{} <span style="white-space:nowrap">({} / {}, {}¢)</span>',
            estimate,
            billed.input + billed.cache_read + billed.cache_write,
            billed.output,
            f"{billed.cents:.2f}",
        )

    def _delays(self, obj: ChatLog) -> list:
        if not hasattr(obj, "_chain_delays"):
            obj._chain_delays = Chain.objects.filter(log=obj).values_list("delays", flat=True).first() or []
        return obj._chain_delays

    @admin.display(description="Characters over time")
    def chain_chart(self, obj: ChatLog) -> str:
        delays = self._delays(obj)
        if not delays:
            return "-"
        points, elapsed, total = [], 0.0, 0
        for chars, ms in delays:
            elapsed += ms
            total += chars
            points.append((elapsed, total))
        label = (
            f"Characters received over time: {total} characters in {len(delays)} frames over {elapsed:.0f} ms"
        )
        return charts.cumulative(points, label)

    @admin.display(description="Chain (per upstream frame)")
    def chain_table(self, obj: ChatLog) -> str:
        """Each content frame: its characters, the wait before it and the time since the request began."""
        delays = self._delays(obj)
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

    @admin.display(description="Conversation")
    def conversation(self, obj: ChatLog) -> str:
        """The prompt's turns, then the thinking and the reply, each under its speaker."""
        if not (obj.prompt or obj.reply or obj.thinking):
            return "not stored (LOG_CONTENT is off for this record)"
        turns = []
        marks = list(_TURN.finditer(obj.prompt))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(obj.prompt)
            turns.append((mark.group(1), obj.prompt[mark.end() : end].strip()))
        if obj.prompt and not marks:
            turns.append(("prompt", obj.prompt))
        if obj.thinking:
            turns.append(("thinking", obj.thinking))
        if obj.reply:
            turns.append(("reply", obj.reply))
        return format_html(
            '<div class="conversation">{}</div>',
            format_html_join(
                "",
                '<div style="margin:0 0 .8em"><strong>{}</strong>'
                '<pre style="white-space:pre-wrap;margin:.2em 0 0">{}</pre></div>',
                turns,
            ),
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
