"""`/tokens/refresh` and the admin's refresh action upgrading web tokens (Cursor's deep login)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest
from django.test import Client

from cursorapi import crypto
from cursorapi.upstream import deep_login, jwt
from cursorapi.upstream.fake.app import FakeCursor
from tests.fixtures import AUTH, add_token
from tokens import services
from tokens.models import Health, Token

from .test_keys_api import ADMIN, call

pytestmark = pytest.mark.django_db
USER = "user_01JZ8Q3W5Y7A9C1E3G5J7K9M1P"
CONTROL = "/api/auth/loginDeepCallbackControl"


@pytest.fixture
def api(settings, fake) -> Client:
    settings.AUTH_TOKEN = ADMIN
    settings.DEEP_LOGIN_POLL_INTERVAL = 0
    return Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}")


def web(user_id: str = USER) -> str:
    return jwt.mint(user_id=user_id, token_type="web")


def add(alias: str, primary: str, secondary: str = "") -> Token:
    token = services.build_token(primary, alias=alias)
    token.secondary_token = secondary
    return services.save_new_token(token)


def assert_session_of(token: Token, user_id: str = USER) -> jwt.CursorToken:
    parsed = jwt.parse(token.primary_token)
    assert parsed.user_id == user_id and parsed.token_type == "session"
    assert token.token_type == "session" and token.token_digest == crypto.digest(token.primary_token)
    assert token.expires_at == datetime.fromtimestamp(parsed.expires_at, tz=UTC)
    return parsed


def test_a_web_token_becomes_a_session_token_and_stays_as_secondary(api: Client, fake: FakeCursor) -> None:
    cookie = web()
    token = add("w", cookie)
    Token.objects.filter(pk=token.pk).update(health=Health.INVALID, last_error="web tokens expire soon")
    session = add_token("s")
    status, body = call(api, "/tokens/refresh", ["w", "s"])
    assert status == 200 and body == {
        "status": "success",
        "message": "Refreshed 2 tokens, 0 tokens failed to refresh",
    }

    token.refresh_from_db()
    assert_session_of(token)
    assert token.secondary_token == cookie  # the dashboard calls keep their web token
    assert (token.health, token.last_error) == (Health.OK, "")
    assert Token.objects.get(pk=session.pk).primary_token != session.primary_token

    (control,) = fake.requests_to(CONTROL)
    login_id, challenge = control.json["uuid"], control.json["challenge"]
    assert control.body == f'{{"uuid":"{login_id}","challenge":"{challenge}"}}'.encode()
    assert control.headers["cookie"] == f"WorkosCursorSessionToken={USER}%3A%3A{cookie}"
    assert control.headers["referer"] == (
        f"https://cursor.com/loginDeepControl?challenge={challenge}&uuid={login_id}&mode=login"
    )
    (poll,) = fake.requests_to("/auth/poll")
    query = parse_qs(poll.query)
    assert query["uuid"] == [login_id] and deep_login.challenge_for(query["verifier"][0]) == challenge
    # Only the session token went through Cursor's refresh.
    assert [r.json["refresh_token"] for r in fake.requests_to("/oauth/token")] == [session.primary_token]

    listing = call(api, "/tokens/get", {})[1]
    info = next(i for _, alias, i in listing["tokens"] if alias == "w")
    assert (info["primary_token"], info["secondary_token"]) == (token.primary_token, cookie)


def test_an_existing_secondary_is_kept_and_signs_the_approval(api: Client, fake: FakeCursor) -> None:
    primary, secondary = web(), web()
    token = add("w", primary, secondary)
    assert (
        call(api, "/tokens/refresh", ["w"])[1]["message"] == "Refreshed 1 tokens, 0 tokens failed to refresh"
    )
    token.refresh_from_db()
    assert_session_of(token)
    assert token.secondary_token == secondary
    (control,) = fake.requests_to(CONTROL)
    assert control.headers["cookie"].endswith(f"%3A%3A{secondary}")


def test_pending_polls_are_retried_until_cursor_approves(api: Client, fake: FakeCursor) -> None:
    fake.deep_logins.approve_after = 4  # the fifth and last poll succeeds
    token = add("w", web())
    assert (
        call(api, "/tokens/refresh", ["w"])[1]["message"] == "Refreshed 1 tokens, 0 tokens failed to refresh"
    )
    token.refresh_from_db()
    assert_session_of(token)
    assert len(fake.requests_to("/auth/poll")) == 5


def test_giving_up_after_five_polls_fails_that_token_only(api: Client, fake: FakeCursor) -> None:
    fake.deep_logins.approve_after = None
    cookie = web()
    token = add("w", cookie)
    other = add_token("s")
    status, body = call(api, "/tokens/refresh", ["w", "s", "ghost"])
    assert status == 200 and body["message"] == "Refreshed 1 tokens, 2 tokens failed to refresh"
    assert body["failed"]["w"] == "deep login: Cursor had no session token for the login after 5 polls"
    assert body["failed"]["ghost"] == "no token has this alias"
    assert len(fake.requests_to("/auth/poll")) == 5
    token.refresh_from_db()
    assert (token.primary_token, token.secondary_token, token.token_type) == (cookie, "", "web")
    assert Token.objects.get(pk=other.pk).primary_token != other.primary_token


def test_cursor_com_refusing_the_approval_is_reported(api: Client, fake: FakeCursor) -> None:
    cookie = web()
    add("w", cookie)
    fake.revoke(cookie)
    status, body = call(api, "/tokens/refresh", ["w"])
    assert status == 200 and body["message"] == "Refreshed 0 tokens, 1 tokens failed to refresh"
    assert body["failed"]["w"] == "deep login: cursor.com refused to approve the login (HTTP 401)"
    assert cookie not in str(body)
    assert fake.requests_to("/auth/poll") == []
    assert Token.objects.get(alias="w").primary_token == cookie


def test_a_failed_session_refresh_falls_back_to_the_web_secondary(api: Client, fake: FakeCursor) -> None:
    old, cookie = jwt.mint(user_id=USER), web()
    token = add("s", old, cookie)
    fake.revoke(old, just_this_token=True)  # that session is signed out; the browser is not
    assert (
        call(api, "/tokens/refresh", ["s"])[1]["message"] == "Refreshed 1 tokens, 0 tokens failed to refresh"
    )
    token.refresh_from_db()
    assert_session_of(token)
    assert token.primary_token != old and token.secondary_token == cookie
    assert [r.json["refresh_token"] for r in fake.requests_to("/oauth/token")] == [old]
    (control,) = fake.requests_to(CONTROL)
    assert control.headers["cookie"].endswith(f"%3A%3A{cookie}")


def test_when_refresh_and_upgrade_both_fail_both_reasons_are_given(api: Client, fake: FakeCursor) -> None:
    old, cookie = jwt.mint(user_id=USER), web()
    add("s", old, cookie)
    lone = add_token("lone")
    fake.revoke(old)  # the whole account: its web token too
    fake.revoke(lone.primary_token)
    status, body = call(api, "/tokens/refresh", ["s", "lone"])
    assert status == 200 and body["message"] == "Refreshed 0 tokens, 2 tokens failed to refresh"
    why = body["failed"]["s"]
    assert why.startswith("refresh: ") and "403" in why
    assert why.endswith(
        "; then deep login with the web token: cursor.com refused to approve the login (HTTP 401)"
    )
    # Without a web secondary there is nothing to upgrade from.
    assert "deep login" not in body["failed"]["lone"]
    assert len(fake.requests_to(CONTROL)) == 1
    assert Token.objects.get(alias="s").primary_token == old


def test_the_admin_action_upgrades_web_tokens(admin_client: Client, fake: FakeCursor, settings) -> None:
    settings.DEEP_LOGIN_POLL_INTERVAL = 0
    good, dead = add("good", web()), add("dead", web(user_id="user_01JZ8Q3W5Y7A9C1E3G5J7K9M2Q"))
    fake.revoke(dead.primary_token)
    response = admin_client.post(
        "/admin/tokens/token/",
        {"action": "refresh_token", "_selected_action": [good.pk, dead.pk]},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert "Token refresh: 1 done." in texts
    assert (
        "Token refresh failed for dead: deep login: cursor.com refused to approve the login (HTTP 401)"
        in texts
    )
    good.refresh_from_db()
    assert_session_of(good)
    assert jwt.parse(good.secondary_token).token_type == "web"


def test_upgrade_over_the_live_server(live, fake: FakeCursor, settings) -> None:
    settings.DEEP_LOGIN_POLL_INTERVAL = 0
    fake.deep_logins.approve_after = 1
    cookie = web()
    add("w", cookie)
    reply = httpx.post(
        f"{live.url}/tokens/refresh", json=["w"], headers={"authorization": f"Bearer {AUTH}"}, timeout=20
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["message"] == "Refreshed 1 tokens, 0 tokens failed to refresh"
    token = Token.objects.get(alias="w")
    assert_session_of(token)
    assert token.secondary_token == cookie and len(fake.requests_to("/auth/poll")) == 2
