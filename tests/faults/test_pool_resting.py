"""The pool never goes dark by its own hand: which failures rest a token, for how long, what callers see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.helpers import data_json, last_log, post, sse_events, user
from tests.fixtures import AUTH, add_token
from tokens.models import Health, Token

MODEL = "claude-4.5-sonnet"


def chat(live, text: str, *, stream: bool = False, dialect: str = "openai"):
    if dialect == "anthropic":
        payload = {"model": MODEL, "max_tokens": 100, "messages": user(text), "stream": stream}
        return post(live.url, "/v1/messages", payload)
    return post(live.url, "/v1/chat/completions", {"model": MODEL, "messages": user(text), "stream": stream})


def calls_to_cursor(fake) -> int:
    return len(fake.requests_to("StreamUnifiedChatWithTools"))


def test_an_error_mid_stream_does_not_take_the_only_token_out(live, pool_token, fake) -> None:
    # The reproduction: one token, one `internal` error in the middle of a stream.
    broken = chat(live, "x\n#fake: reply=abcdef chunks=6 error_after=2 error=internal", stream=True)
    assert data_json(sse_events(broken.text))[-1]["error"]["type"] == "api_error"
    pool_token.refresh_from_db()
    assert (pool_token.health, pool_token.consecutive_failures) == (Health.OK, 1)
    assert chat(live, "next").status_code == 200
    pool_token.refresh_from_db()
    assert pool_token.consecutive_failures == 0  # a success ends the run of failures


# 41 is ERROR_RESOURCE_EXHAUSTED: Cursor short of capacity. A `resource_exhausted` code carrying
# 50 RATE_LIMITED (what the fake's `error=resource_exhausted` sends, as Cursor does) is a rate limit.
@pytest.mark.parametrize("error", ["internal", "unavailable", "41", "unknown"])
def test_one_service_failure_before_the_first_byte_does_not_rest_the_token(live, pool_token, fake, error):
    assert chat(live, f"#fake: error={error}").status_code in (429, 502, 503)
    pool_token.refresh_from_db()
    assert (pool_token.health, pool_token.consecutive_failures) == (Health.OK, 1)
    assert chat(live, "hi").status_code == 200


def test_n_service_failures_in_a_row_rest_a_token_that_is_still_tried_when_alone(
    live, pool_token, fake, settings
) -> None:
    settings.TOKEN_SERVICE_FAILURES_BEFORE_REST = 2
    for _ in range(2):
        assert chat(live, "#fake: status=500").status_code == 502
    pool_token.refresh_from_db()
    assert (pool_token.health, pool_token.rest_reason) == (Health.COOLING, "service")
    # The pool's only token rests because Cursor failed: it is tried anyway, and recovers.
    fake.clear()
    assert chat(live, "hi").status_code == 200
    assert calls_to_cursor(fake) == 1
    pool_token.refresh_from_db()
    assert (pool_token.health, pool_token.rest_reason, pool_token.consecutive_failures) == (Health.OK, "", 0)


def test_of_two_service_resting_tokens_the_one_whose_rest_ends_first_is_tried(live, fake) -> None:
    later, sooner = add_token("later"), add_token("sooner")
    now = timezone.now()
    for token, minutes in ((later, 5), (sooner, 1)):
        Token.objects.filter(pk=token.pk).update(
            health=Health.COOLING, rest_reason="service", cooldown_until=now + timedelta(minutes=minutes)
        )
    assert chat(live, "hi").status_code == 200
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert seen.headers["authorization"] == f"Bearer {sooner.primary_token}"


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_rate_limit_rests_for_as_long_as_cursor_says_then_the_pool_answers_429(
    live, pool_token, fake, dialect, stream
) -> None:
    first = chat(live, "#fake: error=rate_limited retry_after=120", stream=stream, dialect=dialect)
    assert first.status_code == 429
    pool_token.refresh_from_db()
    assert (pool_token.health, pool_token.rest_reason) == (Health.COOLING, "account")
    left = (pool_token.cooldown_until - timezone.now()).total_seconds()
    assert 100 < left <= 120
    assert "Retry-After" in first.headers  # no other account: the caller learns the wait too

    fake.clear()
    refused = chat(live, "hi", stream=stream, dialect=dialect)
    assert refused.status_code == 429
    assert 100 < int(refused.headers["Retry-After"]) <= 120
    body = refused.json()
    if dialect == "anthropic":
        assert body["type"] == "error" and body["error"]["type"] == "rate_limit_error"
    else:
        assert body["error"]["type"] == "rate_limit_error" and body["error"]["code"] == "tokens_resting"
    assert calls_to_cursor(fake) == 0
    log = last_log()
    assert (log.status, log.http_status) == ("failure", 429)


def test_a_retry_after_header_on_cursors_429_sets_the_rest(live, pool_token, fake) -> None:
    assert chat(live, "#fake: status=429 retry_after=30").status_code == 429
    pool_token.refresh_from_db()
    left = (pool_token.cooldown_until - timezone.now()).total_seconds()
    assert pool_token.rest_reason == "account" and 20 < left <= 30


def test_without_a_hint_a_rate_limit_rests_for_the_cooldown_setting(live, pool_token, fake, settings) -> None:
    settings.TOKEN_COOLDOWN_SECONDS = 600
    assert chat(live, "#fake: error=rate_limited").status_code == 429
    pool_token.refresh_from_db()
    assert 590 < (pool_token.cooldown_until - timezone.now()).total_seconds() <= 600


def test_a_rate_limit_mid_stream_does_not_rest_the_token(live, pool_token, fake) -> None:
    chat(live, "#fake: chunks=4 error_after=2 error=rate_limited retry_after=60", stream=True)
    pool_token.refresh_from_db()
    assert (pool_token.health, pool_token.consecutive_failures) == (Health.OK, 1)


def test_a_rate_limit_on_every_token_makes_the_pool_answer_429(live, fake) -> None:
    add_token("one"), add_token("two")
    response = chat(live, "#fake: error=rate_limited")
    # The directive applies to every attempt: both tokens are limited, the caller gets Cursor's 429.
    assert response.status_code == 429
    assert calls_to_cursor(fake) == 2
    assert set(Token.objects.values_list("rest_reason", flat=True)) == {"account"}
    assert chat(live, "hi").status_code == 429  # now the whole pool rests: 429, not 503
    assert calls_to_cursor(fake) == 2


def test_tokens_get_shows_why_and_until_when_and_rest_end_ends_it(live, pool_token, fake) -> None:
    chat(live, "#fake: error=rate_limited retry_after=300")
    listed = post(live.url, "/tokens/get", {}).json()["tokens"]
    health = listed[0][2]["status"]["health"]
    assert health["reason"] == "account" and health["backoff_until"] > timezone.now().timestamp() + 200
    assert "rest_until" in health and "Rate limited" in health["last_error"]

    bad = post(live.url, "/tokens/rest/end", {"aliases": "alpha"})
    assert bad.status_code == 400 and bad.json()["status"] == "error"
    ended = post(live.url, "/tokens/rest/end", {"aliases": ["alpha", "nobody"]}).json()
    assert (ended["ended"], ended["failed_tokens"]) == (1, ["nobody"])
    pool_token.refresh_from_db()
    assert (pool_token.health, pool_token.cooldown_until, pool_token.rest_reason) == (Health.OK, None, "")
    assert chat(live, "hi").status_code == 200


def test_rest_end_all_leaves_invalid_tokens_invalid(live, fake) -> None:
    resting, broken = add_token("resting"), add_token("broken")
    Token.objects.filter(pk=resting.pk).update(
        health=Health.COOLING, rest_reason="account", cooldown_until=timezone.now() + timedelta(hours=1)
    )
    Token.objects.filter(pk=broken.pk).update(health=Health.INVALID)
    assert post(live.url, "/tokens/rest/end", {"all": True}).json()["ended"] == 1
    assert dict(Token.objects.values_list("alias", "health")) == {"resting": "ok", "broken": "invalid"}
    assert post(live.url, "/tokens/rest/end", {"all": True}, key="wrong").status_code == 401


def test_the_admin_shows_the_rest_and_its_action_ends_it(live, pool_token, fake, admin_client) -> None:
    chat(live, "#fake: error=rate_limited retry_after=300")
    page = admin_client.get("/admin/tokens/token/").content.decode()
    assert "Resting until" in page and "Account limited" in page
    admin_client.post(
        "/admin/tokens/token/", {"action": "end_rest", "_selected_action": [pool_token.pk]}, follow=True
    )
    pool_token.refresh_from_db()
    assert pool_token.health == Health.OK


def test_all_disabled_or_invalid_is_still_a_503(live, fake) -> None:
    Token.objects.filter(pk=add_token("gone").pk).update(health=Health.INVALID)
    response = chat(live, "hi")
    assert response.status_code == 503 and "Retry-After" not in response.headers


def test_copilot_plus_plus_gets_429_with_retry_after_when_the_pool_rests(live, pool_token, fake) -> None:
    Token.objects.filter(pk=pool_token.pk).update(
        health=Health.COOLING, rest_reason="account", cooldown_until=timezone.now() + timedelta(seconds=90)
    )
    response = post(
        live.url,
        "/cpp/config",
        {},
        key=AUTH,
        headers={"x-client-key": "a" * 64},
    )
    assert response.status_code == 429
    assert 80 < int(response.headers["Retry-After"]) <= 90
    assert response.json()["error"] == "tokens_resting"
