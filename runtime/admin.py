from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest

from . import config
from .models import Config, ModelList


class ConfigForm(forms.ModelForm):
    class Meta:
        model = Config
        fields = ["values"]
        help_texts = {"values": "JSON object; keys: " + ", ".join(config.KEYS)}

    def clean_values(self) -> dict[str, Any]:
        try:
            return config.validate(self.cleaned_data["values"])
        except config.InvalidConfig as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(Config)
class ConfigAdmin(admin.ModelAdmin):
    form = ConfigForm
    list_display = ["__str__", "updated_at"]
    readonly_fields = ["version", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Config, form: Any, change: bool) -> None:
        obj.pk = 1  # there is one configuration
        super().save_model(request, obj, form, change)
        Config.objects.filter(pk=1).update(version=F("version") + 1)
        config.forget()


@admin.register(ModelList)
class ModelListAdmin(admin.ModelAdmin):
    """The shared model list, read-only: the periodic refresh (or `manage.py refresh_models`) writes it."""

    list_display = ["__str__", "fetch_mode", "refreshed_at"]
    readonly_fields = ["entries", "raw", "fetch_mode", "stamp", "refreshed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
