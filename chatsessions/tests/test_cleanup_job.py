from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from chatsessions.models import ChatSession
from cursorapi import periodic


@pytest.mark.django_db(transaction=True)
def test_the_server_evicts_expired_sessions_in_the_background() -> None:
    old = timezone.now() - timedelta(days=1)
    ChatSession.objects.create(session_id="old", owner="admin", created_at=old, last_used_at=old)
    ChatSession.objects.create(
        session_id="new", owner="admin", created_at=timezone.now(), last_used_at=timezone.now()
    )
    from chatsessions.services import evict_expired

    done = threading.Event()

    def once() -> None:
        evict_expired()
        done.set()

    assert periodic.start_in_server("test cleanup", 60, once, ["manage.py", "migrate"]) is None
    thread = periodic.start_in_server("test cleanup", 60, once, ["daphne"], first_delay=0)
    assert thread is not None and done.wait(5)
    assert list(ChatSession.objects.values_list("session_id", flat=True)) == ["new"]
