"""AI code tracking metrics synced from Cursor's Admin API, and the bookkeeping that makes syncs resumable.

Field names follow the Admin API's CSV columns. Nullable text fields keep null apart from "" on purpose
(hence the DJ001 waivers): the API distinguishes "unknown" (null) from an empty value, and our copy of
the API must give back exactly what Cursor gave us.
"""

from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    TAB = "TAB", "TAB (inline completion)"
    COMPOSER = "COMPOSER", "Composer"


class AiCommit(models.Model):
    """One commit, its added and deleted lines attributed to TAB, Composer and non-AI."""

    commit_hash = models.CharField(max_length=100, unique=True)
    user_id = models.CharField(max_length=100, help_text="encoded id, e.g. user_abc123")
    user_email = models.CharField(max_length=254)
    repo_name = models.CharField(max_length=300, null=True, blank=True)  # noqa: DJ001
    branch_name = models.CharField(max_length=300, null=True, blank=True)  # noqa: DJ001
    is_primary_branch = models.BooleanField(null=True, blank=True)
    total_lines_added = models.IntegerField(default=0)
    total_lines_deleted = models.IntegerField(default=0)
    tab_lines_added = models.IntegerField(default=0)
    tab_lines_deleted = models.IntegerField(default=0)
    composer_lines_added = models.IntegerField(default=0)
    composer_lines_deleted = models.IntegerField(default=0)
    non_ai_lines_added = models.IntegerField(null=True, blank=True)
    non_ai_lines_deleted = models.IntegerField(null=True, blank=True)
    message = models.TextField(null=True, blank=True)  # noqa: DJ001
    commit_ts = models.DateTimeField(null=True, blank=True, help_text="when the commit was made")
    created_at = models.DateTimeField(help_text="when Cursor imported the commit")
    synced_at = models.DateTimeField(auto_now=True, help_text="when we last wrote this row")

    class Meta:
        verbose_name = "AI commit metric"
        # Every list (API, CSV, admin) is newest first; `id` breaks ties so keyset paging is exact.
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at", "id"], name="aicommit_created_idx"),
            models.Index(fields=["user_id", "created_at"], name="aicommit_user_idx"),
            models.Index(fields=["user_email", "created_at"], name="aicommit_email_idx"),
            models.Index(fields=["repo_name", "created_at"], name="aicommit_repo_idx"),
            models.Index(fields=["branch_name"], name="aicommit_branch_idx"),
        ]

    def __str__(self) -> str:
        return self.commit_hash[:12]


class AiChange(models.Model):
    """One accepted AI change (a TAB completion or a Composer diff), with per-file line counts."""

    change_id = models.CharField(max_length=100, unique=True)
    user_id = models.CharField(max_length=100, help_text="encoded id, e.g. user_abc123")
    user_email = models.CharField(max_length=254)
    source = models.CharField(max_length=16, choices=Source.choices)
    model = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    total_lines_added = models.IntegerField(default=0)
    total_lines_deleted = models.IntegerField(default=0)
    created_at = models.DateTimeField(help_text="when Cursor imported the change")
    # Kept verbatim: in privacy mode Cursor leaves `fileName` out, and the API must not invent it.
    metadata = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField(auto_now=True, help_text="when we last wrote this row")

    class Meta:
        verbose_name = "AI change metric"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at", "id"], name="aichange_created_idx"),
            models.Index(fields=["user_id", "created_at"], name="aichange_user_idx"),
            models.Index(fields=["user_email", "created_at"], name="aichange_email_idx"),
            models.Index(fields=["source", "created_at"], name="aichange_source_idx"),
        ]

    def __str__(self) -> str:
        return self.change_id


class AiCodeUser(models.Model):
    """The people seen in the metrics: a small table for filters, and for `user=<numeric id>` queries.

    Responses carry only the encoded id; the numeric id is learned when a sync is filtered by one
    (every row it returns belongs to that user), or typed in by an admin.
    """

    user_id = models.CharField(max_length=100, unique=True)
    email = models.CharField(max_length=254, db_index=True)
    numeric_id = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "AI code user"
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class SyncState(models.Model):
    """How far one endpoint has been synced (for the whole team, or one `--user`).

    [synced_from, synced_until) of Cursor's `createdAt` is known to be in our tables. A window being
    fetched is written down with the next page to ask for, in the same transaction as each page's rows,
    so an interrupted run picks up exactly where it stopped.
    """

    endpoint = models.CharField(max_length=16)  # "commits" or "changes"
    user = models.CharField(max_length=254, blank=True, default="", help_text="empty: the whole team")
    synced_from = models.DateTimeField(null=True, blank=True)
    synced_until = models.DateTimeField(null=True, blank=True)
    pending_start = models.DateTimeField(null=True, blank=True)
    pending_end = models.DateTimeField(null=True, blank=True)
    pending_page = models.PositiveIntegerField(default=1)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "user"], name="syncstate_unique")]

    def __str__(self) -> str:
        return f"{self.endpoint} ({self.user or 'team'})"


class SyncLease(models.Model):
    """Only one sync at a time per database: the periodic thread and a manual run would share a quota."""

    name = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=100, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
