from __future__ import annotations

import uuid

from django.db import models


def new_row_id() -> str:
    return uuid.uuid4().hex


class ChatSession(models.Model):
    """A conversation the server remembers for clients that send only the new turn."""

    # The row's own key: the client's id is unique per owner only, so it cannot be the key.
    id = models.CharField(max_length=128, primary_key=True, default=new_row_id, editable=False)
    # The client's X-Cursor-Session-ID, or a UUID when created with POST /v1/sessions.
    session_id = models.CharField(max_length=128)
    # Who may use it (chatsessions.services.owner_of): "admin", "shared", "key:<api key id>" or
    # "dynamic:<token digest>". Another owner's session of the same id is a different session.
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
        constraints = [
            models.UniqueConstraint(fields=["owner", "session_id"], name="chatsession_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.session_id
