from __future__ import annotations

from django.db import models


class StoredResponse(models.Model):
    """A /v1/responses reply kept (store: true) so a later request can continue from it."""

    id = models.CharField(max_length=64, primary_key=True)  # resp_...
    # Who may read it: chatsessions.services.owner_of(caller). Others get 404, never 403.
    owner = models.CharField(max_length=64, db_index=True)
    model = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    # The Response object exactly as the caller got it.
    body = models.JSONField()
    # The request's input items, with ids (GET /v1/responses/{id}/input_items).
    input_items = models.JSONField(default=list, blank=True)
    # The whole conversation up to and including this reply, as dialect-free turns, so that a
    # request naming this id needs one read, however long the chain behind it.
    turns = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.id
