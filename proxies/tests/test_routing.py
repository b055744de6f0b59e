"""Upstream traffic takes the token's proxy, else the general one, through real proxies on loopback."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from django.test import Client

from cursorapi.upstream import jwt
from proxies.models import Proxy
from tests.api.helpers import post, user
from tests.fixtures import add_token
from tokens.models import Token

from .servers import HttpProxy, Socks5Proxy

CHAT = {"model": "claude-4.5-sonnet", "messages": user("hi")}


def _fake_address(fake_server) -> str:
    return urlsplit(fake_server.url).netloc


def test_a_tokens_http_proxy_carries_its_chat(live, fake, fake_server, http_proxy: HttpProxy) -> None:
    token = add_token("proxied")
    token.proxy = Proxy.objects.create(name="corp", url=http_proxy.url)
    token.save()
    response = post(live.url, "/v1/chat/completions", CHAT)
    assert response.status_code == 200, response.text
    assert http_proxy.connections >= 1 and http_proxy.refused == 0
    assert set(http_proxy.targets) == {_fake_address(fake_server)}
    assert fake.requests_to("StreamUnifiedChatWithTools")


def test_the_general_socks5_proxy_carries_tokens_without_their_own(
    live, fake, fake_server, socks_proxy: Socks5Proxy
) -> None:
    Proxy.objects.create(name="exit", url=socks_proxy.url, is_general=True)
    add_token("plain")
    response = post(live.url, "/v1/chat/completions", CHAT)
    assert response.status_code == 200, response.text
    assert socks_proxy.connections == 1 and set(socks_proxy.targets) == {_fake_address(fake_server)}
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert seen.http_version == "2"  # HTTP/2 with prior knowledge through the SOCKS tunnel
    # A token whose proxy is `non` goes direct, general proxy or not.
    Token.objects.filter(alias="plain").update(proxy=Proxy.objects.create(name="direct", url="non"))
    assert post(live.url, "/v1/chat/completions", CHAT).status_code == 200
    assert socks_proxy.connections == 1


def test_a_dynamic_keys_proxy_name_is_used(live, fake, settings, http_proxy: HttpProxy) -> None:
    settings.DYNAMIC_KEY = True
    Proxy.objects.create(name="corp", url=http_proxy.url, usable_by_keys=True)
    key = post(live.url, "/build-key", {"token": jwt.mint(), "proxy_name": "corp"}).json()["keys"][0]
    assert post(live.url, "/v1/chat/completions", CHAT, key=key).status_code == 200
    assert http_proxy.connections >= 1


def test_a_key_may_name_only_proxies_marked_usable_by_keys(
    live, fake, settings, http_proxy: HttpProxy
) -> None:
    """A key naming an operator's proxy not marked for keys goes the general way (here: direct),
    exactly as if the name were unknown, so the answer does not even confirm the proxy exists."""
    settings.DYNAMIC_KEY = True
    Proxy.objects.create(name="internal", url=http_proxy.url)
    key = post(live.url, "/build-key", {"token": jwt.mint(), "proxy_name": "internal"}).json()["keys"][0]
    assert post(live.url, "/v1/chat/completions", CHAT, key=key).status_code == 200
    assert http_proxy.connections == 0 and fake.requests_to("StreamUnifiedChatWithTools")
    # The operator allows it through the management API: now the key's choice holds.
    allowed = post(live.url, "/proxies/keys/set", {"names": ["internal"]})
    assert allowed.status_code == 200 and allowed.json()["usable_by_keys"] == ["internal"]
    assert post(live.url, "/proxies/get", {}).json()["usable_by_keys"] == ["internal"]
    assert post(live.url, "/v1/chat/completions", CHAT, key=key).status_code == 200
    assert http_proxy.connections >= 1
    refused = post(live.url, "/proxies/keys/set", {"names": ["nope"]})
    assert refused.status_code == 422


def test_sys_uses_the_environments_proxy(live, fake, monkeypatch, socks_proxy: Socks5Proxy) -> None:
    monkeypatch.setenv("ALL_PROXY", socks_proxy.url)
    Proxy.objects.create(name="system", url="sys", is_general=True)
    add_token("env")
    assert post(live.url, "/v1/chat/completions", CHAT).status_code == 200
    assert socks_proxy.connections >= 1 and fake.requests_to("StreamUnifiedChatWithTools")


def test_wrong_proxy_credentials_and_a_dead_proxy_are_clear_errors(live, fake, http_proxy: HttpProxy) -> None:
    token = add_token("p")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    for url in (http_proxy.url.replace("tiger", "lion"), f"http://127.0.0.1:{dead_port}"):
        Proxy.objects.update_or_create(name="bad", defaults={"url": url})
        bad = Proxy.objects.get(name="bad")
        Token.objects.filter(pk=token.pk).update(proxy=bad, health="ok", cooldown_until=None)
        response = post(live.url, "/v1/chat/completions", CHAT)
        # Forwarding (http upstreams) sees the proxy's 407 as a reply; a CONNECT tunnel (https, the
        # real Cursor) fails to connect. Either way: a 502 that says so, never a 500.
        assert response.status_code == 502, response.text
        message = response.json()["error"]["message"]
        assert "407" in message or "connection to Cursor failed" in message
    assert http_proxy.refused >= 1 and not fake.requests_to("StreamUnifiedChatWithTools")


@pytest.mark.django_db
def test_profile_refresh_goes_through_the_tokens_proxy(settings, fake, socks_proxy: Socks5Proxy) -> None:
    settings.AUTH_TOKEN = "adm"
    token = add_token("p")
    token.proxy = Proxy.objects.create(name="exit", url=socks_proxy.url)
    token.save()
    response = Client(HTTP_AUTHORIZATION="Bearer adm").post(
        "/tokens/profile/update", ["p"], content_type="application/json"
    )
    assert response.json()["message"].startswith("Updated 1 token profiles")
    assert socks_proxy.connections >= 1
