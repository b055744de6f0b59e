"""Bad requests to the Copilot++ routes: a clear error in the generic shape, and nothing sent upstream."""

from __future__ import annotations

import httpx
import pytest

from cpp.tests.helpers import CLIENT_KEY, call

ROUTES = ["/cpp/config", "/cpp/models", "/cpp/stream", "/file/upload", "/file/sync"]


@pytest.mark.parametrize("path", ROUTES)
def test_auth_comes_first(live, pool_token, fake, path) -> None:
    response = call(live, path, {}, auth="wrong", key="bad")
    assert response.status_code == 401
    assert response.json() == {
        "status": "error",
        "code": 401,
        "error": "unauthorized",
        "message": "Invalid authorization token",
    }
    missing = httpx.post(f"{live.url}{path}", json={}, headers={"x-client-key": CLIENT_KEY})
    assert missing.status_code == 401
    assert fake.received == []


@pytest.mark.parametrize("path", ROUTES)
def test_the_client_key_must_be_32_bytes_of_hex(live, pool_token, fake, path) -> None:
    for key in ["ab" * 31, "zz" * 32, "ab" * 33, "ab" * 16]:
        response = call(live, path, {}, key=key)
        assert response.status_code == 400, key
        body = response.json()
        assert body["status"] == "error" and body["code"] == 400 and body["error"] == "bad_request"
        assert "x-client-key" in body["message"]
    assert fake.received == []


def test_the_client_key_is_sent_as_x_fs_client_key_in_lower_case(live, pool_token, fake) -> None:
    assert call(live, "/cpp/models", key="AB" * 32).status_code == 200
    (seen,) = fake.requests_to("CppService/AvailableModels")
    assert seen.headers["x-fs-client-key"] == "ab" * 32
    assert seen.headers["x-client-key"] != "ab" * 32  # the token's own key still goes as x-client-key


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/cpp/config", {"model": ["not", "a", "string"]}, "model: expected a string"),
        ("/cpp/config", {"is_nightly": "yes"}, "is_nightly: expected true or false"),
        ("/file/upload", {"model_version": "1"}, "model_version: expected an integer"),
        ("/file/upload", {"model_version": 2**31}, "model_version: must be between"),
        ("/file/upload", {"model_version": 1.5}, "model_version: expected an integer"),
        ("/file/sync", {"filesync_updates": {}}, "filesync_updates: expected an array"),
        (
            "/file/sync",
            {"filesync_updates": [{"updates": [{"range": {"start_column": "x"}}]}]},
            "filesync_updates[0].updates[0].range.start_column: expected an integer",
        ),
        ("/cpp/stream", {"current_file": "m.py"}, "current_file: expected an object"),
        ("/cpp/stream", {"control_token": "shout"}, "control_token: expected one of quiet, loud, op"),
        (
            "/cpp/stream",
            {"current_file": {"diagnostics": [{"severity": "fatal"}]}},
            "current_file.diagnostics[0].severity: expected one of error, warning, information, hint",
        ),
        ("/cpp/stream", {"client_time": "now"}, "client_time: expected a number"),
        ("/cpp/stream", "not an object", "must be a JSON object"),
        ("/cpp/stream", [1, 2], "must be a JSON object"),
    ],
)
def test_a_body_that_does_not_fit_names_the_field(live, pool_token, fake, path, body, field) -> None:
    response = call(live, path, body)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert field in response.json()["message"]
    assert fake.received == []


@pytest.mark.parametrize("content", [b"{", b"\xff\xfe", b'{"client_time": NaN}', b"[" * 100_000])
def test_a_body_that_is_not_json_is_a_400(live, pool_token, fake, content) -> None:
    response = call(live, "/cpp/stream", content=content)
    assert response.status_code == 400
    message = response.json()["message"]
    assert "not valid JSON" in message or "nested more than" in message  # too deep: a limit
    assert fake.received == []


def test_unknown_fields_and_nulls_are_ignored(live, pool_token, fake) -> None:
    response = call(live, "/cpp/config", {"model": None, "is_nightly": None, "future_field": {"x": 1}})
    assert response.status_code == 200
    (seen,) = fake.requests_to("CppConfig")
    assert seen.message.model == "" and not seen.message.HasField("is_nightly")


def test_only_post(live, pool_token, fake) -> None:
    response = httpx.get(f"{live.url}/cpp/config", headers={"x-client-key": CLIENT_KEY})
    assert response.status_code == 405


def test_a_body_over_the_limit_is_a_413(live, pool_token, fake, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.REQUEST_BODY_LIMIT = 1000
    response = call(live, "/file/upload", {"relative_workspace_path": "big.py", "contents": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert fake.received == []


def test_without_a_client_key_the_tokens_own_stands_in(live, pool_token, fake) -> None:
    # The original makes one up per token: the pool token's own client key goes as x-fs-client-key.
    for key in (None, ""):
        assert call(live, "/cpp/models", key=key).status_code == 200
    first, second = fake.requests_to("CppService/AvailableModels")
    assert (
        first.headers["x-fs-client-key"] == first.headers["x-client-key"] == second.headers["x-fs-client-key"]
    )
    assert len(first.headers["x-fs-client-key"]) == 64
