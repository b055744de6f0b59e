"""Each caller identity owns its sessions: dynamic keys of different accounts, named keys, the
admin token and the shared token never see, use, delete or block each other's sessions."""

from __future__ import annotations

import httpx
import pytest

from chatsessions.models import ChatSession
from cursorapi.auth import key_hash
from cursorapi.upstream import jwt
from tests.api.helpers import chat_request, post, user
from tests.fixtures import AUTH, SHARED
from tokens.models import ApiKey

MODEL = "claude-4.5-sonnet"


@pytest.fixture
def dynamic_keys(live, settings):
    settings.DYNAMIC_KEY_SECRET = "owners-test-secret"

    def build(token: str) -> str:
        response = post(live.url, "/build-key", {"token": token})
        assert response.status_code == 200, response.text
        return response.json()["keys"][0]

    return build


def _chat(live, key: str, text: str, session: str = "shared-name") -> httpx.Response:
    return post(
        live.url,
        "/v1/chat/completions",
        {"model": MODEL, "messages": user(text)},
        key=key,
        headers={"X-Cursor-Session-ID": session},
    )


def _sent(fake) -> list[str]:
    return [m.text for m in chat_request(fake).conversation]


def test_two_dynamic_keys_do_not_share_sessions(live, fake, dynamic_keys) -> None:
    alice, bob = dynamic_keys(jwt.mint()), dynamic_keys(jwt.mint())
    assert _chat(live, alice, "alice's secret plan").status_code == 200

    # Bob's listing is empty, and alice's id is unknown to him (not a 403 that confirms it).
    bob_auth = {"Authorization": f"Bearer {bob}"}
    assert httpx.get(f"{live.url}/v1/sessions", headers=bob_auth).json()["data"] == []
    assert httpx.get(f"{live.url}/v1/sessions/shared-name", headers=bob_auth).status_code == 404
    assert httpx.delete(f"{live.url}/v1/sessions/shared-name", headers=bob_auth).status_code == 404

    # Chatting on alice's id starts bob's own session: none of alice's history goes upstream.
    fake.clear()
    assert _chat(live, bob, "bob here").status_code == 200
    assert _sent(fake) == ["bob here"]
    fake.clear()
    assert _chat(live, alice, "and then?").status_code == 200
    assert _sent(fake)[0] == "alice's secret plan" and "bob here" not in _sent(fake)
    assert ChatSession.objects.filter(session_id="shared-name").count() == 2


def test_keys_for_one_account_share_its_sessions(live, fake, dynamic_keys) -> None:
    token = jwt.mint()
    first, second = dynamic_keys(token), dynamic_keys(token)
    _chat(live, first, "remember me")
    fake.clear()
    _chat(live, second, "who am I?")
    assert _sent(fake)[0] == "remember me"


def test_admin_shared_and_named_keys_are_distinct_owners(live, pool_token, fake) -> None:
    ApiKey.objects.create(name="carol", prefix="sk-carol", key_hash=key_hash("sk-carol-1"))
    for key in (AUTH, SHARED, "sk-carol-1"):
        fake.clear()
        assert _chat(live, key, f"from {key}").status_code == 200
        assert _sent(fake) == [f"from {key}"]
    owners = set(ChatSession.objects.filter(session_id="shared-name").values_list("owner", flat=True))
    assert len(owners) == 3
