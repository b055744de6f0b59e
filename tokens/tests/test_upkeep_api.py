"""`/tokens/profile/update`, `/tokens/config-version/update` and `/tokens/refresh` against the fake."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from cursorapi.upstream import jwt
from tests.fixtures import add_token
from tokens.models import Health, Token

from .test_keys_api import ADMIN, call

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(settings, fake) -> Client:
    settings.AUTH_TOKEN = ADMIN
    return Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}")


def test_profile_update_stores_each_tokens_profile_and_reports_failures(api: Client, fake) -> None:
    good = add_token("good")
    unnamed = add_token()
    dead = add_token("dead")
    fake.revoke(dead.primary_token)
    Token.objects.filter(pk=dead.pk).update(email="kept@example.test", profile={"user": {"email": "kept"}})
    status, body = call(api, "/tokens/profile/update", ["good", unnamed.alias, "dead", "ghost"])
    assert status == 200
    assert body["message"] == "Updated 2 token profiles, 2 tokens failed to update"
    assert set(body["failed"]) == {"dead", "ghost"} and "no token has this alias" in body["failed"]["ghost"]
    assert "401" in body["failed"]["dead"] and dead.primary_token not in str(body)

    good.refresh_from_db()
    user_id = jwt.parse(good.primary_token).user_id
    assert good.email == f"{user_id.lower()}@example.test" and good.membership_type == "pro"
    assert (good.usage_used, good.usage_limit) == (1250, 2000) and good.last_refreshed_at is not None
    assert set(good.profile) == {"usage", "stripe", "user", "sessions"}
    # An unnamed token takes its account's email as its alias, as in the original.
    assert Token.objects.get(pk=unnamed.pk).alias.endswith("@example.test")
    # A failed fetch keeps what was known.
    dead.refresh_from_db()
    assert dead.email == "kept@example.test" and dead.profile == {"user": {"email": "kept"}}

    status, listing = call(api, "/tokens/get", {})
    info = next(i for _, alias, i in listing["tokens"] if alias == "good")
    assert (
        info["usage"]["individual_usage"]["plan"]["used"] == 1250
        and info["stripe"]["membership_type"] == "pro"
    )


def test_config_version_update(api: Client, fake) -> None:
    session = add_token("s")
    web = _web_token("w")
    status, body = call(api, "/tokens/config-version/update", ["s", "w"])
    assert status == 200 and body["message"] == "Updated 1 token config versions, 1 tokens failed to update"
    assert "session tokens" in body["failed"]["w"]
    session.refresh_from_db()
    expected = uuid.uuid5(uuid.NAMESPACE_URL, f"fake-cursor-config/{session.user_id}")
    assert session.config_version == expected
    assert Token.objects.get(pk=web.pk).config_version is None
    assert len(fake.requests_to("GetServerConfig")) == 1


def _web_token(alias: str) -> Token:
    from tokens import services

    return services.save_new_token(services.build_token(jwt.mint(token_type="web"), alias=alias))


def test_refresh_replaces_the_token_and_makes_it_usable_again(api: Client, fake, settings) -> None:
    token = add_token("r")
    old = token.primary_token
    Token.objects.filter(pk=token.pk).update(health=Health.INVALID, last_error="expired")
    dead = add_token("gone")
    fake.revoke(dead.primary_token)
    _web_token("web")
    settings.DEEP_LOGIN_POLL_INTERVAL = 0
    status, body = call(api, "/tokens/refresh", {"aliases": ["r", "gone", "web"]})
    assert status == 200 and body["message"] == "Refreshed 2 tokens, 1 tokens failed to refresh"
    assert set(body["failed"]) == {"gone"} and "403" in body["failed"]["gone"]
    # The web token was upgraded (tokens/tests/test_token_upgrade.py has the details).
    assert Token.objects.get(alias="web").token_type == "session"
    token.refresh_from_db()
    assert token.primary_token != old and token.user_id == jwt.parse(old).user_id
    assert token.health == Health.OK and token.last_error == ""
    (seen,) = [r for r in fake.requests_to("/oauth/token") if r.json["refresh_token"] == old]
    assert seen.json["client_id"] == "KbZUR41cY7W6zRSdpSUJ7I7mLYBKOCmB"


@pytest.mark.parametrize(
    "path", ["/tokens/profile/update", "/tokens/config-version/update", "/tokens/refresh"]
)
def test_upkeep_routes_refuse_empty_and_bad_bodies(api: Client, path: str) -> None:
    for payload, status, kind in (
        ([], 400, "no_tokens"),
        ({}, 400, "no_tokens"),
        ([1], 400, "invalid_request"),
    ):
        code, body = call(api, path, payload)
        assert (code, body["error"]) == (status, kind)
    assert Client().post(path, [], content_type="application/json").status_code == 401
    bad = api.post(path, "[", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_json"
