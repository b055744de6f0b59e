"""The admin site: cursorapi's name on every page, and the pool's dashboard on the index."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from . import dashboard
from .views import VERSION


class CursorAdminSite(admin.AdminSite):
    index_title = "Dashboard"

    @property
    def site_header(self) -> str:  # type: ignore[override]
        return settings.ADMIN_SITE_TITLE

    @property
    def site_title(self) -> str:  # type: ignore[override]
        return settings.ADMIN_SITE_TITLE

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        return {**super().each_context(request), "cursorapi_version": VERSION}

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        window = request.GET.get("window", dashboard.DEFAULT_WINDOW)
        context = {"dashboard": dashboard.build(window), **(extra_context or {})}
        return super().index(request, context)
