"""Billed usage (the original's REAL_USAGE), reconciled in the background from Cursor's usage events."""

from __future__ import annotations

import io
import json
import time

import httpx
from django.core.management import call_command

from chatlogs import billing
from tests.api.helpers import post, sse_events, user
from tests.fixtures import AUTH, add_token
from tokens import keys

ADMIN = {"Authorization": f"Bearer {AUTH}"}


def _chat(url: str, text: str, key: str = AUTH, model: str = "claude-4.5-sonnet") -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions",
        json={"model": model, "messages": user(text)},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def _settled(count: int = 1, wait: float = 10.0) -> None:
    """Every request's record written with its outcome (the log writer is a background thread)."""
    from chatlogs.models import ChatLog, Status

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if ChatLog.objects.exclude(status=Status.PENDING).count() >= count and not (
            ChatLog.objects.filter(status=Status.PENDING).exists()
        ):
            return
        time.sleep(0.05)
    raise AssertionError("log records still pending")


def _reconcile(monkeypatch) -> str:
    monkeypatch.setattr(billing, "SETTLE_SECONDS", 0.0)
    out = io.StringIO()
    call_command("reconcile_usage", stdout=out)
    return out.getvalue()


def test_each_request_gets_what_cursor_billed(live, pool_token, fake, monkeypatch) -> None:
    assert _chat(live.url, "short").status_code == 200
    assert _chat(live.url, "a much longer question " * 20, model="gpt-5.1-max").status_code == 200
    _settled(2)
    assert _reconcile(monkeypatch).startswith("matched 2, waiting 0")
    assert len(fake.requests_to("get-filtered-usage-events")) == 1  # one call for the account
    logs = httpx.post(f"{live.url}/logs/get", headers=ADMIN, json={}).json()["logs"]
    usages = {entry["model"]: entry["chain"]["usage"] for entry in logs}
    short, long = usages["claude-4.5-sonnet"], usages["gpt-5.1"]
    assert set(short) == {"input", "output", "cache_write", "cache_read", "cents"}
    assert long["input"] > short["input"] and long["cache_read"] == 16 and long["cents"] > 0
    assert _reconcile(monkeypatch).startswith("matched 0, waiting 0")  # nothing twice


def test_batched_per_account_and_paced(live, pool_token, fake, monkeypatch) -> None:
    other = add_token("second")
    for n in range(4):
        assert (
            post(
                live.url, "/v1/chat/completions", {"model": "gpt-5.1", "messages": user(f"q{n}")}
            ).status_code
            == 200
        )
    _settled(4)
    slept: list[float] = []
    monkeypatch.setattr(billing, "SETTLE_SECONDS", 0.0)
    matched, waiting = billing.reconcile(sleep=slept.append)
    assert (matched, waiting) == (4, 0)
    calls = fake.requests_to("get-filtered-usage-events")
    assert len(calls) == 2 and len(slept) == 1  # one lookup per account, a pause between them
    assert {c.json["pageSize"] for c in calls} == {billing.PAGE_SIZE} and other.pk


def test_a_request_cursor_never_reports_waits_then_resumes(live, pool_token, fake, monkeypatch) -> None:
    assert _chat(live.url, "hello").status_code == 200
    _settled()
    kept = list(fake.received)
    fake.received.clear()  # Cursor has not listed the event yet
    assert _reconcile(monkeypatch).startswith("matched 0, waiting 1")
    fake.received.extend(kept)  # now it has: the next pass (or a restarted job) finds it
    assert _reconcile(monkeypatch).startswith("matched 1, waiting 0")


def test_spend_per_key_in_logs_metrics_and_a_monthly_limit(live, pool_token, fake, monkeypatch) -> None:
    key, secret = keys.create("team-a")
    assert _chat(live.url, "hello", key=secret).status_code == 200
    _settled()
    _reconcile(monkeypatch)
    own = httpx.post(f"{live.url}/logs/get", headers={"Authorization": f"Bearer {secret}"}, json={}).json()
    assert own["spend"]["today_cents"] == own["spend"]["month_cents"] > 0
    admin = httpx.post(f"{live.url}/logs/get", headers=ADMIN, json={}).json()["spend"]
    assert admin["keys"]["team-a"]["month_cents"] == own["spend"]["month_cents"]
    metrics = httpx.get(f"{live.url}/metrics", headers=ADMIN).text
    assert 'cursorapi_key_spend_cents{key="team-a",period="month"}' in metrics
    from tokens import spend_limit

    key.monthly_spend_limit_cents = own["spend"]["month_cents"]  # exactly spent
    key.save()
    spend_limit._limits.clear()
    refused = _chat(live.url, "again", key=secret)
    assert refused.status_code == 429 and "cents for this month" in refused.json()["error"]["message"]
    key.monthly_spend_limit_cents = 1000.0
    key.save()
    spend_limit._limits.clear()
    assert _chat(live.url, "again", key=secret).status_code == 200


def test_a_stream_that_asked_for_usage_gets_cursors_numbers(live, pool_token, fake, settings) -> None:
    body = {
        "model": "gpt-5.1",
        "messages": user("count me " * 30),
        "stream": True,
        "stream_options": {"include_usage": True},
    }

    def final_usage() -> dict:
        reply = post(live.url, "/v1/chat/completions", body)
        chunks = [json.loads(d) for e, d in sse_events(reply.text) if d != "[DONE]"]
        return chunks[-1]["usage"]

    estimated = final_usage()
    settings.REAL_USAGE = True
    billed = final_usage()
    request = fake.requests_to("StreamUnifiedChatWithTools")[-1]
    from cursorapi.upstream.fake import usage_events

    expected = usage_events.event_for(request)["tokenUsage"]
    assert billed["prompt_tokens"] == expected["inputTokens"] != estimated["prompt_tokens"]
    assert billed["completion_tokens"] == expected["outputTokens"]
    assert billed["prompt_tokens_details"] == {"cached_tokens": expected["cacheReadTokens"]}
    settings.REAL_USAGE_WAIT = 0
    assert final_usage() == estimated


def test_create_api_key_with_a_monthly_spend_limit(db) -> None:
    from tokens.models import ApiKey

    call_command(
        "create_api_key", "capped", "--monthly-spend-limit", "250", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert ApiKey.objects.get(name="capped").monthly_spend_limit_cents == 250.0
