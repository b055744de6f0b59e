from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from .models import Proxy


class ProxyForm(forms.ModelForm):
    """The URL's password never reaches the page: the form shows it masked and keeps the stored
    one when the masked text comes back unchanged."""

    class Meta:
        model = Proxy
        fields = ["name", "url", "is_general", "usable_by_keys"]
        help_texts = {
            "url": "non (direct), sys (the environment's proxy), or an http, https, socks5(h), socks4(a) URL"
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["url"] = self.instance.masked_url

    def _get_validation_exclusions(self) -> set[str]:
        # Ticking "general" on a second proxy is a move, done on save, not a constraint clash.
        return {*super()._get_validation_exclusions(), "is_general"}

    def clean_url(self) -> str:
        value = self.cleaned_data["url"]
        if self.instance.pk and value == self.instance.masked_url:
            return self.instance.url
        return value


@admin.register(Proxy)
class ProxyAdmin(admin.ModelAdmin):
    form = ProxyForm
    list_display = ["name", "masked_url", "is_general", "usable_by_keys", "token_count"]
    list_filter = ["is_general"]
    search_fields = ["name"]
    actions = ["make_general"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proxy]:
        return super().get_queryset(request).annotate(tokens_using=Count("tokens"))

    def save_model(self, request: HttpRequest, obj: Proxy, form: Any, change: bool) -> None:
        with transaction.atomic():
            if obj.is_general:
                # One general proxy: choosing another one moves the mark.
                Proxy.objects.filter(is_general=True).exclude(pk=obj.pk).update(is_general=False)
            super().save_model(request, obj, form, change)

    @admin.display(description="URL")
    def masked_url(self, obj: Proxy) -> str:
        return obj.masked_url

    @admin.display(description="tokens", ordering="tokens_using")
    def token_count(self, obj: Proxy) -> int:
        return obj.tokens_using  # type: ignore[attr-defined]

    @admin.action(description="Make the selected proxy the general one")
    def make_general(self, request: HttpRequest, queryset: QuerySet[Proxy]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one proxy to make general.", messages.ERROR)
            return
        chosen = queryset.get()
        with transaction.atomic():
            Proxy.objects.filter(is_general=True).update(is_general=False)
            Proxy.objects.filter(pk=chosen.pk).update(is_general=True)
        self.message_user(request, f"{chosen.name} is now the general proxy.", messages.SUCCESS)
