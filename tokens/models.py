from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from cursorapi.crypto import EncryptedTextField, mask


class GcppHost(models.TextChoices):
    ASIA = "Asia", "Asia (us-asia.gcpp.cursor.sh)"
    EU = "EU", "EU (us-eu.gcpp.cursor.sh)"
    US = "US", "US (us-only.gcpp.cursor.sh)"


class Health(models.TextChoices):
    OK = "ok", "OK"
    INVALID = "invalid", "Invalid"
    COOLING = "cooling", "Cooling down"


class RestReason(models.TextChoices):
    """Why a cooling token rests: its account was limited, or Cursor kept failing on it."""

    NONE = "", "-"
    ACCOUNT = "account", "Account limited"
    SERVICE = "service", "Cursor failing"


class TokenQuerySet(models.QuerySet["Token"]):
    def usable(self) -> TokenQuerySet:
        """Enabled, not invalid, and not cooling down right now."""
        now = timezone.now()
        return (
            self.filter(enabled=True)
            .exclude(health=Health.INVALID)
            .filter(models.Q(cooldown_until__isnull=True) | models.Q(cooldown_until__lte=now))
        )


class Token(models.Model):
    """One Cursor account in the pool, with the per-account identity Cursor expects on every call."""

    alias = models.CharField(max_length=64, unique=True)
    primary_token = EncryptedTextField(help_text="Bearer JWT for Cursor's API (session or web token)")
    secondary_token = EncryptedTextField(blank=True, default="", help_text="web JWT for dashboard calls")
    # sha256 of primary_token: lets imports find a token again without decrypting every row.
    token_digest = models.CharField(max_length=64, unique=True, editable=False)

    # Parsed from the JWT, never secret.
    user_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    provider = models.CharField(max_length=32, blank=True, default="")
    token_type = models.CharField(max_length=16, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    checksum_first = models.CharField(max_length=64)
    checksum_second = models.CharField(max_length=64)
    client_key = models.CharField(max_length=64)
    session_id = models.UUIDField(default=uuid.uuid4)
    config_version = models.UUIDField(null=True, blank=True)
    proxy = models.ForeignKey(
        "proxies.Proxy", null=True, blank=True, on_delete=models.SET_NULL, related_name="tokens"
    )
    timezone = models.CharField(max_length=64, blank=True, default="")
    gcpp_host = models.CharField(max_length=8, choices=GcppHost.choices, blank=True, default="")

    enabled = models.BooleanField(default=True)
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.OK)
    cooldown_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    rest_reason = models.CharField(max_length=8, choices=RestReason.choices, blank=True, default="")
    # Service-level failures (Cursor's fault, not the account's) in a row; reset by a success.
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Round robin across worker processes: the next request takes the least recently used token.
    last_used_at = models.DateTimeField(null=True, blank=True)

    # Profile, refreshed from Cursor.
    email = models.CharField(max_length=254, blank=True, default="", db_index=True)
    membership_type = models.CharField(max_length=32, blank=True, default="")
    usage_used = models.FloatField(null=True, blank=True)
    usage_limit = models.FloatField(null=True, blank=True)
    profile = models.JSONField(default=dict, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["enabled", "health", "last_used_at"], name="token_pool_idx")]

    def __str__(self) -> str:
        return self.alias

    @property
    def masked_token(self) -> str:
        return mask(self.primary_token)

    @property
    def checksum(self) -> str:
        """The `first/second` part of x-cursor-checksum; the time prefix is added per request."""
        return f"{self.checksum_first}/{self.checksum_second}"


class ApiKey(models.Model):
    """A named key a team member uses instead of the shared secret; only its hash is stored."""

    name = models.CharField(max_length=100, unique=True, help_text="who or what uses it")
    prefix = models.CharField(
        max_length=16, editable=False, help_text="the key's first characters, to recognise it"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    enabled = models.BooleanField(default=True)
    allowed_models = models.JSONField(default=list, blank=True, help_text="model ids; empty: all models")
    daily_request_limit = models.PositiveIntegerField(null=True, blank=True, help_text="empty: no limit")
    monthly_spend_limit_cents = models.FloatField(
        null=True,
        blank=True,
        help_text="cents Cursor may bill this key per month (UTC, REAL_USAGE); empty: none",
    )
    can_read_analytics = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKeyDailyUse(models.Model):
    """Requests a named key has been admitted for on one UTC day: the counter its budget is held by.

    Admission bumps it in one conditional statement (cursorapi.admission), so parallel requests
    cannot all slip under the limit the way a count of log rows written later let them.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="daily_use")
    day = models.DateField()
    requests = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "day"], name="apikey_daily_use_per_day")]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.day}: {self.requests}"
