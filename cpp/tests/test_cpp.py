"""/cpp/* and /file/* over HTTP against the fake upstream: config, models, upload, sync, stream."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from cpp.models import Affinity
from tests.api.helpers import sse_events
from tests.fixtures import AUTH, add_token

CLIENT_KEY = "ab" * 32


def call(live, path: str, payload: object = None, *, key: str = CLIENT_KEY, cookies: dict | None = None):
    headers = {"Authorization": f"Bearer {AUTH}", "x-client-key": key}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return httpx.post(f"{live.url}{path}", json=payload, headers=headers, timeout=20)


def test_config_and_models(live, pool_token, fake) -> None:
    config = call(live, "/cpp/config", {"model": "fast", "is_nightly": False})
    assert config.status_code == 200
    data = config.json()
    assert data["is_on"] is True and data["above_radius"] == 1
    assert data["heuristics"][0] == "lots_of_added_text"
    assert data["cpp_url"] == "https://api4.cursor.sh"
    (seen,) = fake.requests_to("AiService/CppConfig")
    assert seen.host == "api4.cursor.sh" and seen.message.model == "fast"

    models = call(live, "/cpp/models")
    assert models.json() == {"models": ["fast", "fast-2"], "default_model": "fast-2"}
    assert fake.requests_to("CppService/AvailableModels")[0].host == "api2.cursor.sh"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_upload_sync_and_stream_with_cookies(live, pool_token, fake) -> None:
    original = "def add(a, b):\n    return a\n"
    upload = call(
        live,
        "/file/upload",
        {
            "uuid": "u1",
            "relative_workspace_path": "m.py",
            "contents": original,
            "model_version": 1,
            "sha256_hash": _sha(original),
        },
    )
    assert upload.json() == {"error": "unspecified"}
    cookies = {k: v for k, v in upload.cookies.items()}
    assert "FilesyncCookie" in cookies and "AWSALBAPP-0" in cookies

    edited = original.replace("return a", "return a + b")
    start = original.index("return a") + len("return a")
    update = {
        "model_version": 2,
        "relative_workspace_path": "m.py",
        "updates": [
            {"start_position": start, "end_position": start, "change_length": 4, "replaced_string": " + b"}
        ],
        "expected_file_length": len(edited),
    }
    sync = call(
        live,
        "/file/sync",
        {
            "uuid": "u1",
            "relative_workspace_path": "m.py",
            "model_version": 2,
            "filesync_updates": [update],
            "sha256_hash": _sha(edited),
        },
        cookies=cookies,
    )
    assert sync.json() == {"error": "unspecified"}
    (seen_sync,) = fake.requests_to("FSSyncFile")
    assert f"FilesyncCookie={cookies['FilesyncCookie']}" in seen_sync.headers["cookie"]
    assert seen_sync.headers["x-fs-client-key"] == CLIENT_KEY
    assert seen_sync.host == "us-asia.gcpp.cursor.sh"

    stream = call(
        live,
        "/cpp/stream",
        {
            "current_file": {
                "relative_workspace_path": "m.py",
                "rely_on_filesync": True,
                "cursor_position": {"line": 1, "column": 4},
            },
            "control_token": "loud",
        },
        cookies=cookies,
    )
    assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
    events = sse_events(stream.text)
    names = [name for name, _ in events]
    assert names == [
        "model_info",
        "begin_edit",
        "range_replace",
        "text",
        "text",
        "done_edit",
        "cursor_prediction",
        "done_stream",
        "stream_end",
    ]
    payloads = [json.loads(data) for _, data in events]
    assert all(p["type"] == n for p, n in zip(payloads, names, strict=True))
    text = "".join(p["text"] for p in payloads if p["type"] == "text")
    assert text == "    return a + b  # completed line 2"  # the synced contents, not the upload
    assert payloads[2] == {
        "type": "range_replace",
        "start_line_number": 2,
        "end_line_number_inclusive": 2,
        "binding_id": "fake-binding",
    }
    (seen_stream,) = fake.requests_to("StreamCpp")
    assert seen_stream.message.control_token == 2


def test_hash_mismatch_and_unknown_files(live, pool_token, fake) -> None:
    upload = call(
        live, "/file/upload", {"relative_workspace_path": "x.py", "contents": "a", "sha256_hash": "0" * 64}
    )
    assert upload.json() == {"error": "hash_mismatch"}
    sync = call(live, "/file/sync", {"relative_workspace_path": "nope.py", "model_version": 1})
    assert sync.json() == {"error": "non_existant"}


def test_mid_stream_error_is_an_error_event(live, pool_token, fake) -> None:
    response = call(
        live,
        "/cpp/stream",
        {"current_file": {"relative_workspace_path": "e.py", "contents": "#fake: error\n"}},
    )
    events = sse_events(response.text)
    assert [name for name, _ in events] == ["model_info", "error", "stream_end"]
    error = json.loads(events[1][1])["error"]
    assert error["code"] == 429 and error["type"] == "rate_limited"


def test_an_error_before_the_first_frame_is_an_http_status(live, pool_token, fake) -> None:
    response = call(
        live,
        "/cpp/stream",
        {"current_file": {"relative_workspace_path": "e.py", "contents": "#fake: error_first"}},
    )
    assert response.status_code == 429
    assert response.json() == {
        "status": "error",
        "code": 429,
        "error": "rate_limited",
        "message": "Rate limited",
    }


@pytest.mark.parametrize(
    ("key", "body", "status", "word"),
    [
        ("nothex", {}, 400, "x-client-key"),
        (CLIENT_KEY, {"model": ["not", "a", "string"]}, 400, "model"),
        (CLIENT_KEY, "not an object", 400, "object"),
    ],
)
def test_bad_input(live, pool_token, fake, key, body, status, word) -> None:
    response = call(live, "/cpp/config", body, key=key)
    assert response.status_code == status
    assert response.json()["status"] == "error" and word in response.json()["message"]
    assert fake.received == []


def test_auth_and_bad_json(live, pool_token, fake) -> None:
    response = httpx.post(f"{live.url}/cpp/config", json={}, headers={"x-client-key": CLIENT_KEY})
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    bad = httpx.post(
        f"{live.url}/cpp/config",
        content=b"{",
        headers={"Authorization": f"Bearer {AUTH}", "x-client-key": CLIENT_KEY},
    )
    assert bad.status_code == 400


def test_gcpp_host_follows_the_token(live, fake) -> None:
    add_token("us", gcpp_host="US")
    call(live, "/file/upload", {"relative_workspace_path": "a.py", "contents": "x"})
    assert fake.requests_to("FSUploadFile")[0].host == "us-only.gcpp.cursor.sh"


def test_one_client_key_stays_on_one_token(live, fake) -> None:
    tokens = [add_token(alias) for alias in ("t1", "t2", "t3")]
    for _ in range(4):
        call(live, "/cpp/models")
    used = {r.headers["authorization"] for r in fake.requests_to("CppService/AvailableModels")}
    assert len(used) == 1
    assert Affinity.objects.count() == 1
    # Another editor is spread over the pool as usual.
    call(live, "/cpp/models", key="cd" * 32)
    assert len({r.headers["authorization"] for r in fake.requests_to("CppService/AvailableModels")}) == 2
    # When its token stops being usable, the editor moves to another one.
    bearer = used.pop()
    stuck = next(t for t in tokens if f"Bearer {t.primary_token}" == bearer)
    stuck.enabled = False
    stuck.save()
    fake.clear()
    call(live, "/cpp/models")
    (moved,) = fake.requests_to("CppService/AvailableModels")
    assert moved.headers["authorization"] != bearer
