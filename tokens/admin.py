"""The pool in Django admin: the page a team lead uses every day, so it stays fast with thousands of rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_variables

from proxies.models import Proxy

from . import keys, maintenance, resting, services
from .models import ApiKey, Health, Token


class TokenAddForm(forms.ModelForm):
    """Adding a token takes the JWT (or the pasted cookie) and fills the identity as the import does."""

    token = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="session or web JWT")
    checksum_value = forms.CharField(
        required=False, label="checksum", help_text="optional; generated if empty"
    )
    alias = forms.CharField(required=False, max_length=64, help_text="empty: unnamed-<n>")

    class Meta:
        model = Token
        fields = ["alias", "proxy", "timezone", "gcpp_host", "enabled"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            self.built = services.build_token(
                data.get("token", ""),
                alias=data.get("alias", ""),
                checksum_value=data.get("checksum_value", ""),
                timezone_name=data.get("timezone") or None,
                gcpp_host=data.get("gcpp_host") or None,
                enabled=data.get("enabled", True),
            )
        except services.TokenInputError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if Token.objects.filter(token_digest=self.built.token_digest).exists():
            raise forms.ValidationError("this token is already in the pool")
        self.built.proxy = data.get("proxy")
        return data


class HealthFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("usable", "Usable now"), *Health.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Token]) -> QuerySet[Token]:
        if self.value() == "usable":
            return queryset.usable()  # type: ignore[attr-defined]
        if self.value():
            return queryset.filter(health=self.value())
        return queryset


class TokenActionForm(ActionForm):
    """The action bar: "Assign proxy" takes its proxy from here."""

    proxy = forms.ModelChoiceField(
        Proxy.objects.order_by("name"), required=False, empty_label="(general proxy)", label="proxy"
    )


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    action_form = TokenActionForm
    list_display = [
        "alias",
        "masked",
        "email",
        "membership_type",
        "usage",
        "health_badge",
        "rest",
        "enabled",
        "proxy",
        "last_used_at",
        "last_refreshed_at",
    ]
    list_filter = [HealthFilter, "membership_type", "enabled", "proxy", "gcpp_host"]
    list_select_related = ["proxy"]
    search_fields = ["alias", "email", "user_id"]
    list_per_page = 100
    actions = [
        "enable",
        "disable",
        "mark_healthy",
        "end_rest",
        "refresh_profile",
        "refresh_config_version",
        "refresh_token",
        "assign_proxy",
    ]
    readonly_fields = [
        "masked",
        "user_id",
        "provider",
        "token_type",
        "expires_at",
        "health",
        "cooldown_until",
        "rest_reason",
        "consecutive_failures",
        "last_error",
        "last_used_at",
        "last_refreshed_at",
        "profile",
        "created_at",
        "updated_at",
    ]
    # The secrets are never shown here: only their masked form.
    exclude = ["primary_token", "secondary_token"]

    def get_form(
        self, request: HttpRequest, obj: Token | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = TokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Token | None = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Token | None = None) -> list[str]:
        if obj is None:
            return ["token", "checksum_value", "alias", "proxy", "timezone", "gcpp_host", "enabled"]
        return super().get_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Token, form: Any, change: bool) -> None:
        if not change:
            obj = services.save_new_token(form.built)
            form.instance = obj
            return
        super().save_model(request, obj, form, change)

    @admin.display(description="token")
    def masked(self, obj: Token) -> str:
        return obj.masked_token

    @admin.display(description="usage", ordering="usage_used")
    def usage(self, obj: Token) -> str:
        if obj.usage_used is None:
            return "-"
        if not obj.usage_limit:
            return f"{obj.usage_used:g}"
        fraction = min(1.0, obj.usage_used / obj.usage_limit)
        colour = "#d64545" if fraction >= 0.9 else "#3d8fd1"
        return format_html(
            '<span title="{}%" style="display:inline-block;width:60px;height:8px;vertical-align:middle;'
            'background:var(--darkened-bg)"><span style="display:block;height:100%;width:{}%;'
            'background:{}"></span></span> {} / {}',
            round(fraction * 100),
            round(fraction * 100),
            colour,
            f"{obj.usage_used:g}",
            f"{obj.usage_limit:g}",
        )

    @admin.display(description="reason")
    def rest(self, obj: Token) -> str:
        """What Cursor said when the token was taken out of the rotation (the badge says until when)."""
        resting = obj.cooldown_until is not None and obj.cooldown_until > timezone.now()
        if obj.health == Health.INVALID or resting:
            return obj.last_error or "-"
        return "-"

    @admin.display(description="health", ordering="health")
    def health_badge(self, obj: Token) -> str:
        colour = {"ok": "green", "cooling": "orange", "invalid": "red"}.get(obj.health, "grey")
        label = obj.get_health_display()
        if obj.health == Health.COOLING and obj.cooldown_until and obj.cooldown_until < timezone.now():
            label = "OK (cooled down)"
            colour = "green"
        elif obj.health == Health.COOLING and obj.cooldown_until:
            why = obj.get_rest_reason_display() if obj.rest_reason else "Cursor failing"
            until = timezone.localtime(obj.cooldown_until).strftime("%H:%M:%S")
            label = f"Resting until {until} ({why})"
        return format_html('<span style="color:{}">{}</span>', colour, label)

    @admin.action(description="Enable selected tokens")
    def enable(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        self.message_user(request, f"Enabled {queryset.update(enabled=True)} tokens.", messages.SUCCESS)

    @admin.action(description="Disable selected tokens")
    def disable(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        self.message_user(request, f"Disabled {queryset.update(enabled=False)} tokens.", messages.SUCCESS)

    @admin.action(description="Mark selected tokens healthy (clear errors and cooldowns)")
    def mark_healthy(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        count = queryset.update(
            health=Health.OK, cooldown_until=None, last_error="", updated_at=timezone.now()
        )
        self.message_user(request, f"{count} tokens back in the rotation.", messages.SUCCESS)

    @admin.action(description="End the rest of selected tokens now")
    def end_rest(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        count = resting.end_rest(queryset.values_list("pk", flat=True))
        self.message_user(request, f"Ended the rest of {count} tokens.", messages.SUCCESS)

    def _report(self, request: HttpRequest, what: str, outcomes: list[maintenance.Outcome]) -> None:
        done = [o for o in outcomes if o.ok]
        failed = [o for o in outcomes if not o.ok]
        if done:
            self.message_user(request, f"{what}: {len(done)} done.", messages.SUCCESS)
        for outcome in failed[:20]:
            self.message_user(request, f"{what} failed for {outcome.alias}: {outcome.error}", messages.ERROR)
        if len(failed) > 20:
            self.message_user(request, f"{what} failed for {len(failed) - 20} more.", messages.ERROR)

    @admin.action(description="Refresh profile and usage from Cursor")
    def refresh_profile(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        outcomes = maintenance.refresh_profiles(list(queryset.select_related("proxy")))
        self._report(request, "Profile refresh", outcomes)

    @admin.action(description="Refresh config version from Cursor")
    def refresh_config_version(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        outcomes = maintenance.refresh_config_versions(list(queryset.select_related("proxy")))
        self._report(request, "Config version refresh", outcomes)

    @admin.action(description="Refresh the token (new session token from Cursor; web tokens are upgraded)")
    def refresh_token(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        aliases = list(queryset.values_list("alias", flat=True))
        self._report(request, "Token refresh", maintenance.refresh_tokens(aliases).outcomes)

    @admin.action(description="Assign the proxy chosen above")
    def assign_proxy(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        chosen = request.POST.get("proxy", "")
        proxy = Proxy.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        if chosen and proxy is None:
            self.message_user(request, "That proxy does not exist (any more).", messages.ERROR)
            return
        count = queryset.update(proxy=proxy, updated_at=timezone.now())
        target = proxy.name if proxy else "the general proxy"
        self.message_user(request, f"{count} tokens now use {target}.", messages.SUCCESS)


class ApiKeyForm(forms.ModelForm):
    allowed_models = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="comma-separated model ids, e.g. claude-4.5-sonnet, gpt-5; empty: every model",
    )

    class Meta:
        model = ApiKey
        fields = [
            "name",
            "enabled",
            "allowed_models",
            "daily_request_limit",
            "monthly_spend_limit_cents",
            "can_read_analytics",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_models"] = ", ".join(self.instance.allowed_models or [])

    def clean_allowed_models(self) -> list[str]:
        return keys.model_list(self.cleaned_data.get("allowed_models") or "")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = [
        "name",
        "prefix",
        "enabled",
        "models",
        "daily_request_limit",
        "requests_today",
        "spend_today",
        "spend_month",
        "monthly_spend_limit_cents",
        "can_read_analytics",
        "last_used_at",
    ]
    list_filter = ["enabled", "can_read_analytics"]
    search_fields = ["name", "prefix"]
    actions = ["enable", "disable"]
    readonly_fields = ["prefix", "last_used_at", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return keys.with_requests_today(super().get_queryset(request))

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        from chatlogs import billing

        self._spend = billing.spend_by_key()  # one query for the whole list
        return super().changelist_view(request, extra_context)

    @admin.display(description="billed today (¢)")
    def spend_today(self, obj: ApiKey) -> float:
        return getattr(self, "_spend", {}).get(obj.name, {}).get("today_cents", 0.0)

    @admin.display(description="billed this month (¢)")
    def spend_month(self, obj: ApiKey) -> float:
        return getattr(self, "_spend", {}).get(obj.name, {}).get("month_cents", 0.0)

    @admin.display(description="models")
    def models(self, obj: ApiKey) -> str:
        return ", ".join(obj.allowed_models) if obj.allowed_models else "all"

    @admin.display(description="requests today", ordering="requests_today")
    def requests_today(self, obj: ApiKey) -> int:
        return obj.requests_today  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        secret = keys.new_secret()
        keys.set_secret(obj, secret)
        super().save_model(request, obj, form, change)
        # Shown once, on the page that answers this request (response_add): never in a message,
        # which would travel to the browser in the (signed, not encrypted) messages cookie.
        request._new_api_key_secret = secret  # type: ignore[attr-defined]

    @sensitive_variables("secret")
    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None) -> Any:
        secret = getattr(request, "_new_api_key_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "key": obj, "secret": secret}
        response = TemplateResponse(request, "tokens/apikey_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Enable selected keys")
    def enable(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        self.message_user(request, f"Enabled {queryset.update(enabled=True)} keys.", messages.SUCCESS)

    @admin.action(description="Disable selected keys")
    def disable(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        self.message_user(request, f"Disabled {queryset.update(enabled=False)} keys.", messages.SUCCESS)
