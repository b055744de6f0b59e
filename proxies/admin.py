from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from .models import Proxy


@admin.register(Proxy)
class ProxyAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_url", "is_general", "token_count"]
    list_filter = ["is_general"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tokens_using=Count("tokens"))

    @admin.display(description="tokens", ordering="tokens_using")
    def token_count(self, obj: Proxy) -> int:
        return obj.tokens_using  # type: ignore[attr-defined]
