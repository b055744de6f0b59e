from __future__ import annotations

from django.db import models


class ChatSession(models.Model):
    """A conversation the server remembers for clients that send only the new turn."""

    # The client's X-Cursor-Session-ID, or a UUID when created with POST /v1/sessions.
    id = models.CharField(max_length=128, primary_key=True)
    # Who may use it: "admin", "shared" or "key:<api key id>". Others get 404, never 403.
    owner = models.CharField(max_length=64, db_index=True)
    model = models.CharField(max_length=128, blank=True, default="")
    system = models.TextField(blank=True, default="")
    # Turns as {"role", "text", "tool_calls"?, "tool_call_id"?}, oldest first.
    turns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(db_index=True)
    # A request holds the session until it finishes; a crashed one's lease runs out by itself.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_holder = models.CharField(max_length=128, blank=True, default="")
    # The worker process holding the lease: a dead worker's leases are released within seconds.
    lease_owner = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        verbose_name = "chat session"
        ordering = ["-last_used_at"]

    def __str__(self) -> str:
        return self.id
