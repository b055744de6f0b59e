"""The token list as a team lead sees it: rendered by headless Chromium from our running server."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from tests.fixtures import add_token

from . import chromium


def test_headless_chromium_shows_the_token_list(live) -> None:
    token = add_token("browser-visible")
    admin = get_user_model().objects.create_superuser("lead", "lead@example.test", "pw")
    client = Client()
    client.force_login(admin)
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }
    with chromium.launch() as browser:
        text = browser.page_text(f"{live.url}/admin/tokens/token/", [cookie], wait_for="browser-visible")
    assert "browser-visible" in text
    assert token.masked_token in text and token.primary_token not in text
    assert "Select token to change" in text
