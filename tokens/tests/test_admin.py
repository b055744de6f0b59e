"""The admin pages a team lead uses: they render, stay cheap with many rows, and their actions work."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chatlogs.models import ChatLog
from cursorapi.auth import key_hash
from cursorapi.upstream import jwt
from proxies.models import Proxy
from tests.fixtures import add_token
from tokens.models import ApiKey, Health, Token

pytestmark = pytest.mark.django_db


def _changelist_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_token_list_shows_masked_tokens_and_does_not_grow_queries(admin_client: Client) -> None:
    proxy = Proxy.objects.create(name="corp", url="http://user:secret@proxy.example:3128")
    first = add_token("first")
    first.proxy = proxy
    first.save()
    page = admin_client.get("/admin/tokens/token/").content.decode()
    assert "first" in page and first.masked_token in page and first.primary_token not in page
    few = _changelist_queries(admin_client, "/admin/tokens/token/")
    for n in range(20):
        token = add_token(f"t{n}")
        token.proxy = proxy
        token.save()
    assert _changelist_queries(admin_client, "/admin/tokens/token/") == few
    detail = admin_client.get(f"/admin/tokens/token/{first.pk}/change/").content.decode()
    assert first.primary_token not in detail and "first" in detail
    proxies = admin_client.get("/admin/proxies/proxy/").content.decode()
    assert "user:***@proxy.example" in proxies and "secret" not in proxies


def test_adding_a_token_in_admin_fills_its_identity(admin_client: Client) -> None:
    value = jwt.mint()
    response = admin_client.post(
        "/admin/tokens/token/add/",
        {
            "token": value,
            "checksum_value": "",
            "alias": "",
            "timezone": "Europe/Paris",
            "gcpp_host": "EU",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    token = Token.objects.get()
    assert token.primary_token == value and token.alias.startswith("unnamed-")
    assert len(token.client_key) == 64 and token.timezone == "Europe/Paris"
    refused = admin_client.post(
        "/admin/tokens/token/add/", {"token": "garbage", "alias": "x", "enabled": "on"}
    )
    assert refused.status_code == 200 and "token must be a JWT" in refused.content.decode()


def test_token_actions(admin_client: Client) -> None:
    a, b = add_token("a"), add_token("b")
    Token.objects.filter(pk=b.pk).update(health=Health.INVALID, last_error="logged out")
    url = "/admin/tokens/token/"
    admin_client.post(url, {"action": "disable", "_selected_action": [a.pk, b.pk]})
    assert not Token.objects.filter(enabled=True).exists()
    admin_client.post(url, {"action": "enable", "_selected_action": [a.pk]})
    admin_client.post(url, {"action": "mark_healthy", "_selected_action": [b.pk]})
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.enabled and not b.enabled and b.health == Health.OK and b.last_error == ""
    usable = admin_client.get(url, {"health": "usable"}).content.decode()
    assert ">a<" in usable and ">b<" not in usable


def test_an_api_key_is_shown_once_and_stored_hashed(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/tokens/apikey/add/",
        {"name": "alice", "enabled": "on", "allowed_models": "[]", "daily_request_limit": ""},
        follow=True,
    )
    page = response.content.decode()
    key = re.search(r"(sk-[A-Za-z0-9_\-]{20,})", page).group(1)
    stored = ApiKey.objects.get(name="alice")
    assert stored.key_hash == key_hash(key) and key not in stored.key_hash and stored.prefix == key[:10]
    assert key not in admin_client.get(f"/admin/tokens/apikey/{stored.pk}/change/").content.decode()


def test_log_list_is_read_only_and_cheap(admin_client: Client) -> None:
    from django.utils import timezone

    ChatLog.objects.bulk_create(
        ChatLog(created_at=timezone.now(), request_id=f"r{n}", dialect="openai", model="m", status="success")
        for n in range(30)
    )
    page = admin_client.get("/admin/chatlogs/chatlog/")
    assert page.status_code == 200 and "r29" in page.content.decode()
    assert admin_client.get("/admin/chatlogs/chatlog/add/").status_code == 403
    log = ChatLog.objects.first()
    assert admin_client.get(f"/admin/chatlogs/chatlog/{log.pk}/change/").status_code == 200


def test_admin_needs_a_login(client: Client) -> None:
    assert client.get("/admin/tokens/token/").status_code == 302
