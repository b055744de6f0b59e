"""Stateful sessions over HTTP: history kept between turns, ownership, leases, expiry, bounds."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
from django.core.management import call_command
from django.utils import timezone

from chatsessions.models import ChatSession
from cursorapi.auth import key_hash
from tests.api.helpers import chat_request, post, user
from tests.fixtures import AUTH, SHARED
from tokens.models import ApiKey

MODEL = "claude-4.5-sonnet"


def chat(live, text: str, session: str | None = "s1", key: str = AUTH, **extra) -> httpx.Response:
    headers = {"X-Cursor-Session-ID": session} if session else {}
    return post(
        live.url,
        "/v1/chat/completions",
        {"model": MODEL, "messages": user(text), **extra},
        key=key,
        headers=headers,
    )


def conversation(fake) -> list[tuple[int, str]]:
    return [(m.type, m.text) for m in chat_request(fake).conversation]


def test_the_second_turn_is_sent_with_the_stored_history(live, pool_token, fake) -> None:
    first = chat(live, "My name is Alice.")
    assert first.status_code == 200
    assert first.headers["X-Cursor-Session-ID"] == "s1"
    assert first.json()["cursor_metadata"]["session_id"] == "s1"
    fake.clear()
    second = chat(live, "What is my name?")
    assert second.status_code == 200
    assert conversation(fake) == [
        (1, "My name is Alice."),
        (2, "Fake Cursor reply to: My name is Alice."),
        (1, "What is my name?"),
    ]
    stored = ChatSession.objects.get(session_id="s1")
    assert [t["role"] for t in stored.turns] == ["user", "assistant", "user", "assistant"]
    assert stored.owner == "admin" and stored.lease_until is None


def test_without_the_header_nothing_is_stored(live, pool_token, fake) -> None:
    response = chat(live, "hello", session=None)
    assert response.status_code == 200
    assert "X-Cursor-Session-ID" not in response.headers
    assert "session_id" not in response.json()["cursor_metadata"]
    assert ChatSession.objects.count() == 0


def test_metadata_hides_the_token_from_non_admins(live, pool_token, fake) -> None:
    assert chat(live, "hi", session=None).json()["cursor_metadata"]["token"] == "alpha"
    meta = chat(live, "hi", session=None, key=SHARED).json()["cursor_metadata"]
    assert "token" not in meta and meta["request_id"] and meta["duration_ms"] >= 0


def test_streams_are_stateful_too(live, pool_token, fake) -> None:
    response = chat(live, "stream one", stream=True)
    assert '"cursor_metadata":' in response.text and '"session_id": "s1"' in response.text
    fake.clear()
    chat(live, "stream two", stream=True)
    assert conversation(fake)[1] == (2, "Fake Cursor reply to: stream one")


def test_anthropic_messages_share_the_mechanism(live, pool_token, fake) -> None:
    headers = {"X-Cursor-Session-ID": "a1"}
    body = {"model": MODEL, "max_tokens": 10, "messages": user("first")}
    assert (
        post(live.url, "/v1/messages", body, headers=headers).json()["cursor_metadata"]["session_id"] == "a1"
    )
    fake.clear()
    post(live.url, "/v1/messages", {**body, "messages": user("second")}, headers=headers)
    assert [t for _, t in conversation(fake)] == ["first", "Fake Cursor reply to: first", "second"]


def test_crud_and_ownership(live, pool_token, fake) -> None:
    created = post(live.url, "/v1/sessions", {"model": MODEL})
    assert created.status_code == 201
    session_id = created.json()["id"]
    assert created.json()["model"] == MODEL and len(session_id) == 36

    auth = {"Authorization": f"Bearer {AUTH}"}
    listed = httpx.get(f"{live.url}/v1/sessions", headers=auth).json()
    assert listed["object"] == "list" and [s["id"] for s in listed["data"]] == [session_id]
    assert httpx.get(f"{live.url}/v1/sessions/{session_id}", headers=auth).json()["turns"] == 0

    # Another caller cannot see, use or delete it: 404, not 403, so ids do not leak.
    ApiKey.objects.create(name="bob", prefix="sk-bob", key_hash=key_hash("sk-bob-1"))
    bob = {"Authorization": "Bearer sk-bob-1"}
    assert httpx.get(f"{live.url}/v1/sessions", headers=bob).json()["data"] == []
    assert httpx.get(f"{live.url}/v1/sessions/{session_id}", headers=bob).status_code == 404
    assert httpx.delete(f"{live.url}/v1/sessions/{session_id}", headers=bob).status_code == 404
    # Chatting on it gives bob a new session of his own under that id.
    fake.clear()
    own = chat(live, "let me in", session=session_id, key="sk-bob-1")
    assert own.status_code == 200 and conversation(fake) == [(1, "let me in")]
    assert ChatSession.objects.filter(session_id=session_id).count() == 2

    deleted = httpx.delete(f"{live.url}/v1/sessions/{session_id}", headers=auth)
    assert deleted.json() == {"deleted": True, "id": session_id}
    assert httpx.get(f"{live.url}/v1/sessions/{session_id}", headers=auth).status_code == 404
    assert httpx.delete(f"{live.url}/v1/sessions/{session_id}", headers=auth).status_code == 404
    assert httpx.get(f"{live.url}/v1/sessions").status_code == 401


def test_bad_input(live, pool_token, fake) -> None:
    assert chat(live, "x", session="bad id!").status_code == 400
    assert post(live.url, "/v1/sessions", {"model": "nope"}).status_code == 404
    bad_json = httpx.post(
        f"{live.url}/v1/sessions", content=b"{", headers={"Authorization": f"Bearer {AUTH}"}
    )
    assert bad_json.status_code == 400


def test_a_busy_session_answers_409(live, pool_token, fake) -> None:
    results: dict[str, int] = {}
    started = threading.Event()

    def slow() -> None:
        with httpx.stream(
            "POST",
            f"{live.url}/v1/chat/completions",
            json={"model": MODEL, "messages": user("#fake: chunks=10 delay_ms=80"), "stream": True},
            headers={"Authorization": f"Bearer {AUTH}", "X-Cursor-Session-ID": "busy"},
        ) as response:
            started.set()
            response.read()
            results["slow"] = response.status_code

    thread = threading.Thread(target=slow)
    thread.start()
    assert started.wait(5)
    busy = chat(live, "me too", session="busy")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "session_busy"
    thread.join(10)
    assert results["slow"] == 200
    assert chat(live, "now", session="busy").status_code == 200


def test_a_crashed_requests_lease_runs_out(live, pool_token, fake) -> None:
    now = timezone.now()
    ChatSession.objects.create(
        session_id="crashed",
        owner="admin",
        created_at=now,
        last_used_at=now,
        lease_until=now + timedelta(minutes=5),
    )
    assert chat(live, "hi", session="crashed").status_code == 409
    ChatSession.objects.filter(session_id="crashed").update(lease_until=now - timedelta(seconds=1))
    assert chat(live, "hi", session="crashed").status_code == 200


def test_a_failed_or_cancelled_turn_is_not_stored(live, pool_token, fake) -> None:
    chat(live, "remember this")
    # Errors that do not rest the only token, so that the session's reuse is what is tested.
    assert chat(live, "#fake: error=not_found").status_code == 404
    response = chat(live, "#fake: chunks=3 error_after=1 error=not_found", stream=True)
    assert '"error"' in response.text
    with httpx.stream(
        "POST",
        f"{live.url}/v1/chat/completions",
        json={"model": MODEL, "messages": user("#fake: chunks=20 delay_ms=100"), "stream": True},
        headers={"Authorization": f"Bearer {AUTH}", "X-Cursor-Session-ID": "s1"},
    ) as cut:
        next(cut.iter_lines())
    fake.clear()
    assert chat(live, "next").status_code == 200  # still usable: the leases were released
    assert [t for _, t in conversation(fake)] == [
        "remember this",
        "Fake Cursor reply to: remember this",
        "next",
    ]


def test_history_is_bounded_and_the_system_prompt_kept(live, pool_token, fake, settings) -> None:
    settings.SESSION_MAX_TURNS = 4
    post(
        live.url,
        "/v1/chat/completions",
        {"model": MODEL, "messages": [{"role": "system", "content": "Be terse."}, *user("one")]},
        headers={"X-Cursor-Session-ID": "b"},
    )
    for text in ("two", "three"):
        chat(live, text, session="b")
    fake.clear()
    chat(live, "four", session="b")
    sent = chat_request(fake)
    assert [m.text for m in sent.conversation] == [
        "two",
        "Fake Cursor reply to: two",
        "three",
        "Fake Cursor reply to: three",
        "four",
    ]
    assert sent.explicit_context.context == "Be terse."


def test_sessions_expire_after_the_ttl(live, pool_token, fake, settings) -> None:
    chat(live, "old news", session="e")
    ChatSession.objects.filter(session_id="e").update(last_used_at=timezone.now() - timedelta(hours=2))
    auth = {"Authorization": f"Bearer {AUTH}"}
    assert httpx.get(f"{live.url}/v1/sessions/e", headers=auth).status_code == 404
    call_command("cleanup_sessions", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not ChatSession.objects.filter(session_id="e").exists()
    fake.clear()
    chat(live, "fresh start", session="e")
    assert [t for _, t in conversation(fake)] == ["fresh start"]


def test_the_history_sent_upstream_is_capped_by_bytes(live, pool_token, fake, settings) -> None:
    settings.SESSION_MAX_HISTORY_BYTES = 400
    post(
        live.url,
        "/v1/chat/completions",
        {"model": MODEL, "messages": [{"role": "system", "content": "Be terse."}, *user("a" * 100)]},
        headers={"X-Cursor-Session-ID": "big"},
    )
    chat(live, "b" * 100, session="big")
    fake.clear()
    response = chat(live, "c" * 100, session="big")
    # System (9) + new turn (100) leave 291 bytes: the b-exchange (100 + 123) fits, the a-one does not.
    assert [m.text for m in chat_request(fake).conversation] == [
        "b" * 100,
        "Fake Cursor reply to: " + "b" * 100,
        "c" * 100,
    ]
    assert response.json()["cursor_metadata"]["session_turns_dropped"] == 2
    fake.clear()
    small = chat(live, "d", session="big")
    assert "session_turns_dropped" in small.json()["cursor_metadata"]
