"""The admin index as a team lead sees it: the pool's state and the recent traffic, drawn in SVG."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chatlogs.models import Chain, ChatLog
from tests.fixtures import add_token
from tokens.models import ApiKey, Health

pytestmark = pytest.mark.django_db


def _log(minutes_ago: float, **fields) -> ChatLog:
    values = {
        "created_at": timezone.now() - timedelta(minutes=minutes_ago),
        "request_id": f"r{ChatLog.objects.count()}",
        "dialect": "openai",
        "model": "claude-4.5-sonnet",
        "status": "success",
        "http_status": 200,
    } | fields
    return ChatLog.objects.create(**values)


def _stat(page: str, name: str) -> int:
    match = re.search(rf'data-stat="{name}">(\d+)<', page)
    assert match, f"no {name} figure on the dashboard"
    return int(match.group(1))


def _charts(page: str) -> list[str]:
    return re.findall(r'<svg class="chart" role="img" aria-label="([^"]+)"', page)


def _pool() -> None:
    add_token(
        "usable-1",
    )
    add_token("usable-2")
    resting = add_token("resting")
    resting.cooldown_until = timezone.now() + timedelta(minutes=5)
    resting.last_error = "rate limited by Cursor"
    resting.health = Health.COOLING
    resting.save()
    invalid = add_token("invalid")
    invalid.health = Health.INVALID
    invalid.save()
    disabled = add_token("disabled")
    disabled.enabled = False
    disabled.save()


def test_the_index_is_a_dashboard_of_the_pool_and_the_last_day(admin_client: Client) -> None:
    _pool()
    key = ApiKey.objects.create(name="ci-bot", prefix="sk-ci", key_hash="h" * 64)
    for minutes, ttft in [(5, 100), (5, 300), (70, 200)]:
        _log(minutes, ttft_ms=ttft, api_key=key, caller="key")
    _log(10, dialect="anthropic", model="gpt-5", ttft_ms=500)
    failed = _log(20, status="failure", http_status=502, error="upstream: internal error")
    _log(60 * 30, status="failure", error="too old to show")  # outside the 24 hours

    page = admin_client.get("/admin/").content.decode()

    assert (
        _stat(page, "usable"),
        _stat(page, "resting"),
        _stat(page, "invalid"),
        _stat(page, "disabled"),
    ) == (
        2,
        1,
        1,
        1,
    )
    assert (_stat(page, "requests"), _stat(page, "errors")) == (5, 1)
    labels = _charts(page)
    assert any(
        label.startswith("Requests per hour by dialect over the last 24h: 5 in all") for label in labels
    )
    assert "anthropic 1, openai 4" in " ".join(labels)
    assert any(label.startswith("Failed requests per hour over the last 24h: 1 in all") for label in labels)
    assert any("Time to first token per hour" in label for label in labels)
    # The top tables and the failure list, linked to its record; the old failure is out of the window.
    assert re.search(r"<td>claude-4.5-sonnet</td><td>4</td>", page)
    assert re.search(r"<td>ci-bot</td><td>3</td>", page)
    assert f'href="/admin/chatlogs/chatlog/{failed.pk}/change/"' in page
    assert "upstream: internal error" in page and "too old to show" not in page


def test_ttft_percentiles_per_bucket_match_the_records(admin_client: Client) -> None:
    # Eleven streamed replies within one 5-minute bucket: p50 is the 6th, p95 interpolates 10th/11th.
    for ttft in [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 1000]:
        _log(0.1, ttft_ms=ttft)
    page = admin_client.get("/admin/?window=1h").content.decode()
    label = next(label for label in _charts(page) if "Time to first token" in label)
    assert "per 5 minutes over the last 1h" in label and "p50 ranges 60 to 60 ms" in label
    # p95 = 100 + (1000 - 100) * 0.5 = 550, shown in the point's title.
    assert re.search(r"p95: 550 ms</title>", page)


def test_usage_bars_show_the_most_used_token_first(admin_client: Client) -> None:
    for alias, used in [("light", 50), ("heavy", 480), ("middle", 250)]:
        token = add_token(alias)
        token.usage_used, token.usage_limit = used, 500
        token.save()
    page = admin_client.get("/admin/").content.decode()
    label = next(label for label in _charts(page) if label.startswith("Usage against plan limit"))
    assert label.endswith("heavy 96%, middle 50%, light 10%")


def test_window_selector_and_branding(admin_client: Client) -> None:
    _log(3)
    _log(90)  # in the last day, not in the last hour
    page = admin_client.get("/admin/?window=1h").content.decode()
    assert _stat(page, "requests") == 1
    assert 'href="?window=1h" class="current"' in page
    assert _stat(admin_client.get("/admin/?window=7d").content.decode(), "requests") == 2
    assert _stat(admin_client.get("/admin/?window=bogus").content.decode(), "requests") == 2  # 24h
    assert "<title>Dashboard | cursorapi</title>" in page
    assert "Django administration" not in page and "cursorapi 0.1.0" in page


def test_every_app_and_model_has_a_proper_name(admin_client: Client) -> None:
    page = admin_client.get("/admin/").content.decode()
    for name in [
        "Proxies",
        "Copilot++",
        "Copilot++ affinities",
        "Request logs",
        "Chat sessions",
        "Runtime configuration",
        "API keys",
    ]:
        assert f">{name}<" in page, name
    assert "Proxys" not in page and ">Cpp<" not in page and "Chat logs" not in page


def test_the_dashboard_costs_a_fixed_number_of_queries(admin_client: Client) -> None:
    _pool()
    _log(1, ttft_ms=10)
    admin_client.get("/admin/")
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/admin/")
    for n in range(30):
        _log(n * 40, ttft_ms=n, model=f"m{n % 7}", status="failure" if n % 3 else "success")
        add_token(f"more-{n}").save()
    with CaptureQueriesContext(connection) as many:
        admin_client.get("/admin/")
    assert len(many.captured_queries) == len(few.captured_queries) <= 14


def test_log_list_columns_and_record_page(admin_client: Client, settings) -> None:
    key = ApiKey.objects.create(name="dana", prefix="sk-da", key_hash="d" * 64)
    log = _log(
        1,
        api_key=key,
        caller="key",
        ttft_ms=420,
        total_ms=2500,
        prompt_tokens=12,
        completion_tokens=34,
        prompt="[system] be brief\n\n[user] hi <b>there</b>",
        reply="Hello!",
    )
    Chain.objects.create(log=log, delays=[[5, 420.0], [7, 80.5], [3, 12.0]])
    listing = admin_client.get("/admin/chatlogs/chatlog/").content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', listing)
    assert headers == ["time", "key", "model_name", "dialect", "status_badge", "ttft", "duration", "tokens"]
    assert ">dana<" in listing and "420 ms" in listing and "2.5 s" in listing and "12 / 34" in listing
    record = admin_client.get(f"/admin/chatlogs/chatlog/{log.pk}/change/").content.decode()
    assert 'aria-label="Characters received over time: 15 characters in 3 frames over 512 ms"' in record
    assert "<strong>system</strong>" in record and "be brief" in record
    assert "hi &lt;b&gt;there&lt;/b&gt;" in record and "<strong>reply</strong>" in record


def test_token_list_shows_usage_bar_and_why_a_token_rests(admin_client: Client) -> None:
    _pool()
    token = add_token("metered")
    token.usage_used, token.usage_limit = 450, 500
    token.save()
    page = admin_client.get("/admin/tokens/token/").content.decode()
    assert 'title="90%"' in page and "450 / 500" in page
    assert re.search(r"Resting until \d\d:\d\d:\d\d \(Cursor failing\)", page)
    assert '<td class="field-rest">rate limited by Cursor</td>' in page


def test_billed_cents_rank_models_and_keys_and_show_in_the_log_list(admin_client: Client) -> None:
    from chatlogs import rollups
    from chatlogs.models import BilledUsage

    key = ApiKey.objects.create(name="spender", prefix="sk-sp", key_hash="s" * 64)
    cheap = _log(150, model="cheap-model", api_key=key, caller="key", prompt_tokens=10, completion_tokens=5)
    dear = _log(5, model="dear-model", prompt_tokens=10, completion_tokens=5)
    for log, cents in [(cheap, 0.5), (dear, 12.25)]:
        BilledUsage.objects.create(
            log=log, api_key=log.api_key, log_created_at=log.created_at, input=100, output=50, cents=cents
        )
    for rolled in (False, True):
        if rolled:
            rollups.refresh()  # the older record now comes from the roll-ups, the newer from the log
        page = admin_client.get("/admin/").content.decode()
        assert re.search(
            r'id="top-models-cents">.*?<td>dear-model</td><td>12.25</td>.*?<td>cheap-model</td><td>0.50',
            page,
            re.S,
        )
        assert re.search(
            r'id="top-keys-cents">.*?<td>\(unknown\)</td><td>12.25</td>.*?<td>spender</td><td>0.50',
            page,
            re.S,
        )
    listing = admin_client.get("/admin/chatlogs/chatlog/").content.decode()
    assert "(100 / 50, 12.25¢)" in listing
