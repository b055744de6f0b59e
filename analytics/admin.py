"""Admin lists for the metrics (cheap on huge tables) and the AI-share summary per user and repo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property

from .models import AiChange, AiCodeUser, AiCommit, SyncState
from .query import BadParameter, parse_date
from .summary import share_by

COUNT_CAP = 10_000  # past this many rows the list shows "10000+" pages' worth instead of counting all
DISTINCT_CAP = 200


class CappedCountPaginator(Paginator):
    """COUNT(*) of a million-row filter is slow: count up to the cap and stop there."""

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return self.object_list.order_by()[: COUNT_CAP + 1].count()


class UserFilter(admin.SimpleListFilter):
    title = "user"
    parameter_name = "user"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # From the small users table: a DISTINCT over the metrics would scan them all.
        return [(u.user_id, u.email) for u in AiCodeUser.objects.all()[:DISTINCT_CAP]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(user_id=self.value()) if self.value() else queryset


class DistinctValueFilter(admin.SimpleListFilter):
    """Values of an indexed column (the index answers the DISTINCT), at most DISTINCT_CAP of them."""

    field = ""
    NONE = "__none__"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        values = (
            model_admin.model.objects.order_by(self.field)
            .values_list(self.field, flat=True)
            .distinct()[:DISTINCT_CAP]
        )
        return [(self.NONE if v is None else v, "(unknown)" if v is None else v) for v in values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if value == self.NONE:
            return queryset.filter(**{f"{self.field}__isnull": True})
        return queryset.filter(**{self.field: value})


class RepoFilter(DistinctValueFilter):
    title = "repo"
    parameter_name = "repo"
    field = "repo_name"


class BranchFilter(DistinctValueFilter):
    title = "branch"
    parameter_name = "branch"
    field = "branch_name"


class ModelFilter(DistinctValueFilter):
    title = "model"
    parameter_name = "ai_model"
    field = "model"


class _MetricAdmin(admin.ModelAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 100
    # The rows are Cursor's: we show them, the sync writes them.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AiCommit)
class AiCommitAdmin(_MetricAdmin):
    list_display = [
        "short_hash",
        "user_email",
        "repo_name",
        "branch_name",
        "is_primary_branch",
        "total_lines_added",
        "tab_lines_added",
        "composer_lines_added",
        "non_ai_lines_added",
        "commit_ts",
        "created_at",
    ]
    list_filter = [
        UserFilter,
        RepoFilter,
        BranchFilter,
        "is_primary_branch",
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["=commit_hash", "=user_email"]
    change_list_template = "analytics/aicommit_change_list.html"

    @admin.display(description="commit", ordering="commit_hash")
    def short_hash(self, obj: AiCommit) -> str:
        return obj.commit_hash[:12]

    def get_urls(self) -> list[Any]:
        summary = path("summary/", self.admin_site.admin_view(self.summary_view), name="analytics_summary")
        return [summary, *super().get_urls()]

    def summary_view(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        error = ""
        start_text = request.GET.get("start", "30d")
        end_text = request.GET.get("end", "now")
        try:
            start = parse_date(start_text, now=now, param="start")
            end = parse_date(end_text, now=now, param="end", end_of_day=True)
            if start > end:
                raise BadParameter("start", "must not be after end")
        except BadParameter as exc:
            error = f"{exc.param}: {exc.message}; showing the last 30 days"
            start, end = now - timedelta(days=30), now
        by_user, total = share_by("user", start, end)
        by_repo, _ = share_by("repo", start, end)
        context = {
            **self.admin_site.each_context(request),
            "title": "AI share of added lines",
            "opts": self.model._meta,
            "start_text": start_text,
            "end_text": end_text,
            "start": start,
            "end": end,
            "error": error,
            "tables": [("Per user", by_user), ("Per repo", by_repo)],
            "total": total,
            "presets": ["7d", "30d", "90d", "365d"],
        }
        return TemplateResponse(request, "analytics/summary.html", context)


@admin.register(AiChange)
class AiChangeAdmin(_MetricAdmin):
    list_display = [
        "change_id",
        "user_email",
        "source",
        "model",
        "total_lines_added",
        "total_lines_deleted",
        "files",
        "created_at",
    ]
    list_filter = [UserFilter, "source", ModelFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=change_id", "=user_email"]

    @admin.display(description="files")
    def files(self, obj: AiChange) -> int:
        return len(obj.metadata or [])


@admin.register(AiCodeUser)
class AiCodeUserAdmin(admin.ModelAdmin):
    list_display = ["email", "user_id", "numeric_id"]
    search_fields = ["email", "user_id"]
    readonly_fields = ["user_id", "email"]
    fields = ["user_id", "email", "numeric_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SyncState)
class SyncStateAdmin(admin.ModelAdmin):
    list_display = [
        "endpoint",
        "user",
        "synced_from",
        "synced_until",
        "pending_start",
        "pending_page",
        "last_run_at",
        "last_error",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
