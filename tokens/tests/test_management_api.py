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
