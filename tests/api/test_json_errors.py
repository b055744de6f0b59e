"""Unknown routes, wrong methods and crashes answer JSON in the route family's shape, never HTML."""

from __future__ import annotations

import pytest
from django.test import AsyncClient
from django.urls import include, path

from tests.fixtures import AUTH


def _crash(request):
    raise RuntimeError("a bug")


# The real routes plus one that crashes, for the 500 case.
urlpatterns = [path("v1/crash", _crash), path("crash", _crash), path("", include("cursorapi.urls"))]

AUTHED = {"headers": {"Authorization": f"Bearer {AUTH}"}}
OPENAI_KEYS = {"message", "type", "param", "code"}


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def client(request, settings, db) -> AsyncClient:
    settings.DEBUG = request.param
    settings.AUTH_TOKEN = AUTH
    return AsyncClient(raise_request_exception=False)


def _openai(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == OPENAI_KEYS
    assert error["type"] == ("server_error" if status == 500 else "invalid_request_error")
    return error


@pytest.mark.parametrize("url", ["/v1/nothing", "/v1/chat/completion", "/v1/chat/completions/x", "/v1"])
async def test_unknown_v1_route_is_an_openai_404(client, url) -> None:
    error = _openai(await client.post(url, {}, content_type="application/json", **AUTHED), 404)
    assert error["code"] == "unknown_url"
    assert f"POST {url}" in error["message"]


@pytest.mark.parametrize("url", ["/v1/messages/nothing", "/v1/messages/batches"])
async def test_unknown_messages_route_is_an_anthropic_404(client, url) -> None:
    response = await client.get(url, **AUTHED)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "error",
        "error": {"type": "not_found_error", "message": response.json()["error"]["message"]},
    }
    assert url in response.json()["error"]["message"]


@pytest.mark.parametrize("url", ["/nothing", "/tokens/nothing", "/v2/chat/completions"])
async def test_unknown_route_elsewhere_is_a_generic_404(client, url) -> None:
    response = await client.get(url)
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == "error" and body["code"] == 404 and body["error"] == "not_found"
    assert url in body["message"]


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("get", "/v1/chat/completions", "POST"),
        ("put", "/v1/chat/completions", "POST"),
        ("delete", "/v1/models", "GET"),
        ("post", "/v1/models", "GET"),
    ],
)
async def test_wrong_method_on_v1_is_an_openai_405_with_allow(client, method, url, allow) -> None:
    response = await getattr(client, method)(url, **AUTHED)
    error = _openai(response, 405)
    assert response["Allow"] == allow
    assert error["code"] == "method_not_allowed"
    assert method.upper() in error["message"]


@pytest.mark.parametrize("url", ["/v1/messages", "/v1/messages/count_tokens"])
async def test_wrong_method_on_messages_is_an_anthropic_405(client, url) -> None:
    response = await client.get(url, **AUTHED)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("url", ["/gen-uuid", "/tokens/get", "/health", "/metrics"])
async def test_wrong_method_elsewhere_is_a_generic_405(client, url) -> None:
    response = await client.delete(url, **AUTHED)
    assert response.status_code == 405
    assert response["Allow"]
    body = response.json()
    assert body == {"status": "error", "code": 405, "error": "method_not_allowed", "message": body["message"]}


async def test_a_views_own_json_404_is_kept(client) -> None:
    response = await client.post(
        "/v1/chat/completions",
        {"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]},
        content_type="application/json",
        **AUTHED,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


@pytest.mark.urls(__name__)
async def test_a_crash_is_a_json_500_in_the_familys_shape(client) -> None:
    error = _openai(await client.get("/v1/crash"), 500)
    assert "a bug" not in error["message"]  # no internals in the body, DEBUG or not
    generic = await client.get("/crash")
    assert generic.status_code == 500
    assert generic.json()["error"] == "internal_error"


async def test_the_admin_keeps_its_html_pages(client) -> None:
    response = await client.get("/admin/nothing/")
    assert not response["Content-Type"].startswith("application/json")


async def test_the_json_error_keeps_the_cors_and_request_id_headers(client) -> None:
    response = await client.get("/v1/nothing", headers={"X-Request-ID": "req-1"})
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Request-ID"] == "req-1"
