"""/config/get|set|reload with x-config-hash, over HTTP against the live server."""

from __future__ import annotations

import base64
import threading
import time

import httpx
import pytest

from runtime import config, services
from runtime.models import Config
from tests.api.helpers import post
from tests.api.test_openai import _png
from tests.fixtures import AUTH

ADMIN = {"Authorization": f"Bearer {AUTH}"}


def _get(live) -> httpx.Response:
    return httpx.post(f"{live.url}/config/get", headers=ADMIN)


def _set(live, values: dict, hash_: str | None) -> httpx.Response:
    headers = dict(ADMIN)
    if hash_ is not None:
        headers["x-config-hash"] = hash_
    return httpx.post(f"{live.url}/config/set", json=values, headers=headers)


def _image_chat(live) -> httpx.Response:
    url = "data:image/png;base64," + base64.b64encode(_png(1, 1)).decode()
    content = [{"type": "image_url", "image_url": {"url": url}}]
    return post(
        live.url,
        "/v1/chat/completions",
        {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": content}]},
    )


def test_get_shows_the_effective_values_and_their_hash(live, fake) -> None:
    response = _get(live)
    assert response.status_code == 200
    body = response.json()
    assert (
        body["config"]["vision_ability"] == "base64" and body["config"]["share_token"] == "test-shared-token"
    )
    assert len(response.headers["x-config-hash"]) == 64
    assert httpx.post(f"{live.url}/config/get").status_code == 401


def test_set_changes_behaviour_at_once_and_reports_changed_or_not(live, pool_token, fake) -> None:
    assert _image_chat(live).status_code == 200
    first = _get(live).headers["x-config-hash"]
    assert _set(live, {"vision_ability": "none"}, first).status_code == 204
    refused = _image_chat(live)
    assert refused.status_code == 400 and "disabled" in refused.json()["error"]["message"]
    second = _get(live).headers["x-config-hash"]
    assert second != first
    assert _set(live, {"vision_ability": "none"}, second).status_code == 200  # nothing changed
    assert _set(live, {"vision_ability": "all"}, first).status_code == 412  # stale hash


def test_shared_token_and_client_version_change_at_runtime(live, pool_token, fake) -> None:
    body = {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": "hi"}]}
    current = _get(live).headers["x-config-hash"]
    assert (
        _set(live, {"share_token": "team-secret", "cursor_client_version": "2.4.0"}, current).status_code
        == 204
    )
    assert post(live.url, "/v1/chat/completions", body, key="test-shared-token").status_code == 401
    assert post(live.url, "/v1/chat/completions", body, key="team-secret").status_code == 200
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert seen.headers["x-cursor-client-version"] == "2.4.0"


@pytest.mark.parametrize(
    ("values", "status", "error"),
    [
        ({"vision_ability": "sometimes"}, 400, "invalid_vision_ability"),
        ({"thinking_tag": "x" * 20}, 400, "invalid_thinking_tag"),
        ({"cursor_client_version": "two"}, 400, "invalid_cursor_client_version"),
        ({"colour": "blue"}, 400, "invalid_colour"),
        (["not", "an", "object"], 400, "invalid_config"),
    ],
)
def test_invalid_values_name_the_field(live, fake, values, status, error) -> None:
    response = _set(live, values, _get(live).headers["x-config-hash"])
    assert response.status_code == status and response.json()["error"] == error


def test_hash_header_rules(live, fake) -> None:
    assert _set(live, {}, None).status_code == 428
    assert _set(live, {}, "short").status_code == 400
    assert httpx.get(f"{live.url}/config/reload", headers=ADMIN).status_code == 428
    current = _get(live).headers["x-config-hash"]
    assert (
        httpx.get(f"{live.url}/config/reload", headers={**ADMIN, "x-config-hash": current}).status_code == 200
    )
    assert (
        httpx.get(f"{live.url}/config/reload", headers={**ADMIN, "x-config-hash": "0" * 64}).status_code
        == 412
    )


def test_other_workers_see_a_change_within_seconds(live, pool_token, fake, monkeypatch) -> None:
    monkeypatch.setattr(config, "REFRESH_SECONDS", 0.2)
    assert _image_chat(live).status_code == 200
    # Another worker wrote the record: this one only learns it from the database.
    Config.objects.update_or_create(pk=1, defaults={"values": {"vision_ability": "none"}, "version": 7})
    time.sleep(0.3)
    assert _image_chat(live).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_writers_one_wins_the_other_gets_stale() -> None:
    expected = config.config_hash(config.effective({}))
    results: list[str] = []
    barrier = threading.Barrier(2)

    def write(value: str) -> None:
        from django.db import connection

        barrier.wait()
        try:
            services.update(expected, {"thinking_tag": value})
            results.append("won")
        except services.StaleHash:
            results.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(v,)) for v in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == ["stale", "won"]
    assert Config.objects.get().version == 1
