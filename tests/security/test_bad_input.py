"""Bad input gets a clear JSON 4xx in the route's own shape: never an HTML 500 or a hang."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import post, user
from tests.fixtures import AUTH

from .routes import JSON_ROUTES, WRONG_METHOD, Route

MODEL = "claude-4.5-sonnet"


def _send(live, route: Route, content: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {AUTH}", "Content-Type": "application/json", **dict(route.headers)}
    return httpx.request(
        route.method, f"{live.url}{route.path}", content=content, headers=headers, timeout=20
    )


# One test walks every route (a live-server test costs a database reset; 25 of them add up).
def test_json_nested_too_deep_is_a_400_in_the_routes_shape(live, pool_token) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for route in JSON_ROUTES:
        response = _send(live, route, deep)
        assert response.status_code == 400, (route.path, response.text[:300])
        assert route.shape(response.json()), (route.path, response.text[:300])
        assert "nested more than 64 levels" in response.text, route.path


def test_the_depth_limit_is_a_setting(live, pool_token, settings) -> None:
    settings.JSON_MAX_DEPTH = 3
    route = JSON_ROUTES[0]
    payload = b'{"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": "hi"}]}'  # depth 3
    assert _send(live, route, payload).status_code == 200
    deeper = b'{"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]}'
    response = _send(live, route, deeper)
    assert response.status_code == 400 and "nested more than 3 levels" in response.text


def test_a_lone_surrogate_is_a_400_in_the_routes_shape(live, pool_token) -> None:
    for route in JSON_ROUTES:
        if route.chat:
            payload = (
                b'{"model": "%s", "max_tokens": 10, "messages": [{"role": "user", "content": "a\\ud800b"}]}'
                % MODEL.encode()
            )
        else:
            payload = b'{"name": "\\udc00", "tokens": [], "query": {}}'
        response = _send(live, route, payload)
        assert response.status_code == 400, (route.path, response.text[:300])
        assert route.shape(response.json()), (route.path, response.text[:300])
        assert "surrogate" in response.text, route.path


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_a_lone_surrogate_in_a_stream_request_is_answered_at_once(live, pool_token, path) -> None:
    payload = (
        b'{"model": "%s", "max_tokens": 10, "stream": true, '
        b'"messages": [{"role": "user", "content": "\\ud83d"}]}' % (MODEL.encode())
    )
    response = httpx.post(
        f"{live.url}{path}",
        content=payload,
        headers={"Authorization": f"Bearer {AUTH}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert "surrogate" in response.json()["error"]["message"]


def test_a_surrogate_pair_is_a_character_and_fine(live, pool_token) -> None:
    payload = (
        b'{"model": "%s", "messages": [{"role": "user", "content": "smile \\ud83d\\ude00"}]}' % MODEL.encode()
    )
    response = _send(live, JSON_ROUTES[0], payload)
    assert response.status_code == 200
    assert "smile \U0001f600" in response.json()["choices"][0]["message"]["content"]


def test_surrogates_as_raw_bytes_are_not_utf8(live, pool_token) -> None:
    payload = b'{"model": "m", "messages": [{"role": "user", "content": "\xed\xa0\x80"}]}'
    response = _send(live, JSON_ROUTES[0], payload)
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]["message"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(live, value) -> None:
    response = _send(live, Route("POST", "/logs/get", None), b'{"query": {"limit": %s}}' % value.encode())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json" and value.lstrip("-") in response.json()["message"]


@pytest.mark.parametrize(
    ("field", "value"), [("offset", 1e308), ("limit", 1e308), ("offset", 2**63), ("limit", -1)]
)
def test_logs_get_refuses_page_bounds_no_database_can_hold(live, field, value) -> None:
    response = post(live.url, "/logs/get", {"query": {field: value}})
    assert response.status_code == 400, response.text[:300]
    assert (
        response.json()
        == {
            "status": "error",
            "code": 400,
            "error": f"invalid_{field}",
            "message": f"{field}: must be a number from 0 to {2**53}",
        }
        or response.json()["error"] == f"invalid_{field}"
    )


def test_logs_get_still_pages(live) -> None:
    response = post(live.url, "/logs/get", {"query": {"offset": 0, "limit": 10.0}})
    assert response.status_code == 200 and response.json()["status"] == "success"


def test_a_wrong_method_is_a_json_405_with_allow(live) -> None:
    for method, route in WRONG_METHOD:
        response = httpx.request(
            method, f"{live.url}{route.path}", headers={"Authorization": f"Bearer {AUTH}"}
        )
        where = f"{method} {route.path}"
        assert response.status_code == 405, where
        assert route.method in response.headers["Allow"], where
        assert response.headers["Content-Type"].startswith("application/json"), where
        assert route.shape(response.json()), (where, response.json())


@pytest.mark.parametrize("model", [None, 0, False, [], {"id": 1}])
def test_a_session_with_a_model_that_is_not_a_string(live, model) -> None:
    response = post(live.url, "/v1/sessions", {"model": model})
    if model is None:
        assert response.status_code == 201  # no model: the session takes the request's
    else:
        assert response.status_code == 400 and response.json()["error"]["message"] == "model must be a string"


def test_a_chat_with_a_normal_body_still_works(live, pool_token) -> None:
    response = post(live.url, "/v1/chat/completions", {"model": MODEL, "messages": user("hello")})
    assert response.status_code == 200
