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
from tokens.models import ApiKey, ApiKeyDailyUse, Health, Token

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
        {"name": "alice", "enabled": "on", "allowed_models": "", "daily_request_limit": ""},
        follow=True,
    )
    page = response.content.decode()
    key = re.search(r"(sk-[A-Za-z0-9_\-]{20,})", page).group(1)
    # Shown on the answering page itself, never through the messages cookie (signed, not encrypted).
    assert response.redirect_chain == [] and "no-store" in response["Cache-Control"]
    assert all(key not in morsel.value for morsel in response.cookies.values())
    assert all(key not in morsel.value for morsel in admin_client.cookies.values())
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


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_refresh_actions_ask_cursor_and_report_each_token(admin_client: Client, fake) -> None:
    good, dead = add_token("good"), add_token("dead")
    fake.revoke(dead.primary_token)
    url = "/admin/tokens/token/"
    response = admin_client.post(
        url, {"action": "refresh_profile", "_selected_action": [good.pk, dead.pk]}, follow=True
    )
    texts = _messages(response)
    assert "Profile refresh: 1 done." in texts
    assert any(t.startswith("Profile refresh failed for dead:") for t in texts)
    assert dead.primary_token not in " ".join(texts)
    good.refresh_from_db()
    assert good.membership_type == "pro" and good.usage_limit == 2000
    page = admin_client.get(url).content.decode()
    assert "1250 / 2000" in page and "pro" in page

    response = admin_client.post(
        url, {"action": "refresh_config_version", "_selected_action": [good.pk]}, follow=True
    )
    assert "Config version refresh: 1 done." in _messages(response)
    good.refresh_from_db()
    assert good.config_version is not None
    old = good.primary_token
    response = admin_client.post(url, {"action": "refresh_token", "_selected_action": [good.pk]}, follow=True)
    assert "Token refresh: 1 done." in _messages(response)
    good.refresh_from_db()
    assert good.primary_token != old


def test_assign_proxy_action(admin_client: Client) -> None:
    a, b = add_token("a"), add_token("b")
    corp = Proxy.objects.create(name="corp", url="socks5://127.0.0.1:1080")
    url = "/admin/tokens/token/"
    assert 'name="proxy"' in admin_client.get(url).content.decode()  # the action bar's proxy choice
    admin_client.post(url, {"action": "assign_proxy", "proxy": corp.pk, "_selected_action": [a.pk, b.pk]})
    assert set(Token.objects.values_list("proxy__name", flat=True)) == {"corp"}
    response = admin_client.post(
        url, {"action": "assign_proxy", "proxy": "", "_selected_action": [a.pk]}, follow=True
    )
    assert "1 tokens now use the general proxy." in _messages(response)
    assert Token.objects.get(pk=a.pk).proxy is None


def test_token_search_and_filters(admin_client: Client) -> None:
    add_token("findme")
    other = add_token("other")
    Token.objects.filter(pk=other.pk).update(
        email="boss@corp.example", membership_type="ultra", enabled=False
    )
    url = "/admin/tokens/token/"
    assert ">findme<" in admin_client.get(url, {"q": "findme"}).content.decode()
    by_email = admin_client.get(url, {"q": "boss@corp"}).content.decode()
    assert ">other<" in by_email and ">findme<" not in by_email
    assert ">other<" in admin_client.get(url, {"membership_type": "ultra"}).content.decode()
    assert ">findme<" not in admin_client.get(url, {"enabled__exact": "0"}).content.decode()


def test_api_key_admin_takes_a_model_list_and_shows_use(admin_client: Client) -> None:
    admin_client.post(
        "/admin/tokens/apikey/add/",
        {
            "name": "bob",
            "enabled": "on",
            "allowed_models": "claude-4.5-sonnet, gpt-5",
            "daily_request_limit": "5",
        },
    )
    key = ApiKey.objects.get(name="bob")
    assert key.allowed_models == ["claude-4.5-sonnet", "gpt-5"] and key.daily_request_limit == 5
    from django.utils import timezone

    # What the daily budget admitted today (its counter, not the log, which is written later).
    ApiKeyDailyUse.objects.create(api_key=key, day=timezone.now().date(), requests=3)
    page = admin_client.get("/admin/tokens/apikey/").content.decode()
    assert "claude-4.5-sonnet, gpt-5" in page and '<td class="field-requests_today">3</td>' in page
    edit = admin_client.get(f"/admin/tokens/apikey/{key.pk}/change/").content.decode()
    assert 'value="claude-4.5-sonnet, gpt-5"' in edit
    admin_client.post("/admin/tokens/apikey/", {"action": "disable", "_selected_action": [key.pk]})
    assert not ApiKey.objects.get(pk=key.pk).enabled


def test_create_api_key_command() -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "create_api_key",
        "ci-bot",
        "--models",
        "gpt-5,claude-4.5-sonnet",
        "--daily-limit",
        "50",
        "--analytics",
        stdout=out,
        stderr=StringIO(),
    )
    secret = out.getvalue().strip()
    key = ApiKey.objects.get(name="ci-bot")
    assert key.key_hash == key_hash(secret) and key.allowed_models == ["gpt-5", "claude-4.5-sonnet"]
    assert key.daily_request_limit == 50 and key.can_read_analytics and key.enabled
    with pytest.raises(CommandError, match="name"):
        call_command("create_api_key", "ci-bot", stdout=StringIO(), stderr=StringIO())
