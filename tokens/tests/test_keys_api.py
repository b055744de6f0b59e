"""`/build-key`, `/config-version/get` and `/token-profile/get` over HTTP, and chat with a dynamic key."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from chatlogs import writer
from chatlogs.models import ChatLog
from cursorapi.upstream import cbor, dynamic_key, jwt
from tests.api.helpers import last_log, post, user
from tests.fixtures import AUTH, SHARED

ADMIN = "keys-admin"


@pytest.fixture
def api(settings) -> Client:
    settings.AUTH_TOKEN = ADMIN
    return Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}")


def call(client: Client, path: str, payload: object) -> tuple[int, dict]:
    response = client.post(path, payload, content_type="application/json")
    return response.status_code, response.json()


BUNDLE = {
    "checksum": {"first": "ab" * 32, "second": "cd" * 32},
    "client_key": "ef" * 32,
    "session_id": "6f1c2a0e-8d4b-4a53-9c57-0b7e6e0f2a11",
}


@pytest.mark.django_db
def test_build_key_returns_the_three_forms(api: Client) -> None:
    token = jwt.mint()
    status, body = call(
        api,
        "/build-key",
        {**BUNDLE, "token": token, "timezone": "Asia/Tokyo", "gcpp_host": "US", "disable_vision": True},
    )
    assert status == 200
    key, short, numeric = body["keys"]
    assert key.startswith("sk-") and len(short) == 32 and "-" in numeric
    got = dynamic_key.decode(key)
    assert (got.token, got.client_key, got.timezone, got.gcpp_host) == (token, "ef" * 32, "Asia/Tokyo", "US")
    assert got.disable_vision is True and got.checksum_first == "ab" * 32
    assert (short, numeric) == dynamic_key.aliases(jwt.parse(token))


@pytest.mark.django_db
def test_build_key_fills_missing_identity_and_honours_key_prefix(api: Client, settings) -> None:
    settings.KEY_PREFIX = "ck-"
    status, body = call(api, "/build-key", {"token": jwt.mint()})
    got = dynamic_key.decode(body["keys"][0], prefix="ck-")
    assert status == 200 and len(got.client_key) == 64 and uuid.UUID(got.session_id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"token": "garbage"}, "token: token must be a JWT"),
        ({}, "token is required"),
        ({"token": "T", "checksum": {"first": "zz", "second": "00"}}, "checksum"),
        ({"token": "T", "client_key": "12"}, "client_key must be 64 hex"),
        ({"token": "T", "session_id": "nope"}, "UUID"),
        ({"token": "T", "timezone": "Mars/Base"}, "unknown timezone"),
        ({"token": "T", "gcpp_host": "Moon"}, "gcpp_host"),
        ({"token": "T", "disable_vision": "yes"}, "disable_vision must be true or false"),
        ({"token": "T", "usage_check_models": {"type": "sometimes"}}, "usage_check_models.type"),
    ],
)
def test_build_key_refuses_bad_input_with_422(api: Client, payload: dict, message: str) -> None:
    if payload.get("token") == "T":
        payload = {**payload, "token": jwt.mint()}
    status, body = call(api, "/build-key", payload)
    assert status == 422 and body["status"] == "error" and body["code"] == 422
    assert message in body["message"]


@pytest.mark.django_db
def test_key_routes_need_the_admin_or_shared_token(settings) -> None:
    settings.AUTH_TOKEN = ADMIN
    settings.SHARED_TOKEN = "shared-one"
    for path in ("/build-key", "/config-version/get", "/token-profile/get"):
        for client in (Client(), Client(HTTP_AUTHORIZATION="Bearer wrong")):
            status, body = call(client, path, {"token": jwt.mint()})
            assert status == 401 and body["error"] == "unauthorized"
    shared = Client(HTTP_AUTHORIZATION="Bearer shared-one")
    assert call(shared, "/build-key", {"token": jwt.mint()})[0] == 200
    settings.SHARED_TOKEN = ""
    assert call(Client(HTTP_AUTHORIZATION="Bearer "), "/build-key", {"token": jwt.mint()})[0] == 401
    bad = Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}").post(
        "/build-key", "{nope", content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_json"


@pytest.mark.django_db
def test_config_version_get_asks_cursor(api: Client, fake) -> None:
    token = jwt.mint()
    status, body = call(api, "/config-version/get", {**BUNDLE, "token": token})
    assert status == 200
    expected = uuid.uuid5(uuid.NAMESPACE_URL, f"fake-cursor-config/{jwt.parse(token).user_id}")
    assert body == {"config_version": str(expected)}
    (seen,) = fake.requests_to("GetServerConfig")
    assert seen.headers["x-client-key"] == "ef" * 32 and "x-cursor-config-version" not in seen.headers
    status, body = call(api, "/config-version/get", {**BUNDLE, "token": jwt.mint(token_type="web")})
    assert status == 403 and body["error"] == "No data" and "session token" in body["message"]


@pytest.mark.django_db
def test_token_profile_get(api: Client, fake) -> None:
    session, web = jwt.mint(), jwt.mint(token_type="web")
    status, body = call(
        api, "/token-profile/get", {"session_token": session, "web_token": web, "include_sessions": True}
    )
    assert status == 200
    usage, stripe, user_info, sessions = body["token_profile"]
    assert usage["membership_type"] == "pro" and usage["individual_usage"]["plan"]["limit"] == 2000
    assert stripe["membership_type"] == "pro" and stripe["days_remaining_on_trial"] == 0
    assert user_info["workos_id"] == jwt.parse(web).user_id and user_info["is_on_new_pricing"] is True
    assert user_info["privacy_mode_info"]["privacy_mode"] == "no_storage"
    assert sessions[0]["type"] == "client" and len(sessions[0]["session_id"]) == 64
    # The dashboard calls carried the web token as the cookie, the Stripe call the session token.
    (me,) = fake.requests_to("get-me")
    assert web in me.headers["cookie"]
    (stripe_call,) = fake.requests_to("full_stripe_profile")
    assert stripe_call.headers["authorization"] == f"Bearer {session}"

    fake.revoke(session)
    status, body = call(
        api, "/token-profile/get", {"session_token": session, "web_token": web, "include_sessions": False}
    )
    assert status == 200 and body["token_profile"][1] is None and body["token_profile"][3] is None
    for payload, message in (
        ({"session_token": web, "web_token": web, "include_sessions": True}, "must be a session token"),
        ({"session_token": session, "web_token": session, "include_sessions": True}, "must be a web token"),
        ({"session_token": session, "web_token": web}, "include_sessions is required"),
    ):
        status, body = call(api, "/token-profile/get", payload)
        assert status == 400 and message in body["message"]


# --- chat with a dynamic key ---------------------------------------------------------------------


def _key(live_url: str, **extra) -> tuple[str, str]:
    token = jwt.mint()
    response = post(live_url, "/build-key", {**BUNDLE, "token": token, **extra})
    assert response.status_code == 200, response.text
    return response.json()["keys"][0], token


def test_a_dynamic_key_chats_with_the_account_inside_it(live, fake, settings) -> None:
    settings.DYNAMIC_KEY = True
    key, token = _key(live.url, timezone="Asia/Tokyo")
    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    response = post(live.url, "/v1/chat/completions", body, key=key)  # the pool is empty
    assert response.status_code == 200, response.text
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert seen.headers["authorization"] == f"Bearer {token}"
    assert seen.headers["x-client-key"] == "ef" * 32 and seen.headers["x-session-id"] == BUNDLE["session_id"]
    assert seen.headers["x-cursor-timezone"] == "Asia/Tokyo"
    assert seen.headers["x-cursor-checksum"].endswith("ab" * 32 + "/" + "cd" * 32)
    log = last_log()
    assert log.caller == "dynamic" and log.token_id is None
    anthropic = post(live.url, "/v1/messages", {**body, "max_tokens": 10}, key=key)
    assert anthropic.status_code == 200


def test_dynamic_keys_refused_clearly(live, fake, settings) -> None:
    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    key, _ = _key(live.url)
    settings.DYNAMIC_KEY = False
    off = post(live.url, "/v1/chat/completions", body, key=key)
    assert off.status_code == 401 and "DYNAMIC_KEY" in off.json()["error"]["message"]
    settings.DYNAMIC_KEY = True
    for bad in ("sk-" + "A" * 40, "sk-bad+key", key[:-7]):
        response = post(live.url, "/v1/chat/completions", body, key=bad)
        assert response.status_code == 401
        assert "not a valid dynamic key" in response.json()["error"]["message"]
        response = post(live.url, "/v1/messages", {**body, "max_tokens": 5}, key=bad)
        assert response.status_code == 401 and response.json()["type"] == "error"
    assert not fake.requests_to("StreamUnifiedChatWithTools")
    writer.flush()  # a record would be queued by now: refused keys must not have one
    assert ChatLog.objects.count() == 0
    # The admin and shared secrets still work beside dynamic keys.
    assert post(live.url, "/build-key", {"token": jwt.mint()}, key=SHARED).status_code == 200
    assert post(live.url, "/build-key", {"token": jwt.mint()}, key=AUTH).status_code == 200


# --- R4 keys (DYNAMIC_KEY_SECRET) ----------------------------------------------------------------

SERVER_SECRET = "hex:" + "5a" * 64


def _r4_document(key: str) -> list:
    return cbor.loads(dynamic_key.b64decode(key[len("sk-") :]))  # type: ignore[return-value]


def _r4_key(document: list) -> str:
    return "sk-" + dynamic_key.b64encode(cbor.dumps(document))


def test_with_a_secret_build_key_builds_signed_r4_keys_and_they_chat(live, fake, settings) -> None:
    settings.DYNAMIC_KEY_SECRET = SERVER_SECRET  # DYNAMIC_KEY stays false: R4 keys need only this
    key, token = _key(live.url, enable_slow_pool=True, secret="ignored in R4")
    short, numeric = dynamic_key.aliases(jwt.parse(token))
    response = post(live.url, "/build-key", {**BUNDLE, "token": token}).json()["keys"]
    assert response[1:] == [short, numeric]  # the same three forms
    document = _r4_document(key)
    hmac_key = bytes([0x5A]) * 64
    assert document[1] == list(dynamic_key.token_tag(hmac_key, dynamic_key.TokenFields.of(jwt.parse(token))))
    got = dynamic_key.decode(key, hmac_key=hmac_key, r3=False)
    assert got.format == dynamic_key.R4 and got.token == token and got.enable_slow_pool is True

    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    response = post(live.url, "/v1/chat/completions", body, key=key)
    assert response.status_code == 200, response.text
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert seen.headers["authorization"] == f"Bearer {token}"
    assert last_log().caller == "dynamic"


def test_r4_keys_that_do_not_check_out_are_401s_that_say_why(live, fake, settings) -> None:
    settings.DYNAMIC_KEY_SECRET = SERVER_SECRET
    key, _ = _key(live.url)
    document = _r4_document(key)
    document[0][0][5][0] ^= 1  # one bit of the token's signature
    tampered_token = _r4_key(document)
    document = _r4_document(key)
    document[1][0] ^= 1
    tampered_tag = _r4_key(document)
    malformed = "sk-" + dynamic_key.b64encode(bytes.fromhex("9f8301"))
    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    for bad, reason in (
        (tampered_token, "does not match this server's DYNAMIC_KEY_SECRET"),
        (tampered_tag, "does not match this server's DYNAMIC_KEY_SECRET"),
        (malformed, "bad CBOR"),
    ):
        response = post(live.url, "/v1/chat/completions", body, key=bad)
        assert response.status_code == 401, response.text
        error = response.json()["error"]
        assert reason in error["message"] and error["code"] == "invalid_api_key"
        assert bad not in response.text and bad[3:20] not in response.text
        response = post(live.url, "/v1/messages", {**body, "max_tokens": 5}, key=bad)
        assert response.status_code == 401 and reason in response.json()["error"]["message"]
    # A new secret retires every key built under the old one.
    settings.DYNAMIC_KEY_SECRET = "rotated"
    response = post(live.url, "/v1/chat/completions", body, key=key)
    assert response.status_code == 401 and "does not match" in response.json()["error"]["message"]
    assert not fake.requests_to("StreamUnifiedChatWithTools")


def test_r3_keys_keep_working_beside_r4_only_with_dynamic_key_true(live, fake, settings) -> None:
    r3_key, _ = _key(live.url)  # no secret yet: an R3 key
    assert dynamic_key.b64decode(r3_key[3:])[0] == 0x0A
    settings.DYNAMIC_KEY_SECRET = SERVER_SECRET
    r4_key, _ = _key(live.url)
    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    response = post(live.url, "/v1/chat/completions", body, key=r3_key)
    assert response.status_code == 401 and "R3 keys are off" in response.json()["error"]["message"]
    settings.DYNAMIC_KEY = True
    for key in (r3_key, r4_key):
        assert post(live.url, "/v1/chat/completions", body, key=key).status_code == 200
    settings.DYNAMIC_KEY_SECRET = ""
    response = post(live.url, "/v1/chat/completions", body, key=r4_key)
    assert response.status_code == 401 and "no DYNAMIC_KEY_SECRET" in response.json()["error"]["message"]
