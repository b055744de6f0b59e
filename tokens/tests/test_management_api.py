"""The original's JSON management API for tokens and proxies, and the generators, over HTTP."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from cursorapi.upstream import checksum, jwt
from proxies.models import Proxy
from tests.fixtures import add_token
from tokens.models import Token

pytestmark = pytest.mark.django_db
ADMIN = "mgmt-admin"


@pytest.fixture
def api(settings) -> Client:
    settings.AUTH_TOKEN = ADMIN
    return Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}")


def post(client: Client, path: str, body: object) -> tuple[int, dict]:
    response = client.post(path, body, content_type="application/json")
    return response.status_code, response.json()


def test_add_get_and_delete_tokens(api: Client) -> None:
    good, other = jwt.mint(), jwt.mint()
    status, body = post(
        api,
        "/tokens/add",
        {
            "tokens": [
                {"token": good, "alias": "alpha", "timezone": "Asia/Tokyo", "gcpp_host": "EU"},
                {"token": other},
                {"token": "garbage"},
            ]
        },
    )
    assert status == 200 and body["status"] == "success" and body["tokens_count"] == 2
    assert body["message"] == "New tokens have been added and reloaded"
    assert [f.split(":")[0] for f in body["failed"]] == ["tokens[2]"] and "JWT" in body["failed"][0]
    assert post(api, "/tokens/add", {"tokens": [{"token": good}]})[1]["message"] == "No new tokens were added"

    status, listing = post(api, "/tokens/get", {})
    (_id, alias, info), _second = listing["tokens"]
    assert (alias, info["primary_token"], info["timezone"], info["gcpp_host"]) == (
        "alpha",
        good,
        "Asia/Tokyo",
        "EU",
    )
    assert re.fullmatch(r"[0-9a-f]{64}", info["checksum"]["first"]) and uuid.UUID(info["session_id"])
    assert listing["tokens_count"] == 2

    status, deleted = post(api, "/tokens/del", {"aliases": ["alpha", "nope"], "include_failed_tokens": True})
    assert deleted == {"status": "success", "failed_tokens": ["nope"]}
    assert list(Token.objects.values_list("alias", flat=True)) != ["alpha"]


def test_status_alias_proxy_and_timezone(api: Client) -> None:
    add_token("a")
    add_token("b")
    Proxy.objects.create(name="corp", url="http://proxy.example:3128")
    assert post(api, "/tokens/status/set", {"aliases": ["a", "x"], "enabled": False})[1]["message"] == (
        "Set status for 1 tokens, 1 tokens failed"
    )
    assert not Token.objects.get(alias="a").enabled
    post(api, "/tokens/status/set", {"aliases": ["a"], "status": "enabled"})
    assert Token.objects.get(alias="a").enabled
    assert "1 tokens, 1 tokens failed" in post(api, "/tokens/alias/set", {"a": "c", "b": "c"})[1]["message"]
    assert post(api, "/tokens/proxy/set", {"aliases": ["c"], "proxy": "corp"})[0] == 200
    assert Token.objects.get(alias="c").proxy.name == "corp"
    assert post(api, "/tokens/proxy/set", {"aliases": ["c"], "proxy": "nowhere"})[0] == 404
    assert post(api, "/tokens/timezone/set", {"aliases": ["c"], "timezone": "Europe/Oslo"})[0] == 200
    assert Token.objects.get(alias="c").timezone == "Europe/Oslo"
    status, body = post(api, "/tokens/timezone/set", {"aliases": ["c"], "timezone": "Mars/Base"})
    assert status == 422 and body["error"] == "invalid_timezone"


@pytest.mark.parametrize(
    ("path", "body", "status", "kind"),
    [
        ("/tokens/status/set", {"aliases": []}, 400, "no_tokens"),
        ("/tokens/status/set", {"aliases": ["a"], "enabled": "yes"}, 400, "invalid_status"),
        ("/tokens/alias/set", {}, 400, "no_tokens"),
        ("/tokens/add", {"tokens": "x"}, 400, "invalid_request"),
        ("/tokens/del", {}, 400, "invalid_request"),
    ],
)
def test_bad_input_in_the_originals_error_shape(api: Client, path, body, status, kind) -> None:
    code, data = post(api, path, body)
    assert code == status and data["status"] == "error" and data["error"] == kind and data["code"] == status


def test_auth_and_malformed_json(api: Client) -> None:
    response = Client().post("/tokens/get", {}, content_type="application/json")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    wrong = Client(HTTP_AUTHORIZATION="Bearer nope").post("/tokens/get", {}, content_type="application/json")
    assert wrong.status_code == 401
    bad = api.post("/tokens/add", "{", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_json"


def test_proxies(api: Client) -> None:
    status, body = post(
        api, "/proxies/add", {"proxies": {"corp": "http://u:secret@proxy.example:3128", "off": "non"}}
    )
    assert status == 200 and body["message"] == "Added 2 new proxies"
    status, state = post(api, "/proxies/get", {})
    assert state["proxies"] == {"corp": "http://u:***@proxy.example:3128", "off": "non"}
    assert "secret" not in str(state) and state["general_proxy"] is None
    assert post(api, "/proxies/set-general", {"name": "corp"})[0] == 200
    assert post(api, "/proxies/get", {})[1]["general_proxy"] == "corp"
    code, missing = post(api, "/proxies/set-general", {"name": "nope"})
    assert code == 400 and missing["error"] == "Proxy name not found"
    code, bad = post(api, "/proxies/add", {"proxies": {"x": "ftp://nope"}})
    assert code == 422 and bad["error"] == "invalid_proxy"
    code, gone = post(api, "/proxies/del", {"names": ["off", "ghost"], "expectation": "detailed"})
    assert gone == {
        "status": "success",
        "updated_proxies": {"corp": "http://u:***@proxy.example:3128"},
        "failed_names": ["ghost"],
    }
    assert post(api, "/proxies/del", {"names": [], "expectation": "weird"})[0] == 422
    post(api, "/proxies/set", {"proxies": {"direct": "non"}, "general": "direct"})
    assert post(api, "/proxies/get", {})[1]["proxies"] == {"direct": "non"}


def test_generators(client: Client) -> None:
    assert uuid.UUID(client.get("/gen-uuid").content.decode()).version == 4
    assert re.fullmatch(r"[0-9a-f]{64}", client.get("/gen-hash").content.decode())
    value = client.get("/gen-checksum").content.decode()
    assert len(value) == 137 and checksum.verify(value) is None
    header = client.get("/get-checksum-header").content.decode()
    assert header == checksum.time_header() or len(header) == 8


def test_get_shows_the_r4_shape_and_set_round_trips_it(api: Client) -> None:
    corp = Proxy.objects.create(name="corp", url="http://proxy.example:3128")
    keep = add_token("keep", timezone_name="Asia/Tokyo")
    Token.objects.filter(pk=keep.pk).update(proxy=corp, health="invalid")
    add_token("drop")
    listing = post(api, "/tokens/get", {})[1]
    (_, alias, info) = listing["tokens"][0]
    assert alias == "keep" and info["proxy"] == "corp" and info["timezone"] == "Asia/Tokyo"
    assert info["status"] == {
        "enabled": True,
        "health": {"backoff_until": 2**64 - 1, "consecutive_failures": 1, "reason": "invalid"},
    }
    assert "secondary_token" not in info and "user" not in info

    fresh = jwt.mint()
    r3_item = {  # R3's shape: the bundle nested, status a string
        "bundle": {
            "primary_token": fresh,
            "checksum": {"first": "a" * 64, "second": "b" * 64},
            "session_id": str(uuid.uuid4()),
            "user": {"email": "r3@example.test", "name": "R3"},
        },
        "status": "disabled",
    }
    status, body = post(api, "/tokens/set", [["keep", {**info, "timezone": "Europe/Oslo"}], ["r3", r3_item]])
    assert status == 200 and body == {
        "status": "success",
        "tokens_count": 2,
        "message": "Token files have been updated and reloaded",
    }
    kept = Token.objects.get(alias="keep")
    assert kept.pk == keep.pk and kept.timezone == "Europe/Oslo" and kept.health == "invalid"
    assert kept.proxy == corp and not Token.objects.filter(alias="drop").exists()
    r3 = Token.objects.get(alias="r3")
    assert r3.primary_token == fresh and not r3.enabled and r3.email == "r3@example.test"
    assert r3.checksum_first == "a" * 64

    status, body = post(api, "/tokens/set", [["x", {"primary_token": "garbage"}]])
    assert status == 422 and body["error"] == "invalid_token" and body["message"].startswith("[0]")
    assert post(api, "/tokens/set", {"not": "a list"})[0] == 400
    assert Token.objects.count() == 2  # a refused set changes nothing


def test_merge_overwrites_only_given_fields(api: Client) -> None:
    token = add_token("m")
    Proxy.objects.create(name="corp", url="socks5://127.0.0.1:1080")
    new_primary = jwt.mint()
    status, body = post(
        api,
        "/tokens/merge",
        {
            "m": {
                "primary_token": new_primary,
                "checksum": {"first": "c" * 64, "second": "d" * 64},
                "proxy": "corp",
            },
            "ghost": {"timezone": "Asia/Tokyo"},
        },
    )
    assert status == 200 and body["message"] == "Merged 1 tokens, 1 tokens failed to merge"
    assert body["failed"] == {"ghost": "no token has this alias"}
    merged = Token.objects.get(pk=token.pk)
    assert merged.primary_token == new_primary and merged.checksum_second == "d" * 64
    assert merged.proxy.name == "corp" and merged.client_key == token.client_key
    for bad, field in (
        ({"m": {"client_key": "xyz"}}, "client_key"),
        ({"m": {"session_id": "nope"}}, "session_id"),
        ({"m": {"timezone": "Mars/Base"}}, "timezone"),
        ({"m": {"proxy": "nowhere"}}, "proxy"),
        ({"m": {"colour": "red"}}, "unknown fields colour"),
        ({"m": "x"}, "must be an object"),
    ):
        status, body = post(api, "/tokens/merge", bad)
        assert status == 422 and field in body["message"] and body["message"].startswith("m:")
    assert post(api, "/tokens/merge", {})[1]["error"] == "no_tokens"
    assert Token.objects.get(pk=token.pk).primary_token == new_primary


def test_del_expectations(api: Client) -> None:
    add_token("a")
    add_token("b")
    status, body = post(api, "/tokens/del", {"aliases": ["a", "zz"], "expectation": "detailed"})
    assert body == {"status": "success", "updated_tokens": ["b"], "failed_tokens": ["zz"]}
    assert post(api, "/tokens/del", {"aliases": ["b"]})[1] == {"status": "success"}
    status, body = post(api, "/tokens/del", {"aliases": [], "expectation": "everything"})
    assert status == 422 and body["error"] == "invalid_expectation"


def test_add_takes_r3_status_and_refuses_a_bad_enabled(api: Client) -> None:
    status, body = post(
        api, "/tokens/add", {"tokens": [{"token": jwt.mint(), "alias": "off"}], "status": "disabled"}
    )
    assert status == 200 and not Token.objects.get(alias="off").enabled
    post(api, "/tokens/add", {"tokens": [{"token": jwt.mint(), "alias": "on"}], "enabled": True})
    assert Token.objects.get(alias="on").enabled
    status, body = post(api, "/tokens/add", {"tokens": [], "enabled": "yes"})
    assert status == 400 and body["message"] == "enabled must be true or false"
    status, body = post(api, "/tokens/timezone/set", {"aliases": ["on"], "timezone": 5})
    assert status == 422 and body["error"] == "invalid_timezone"


def test_get_never_leaks_into_errors(api: Client) -> None:
    secret = jwt.mint()
    status, body = post(api, "/tokens/add", {"tokens": [{"token": secret[:-3]}]})
    assert secret[:-3] not in str(body)
    status, body = post(api, "/tokens/set", [["x", {"primary_token": secret[:-3]}]])
    assert status == 422 and secret[:-3] not in str(body)


ADMIN_ROUTES = [
    "/tokens/get",
    "/tokens/set",
    "/tokens/add",
    "/tokens/del",
    "/tokens/status/set",
    "/tokens/alias/set",
    "/tokens/proxy/set",
    "/tokens/timezone/set",
    "/tokens/merge",
    "/tokens/profile/update",
    "/tokens/config-version/update",
    "/tokens/refresh",
    "/proxies/get",
    "/proxies/set",
    "/proxies/add",
    "/proxies/del",
    "/proxies/set-general",
]


@pytest.mark.parametrize("path", ADMIN_ROUTES)
def test_every_admin_route_checks_auth_and_json(api: Client, path: str) -> None:
    add_token("kept")
    for client in (Client(), Client(HTTP_AUTHORIZATION="Bearer wrong"), Client(HTTP_X_API_KEY=ADMIN)):
        response = client.post(path, {}, content_type="application/json")
        assert response.status_code == 401
        assert response.json() == {
            "status": "error",
            "code": 401,
            "error": "unauthorized",
            "message": "Invalid authorization token",
        }
    if path != "/tokens/get" and path != "/proxies/get":
        bad = api.post(path, '{"aliases": [', content_type="application/json")
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_json"
    assert api.get(path).status_code == 405
    assert Token.objects.filter(alias="kept").exists()


def test_set_can_swap_two_aliases(api: Client) -> None:
    a, b = add_token("a"), add_token("b")
    listing = {alias: info for _, alias, info in post(api, "/tokens/get", {})[1]["tokens"]}
    assert post(api, "/tokens/set", [["b", listing["a"]], ["a", listing["b"]]])[0] == 200
    assert Token.objects.get(pk=a.pk).alias == "b" and Token.objects.get(pk=b.pk).alias == "a"
