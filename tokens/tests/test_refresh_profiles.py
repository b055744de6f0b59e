"""The periodic profile refresh: the command, and its in-server thread (off unless configured)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from tests.fixtures import add_token
from tokens import periodic
from tokens.models import Token

pytestmark = pytest.mark.django_db


def test_refresh_profiles_refreshes_enabled_tokens_and_counts_failures(fake) -> None:
    ok, dead, off = add_token("ok"), add_token("dead"), add_token("off")
    fake.revoke(dead.primary_token)
    Token.objects.filter(pk=off.pk).update(enabled=False)
    out = StringIO()
    call_command("refresh_profiles", stdout=out)
    assert out.getvalue().strip() == "refreshed 1 profiles, 1 failed"
    assert Token.objects.get(pk=ok.pk).last_refreshed_at is not None
    assert Token.objects.get(pk=off.pk).last_refreshed_at is None
    # The least recently refreshed go first, in batches.
    assert periodic.refresh_all(batch=1) == (1, 1)


def test_the_server_thread_follows_profile_refresh_interval(settings, monkeypatch) -> None:
    started = []
    monkeypatch.setattr("cursorapi.periodic.start_in_server", lambda *args: started.append(args))
    settings.PROFILE_REFRESH_INTERVAL = 900
    apps.get_app_config("tokens").ready()
    assert started == [("profile refresh", 900, periodic.run_once)]
