from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    CANCELLED = "cancelled", "Cancelled"
    # The worker process serving it stopped (killed, crashed) before the request ended.
    INTERRUPTED = "interrupted", "Interrupted"


class ChatLog(models.Model):
    """One chat request: written once when it starts and once when it ends, never per chunk."""

    created_at = models.DateTimeField(db_index=True)
    request_id = models.CharField(max_length=128, db_index=True)
    dialect = models.CharField(max_length=16)  # openai / anthropic
    model = models.CharField(max_length=128, db_index=True)
    stream = models.BooleanField(default=False)
    caller = models.CharField(max_length=64, blank=True, default="")  # admin / shared / key label
    token = models.ForeignKey(
        "tokens.Token", null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_logs"
    )
    token_alias = models.CharField(max_length=64, blank=True, default="")  # kept if the token goes
    # The named API key that made the request, if any: it may read its own records only.
    api_key = models.ForeignKey(
        "tokens.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_logs",
        db_index=False,  # the (api_key, created_at) index below serves lookups by key too
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    # The worker process serving the request (runtime.workers.owner()): if it dies, the record is
    # closed as interrupted by the next worker's heartbeat.
    owner = models.CharField(max_length=128, blank=True, default="")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=1)
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    total_ms = models.PositiveIntegerField(null=True, blank=True)
    chars_out = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=16, blank=True, default="")
    # Only with LOG_CONTENT=true: prompts and replies are private by default.
    prompt = models.TextField(blank=True, default="")
    reply = models.TextField(blank=True, default="")
    thinking = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "request log"
        verbose_name_plural = "request logs"
        ordering = ["-id"]
        # What /logs/get filters on (measured by bench/logs_query.py on a million rows).
        indexes = [
            models.Index(fields=["status", "created_at"], name="chatlog_status_time_idx"),
            models.Index(fields=["total_ms"], name="chatlog_total_ms_idx"),
            models.Index(
                models.F("prompt_tokens") + models.F("completion_tokens"), name="chatlog_tokens_idx"
            ),
            models.Index(fields=["error"], condition=~models.Q(error=""), name="chatlog_error_idx"),
            models.Index(fields=["stream", "id"], name="chatlog_stream_idx"),
            # A named key's daily budget counts its records since midnight on every request.
            models.Index(fields=["api_key", "created_at"], name="chatlog_key_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.model} {self.status}"


class Chain(models.Model):
    """The original's chain delays: one [characters, milliseconds since the previous one] pair per
    upstream frame that carried content. Timing only, so kept whatever LOG_CONTENT says.

    A table of its own keeps the log table narrow: counts and filters scan rows, not the pairs.
    """

    log = models.OneToOneField(ChatLog, primary_key=True, on_delete=models.CASCADE, related_name="chain")
    delays = models.JSONField()

    def __str__(self) -> str:
        return f"chain of {self.log_id}"


class HourlyRollup(models.Model):
    """Counts of the request log per hour, dialect, model and caller, for the admin dashboard.

    Rebuilt for recent hours by a periodic job (chatlogs.rollups), so the dashboard reads a few
    hundred rows instead of scanning every record of a busy week. Kept when old records are deleted.
    """

    hour = models.DateTimeField()
    dialect = models.CharField(max_length=16)
    model = models.CharField(max_length=128)
    caller = models.CharField(max_length=64, blank=True, default="")
    api_key = models.ForeignKey(
        "tokens.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requests = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    # Time to first token: counts per logarithmic bin (chatlogs.rollups.ttft_bin), as {bin: count}.
    ttft_bins = models.JSONField(default=dict)
    # What Cursor billed for these requests (REAL_USAGE), as matched when the hour was rolled up.
    cents = models.FloatField(default=0.0)

    class Meta:
        verbose_name = "hourly roll-up"
        indexes = [models.Index(fields=["hour"], name="rollup_hour_idx")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.dialect} {self.model}"


class BilledUsage(models.Model):
    """What Cursor billed for one request, from its usage events (REAL_USAGE), matched in the background.

    A table of its own, written after the request by chatlogs.billing: the log row is never touched
    again, and a request without a row is one still waiting (or one Cursor never reported).
    """

    log = models.OneToOneField(ChatLog, primary_key=True, on_delete=models.CASCADE, related_name="billed")
    # Copied from the log: spend per named key and period is one indexed range here.
    api_key = models.ForeignKey(
        "tokens.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    log_created_at = models.DateTimeField()
    input = models.PositiveIntegerField(default=0)
    output = models.PositiveIntegerField(default=0)
    cache_write = models.PositiveIntegerField(default=0)
    cache_read = models.PositiveIntegerField(default=0)
    cents = models.FloatField(default=0.0)
    kind = models.CharField(max_length=64, blank=True, default="")
    event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["api_key", "log_created_at"], name="billed_key_time_idx")]

    def __str__(self) -> str:
        return f"billed {self.cents}¢ for {self.log_id}"

    def as_usage(self) -> dict[str, float | int]:
        return {
            "input": self.input,
            "output": self.output,
            "cache_write": self.cache_write,
            "cache_read": self.cache_read,
            "cents": self.cents,
        }
