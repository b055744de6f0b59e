"""The original's small routes and behaviours: redirects, text files, aliases, roles."""

from __future__ import annotations

import httpx

from tests.api.helpers import chat_request, post


def test_root_is_a_temporary_redirect_to_health(live) -> None:
    response = httpx.get(f"{live.url}/")
    assert response.status_code == 307 and response.headers["location"] == "/health"


def test_health_lists_each_endpoint_once_and_right(live) -> None:
    endpoints = httpx.get(f"{live.url}/health").json()["capabilities"]["endpoints"]
    assert "/health" in endpoints and "/metrics" in endpoints
    assert not [e for e in endpoints if "healthhealth" in e or "metricsmetrics" in e]
    assert {"/raw/models", "/env-example", "/generate_204", "/get-timestamp-header"} <= set(endpoints)


def test_license_is_served_when_shipped(live, settings, tmp_path) -> None:
    settings.BASE_DIR = tmp_path
    missing = httpx.get(f"{live.url}/license")
    assert missing.status_code == 404 and "LICENSE" in missing.json()["message"]
    (tmp_path / "LICENSE").write_text("Some license\n")
    assert httpx.get(f"{live.url}/license").text == "Some license\n"


def test_text_routes(live) -> None:
    env = httpx.get(f"{live.url}/env-example")
    assert (
        env.status_code == 200
        and "AUTH_TOKEN=" in env.text
        and env.headers["content-type"].startswith("text/plain")
    )
    readme = httpx.get(f"{live.url}/readme")
    assert readme.status_code == 200 and readme.text.startswith("# cursorapi")
    example = httpx.get(f"{live.url}/config-example")
    assert example.status_code == 200 and "raw_model_fetch_mode = " in example.text
    assert example.headers["content-type"].startswith("application/toml")
    assert httpx.get(f"{live.url}/generate_204").status_code == 204


def test_get_timestamp_header_is_the_checksum_header(live) -> None:
    old = httpx.get(f"{live.url}/get-timestamp-header")
    new = httpx.get(f"{live.url}/get-checksum-header")
    assert old.status_code == 200 and len(old.text) == 8 and old.text == new.text


def test_human_and_ai_roles_are_user_and_assistant(live, pool_token, fake) -> None:
    messages = [
        {"role": "human", "content": "first"},
        {"role": "ai", "content": "reply"},
        {"role": "human", "content": "second"},
    ]
    response = post(live.url, "/v1/chat/completions", {"model": "claude-4.5-sonnet", "messages": messages})
    assert response.status_code == 200, response.text
    sent = chat_request(fake)
    assert [(m.type, m.text) for m in sent.conversation] == [(1, "first"), (2, "reply"), (1, "second")]
    odd = {"model": "claude-4.5-sonnet", "messages": [{"role": ["x"]}]}
    assert post(live.url, "/v1/chat/completions", odd).status_code == 400


def test_without_a_general_proxy_the_environments_proxy_is_used(live, pool_token) -> None:
    from proxies.models import Proxy
    from tokens import services

    assert services.acquire().account.proxy == "sys"  # the original's default general proxy
    Proxy.objects.create(name="direct", url="non", is_general=True)
    from tokens import picking

    picking._general = None  # the few-second cache of the general proxy
    assert services.acquire().account.proxy == "non"
