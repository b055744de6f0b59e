"""The admin in headless Chromium, from our running server: the dashboard, the token list and a log
record show what the database holds. Screenshots go to data/screenshots/ for review (not committed).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from chatlogs.models import Chain, ChatLog
from tests.fixtures import add_token
from tokens.models import Health, Token
from tokens.tests import chromium

SHOTS = Path(settings.BASE_DIR) / "data" / "screenshots"


def _cookie() -> list[dict[str, str]]:
    admin = get_user_model().objects.create_superuser("lead", "lead@example.test", "pw")
    client = Client()
    client.force_login(admin)
    return [
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    ]


def _figures(text: str) -> dict[str, int]:
    """The dashboard's stat boxes as innerText shows them: a number, then its label."""
    return {label: int(number) for number, label in re.findall(r"^(\d+)\n(\w+)$", text, re.MULTILINE)}


def test_dashboard_token_list_and_log_record_in_a_browser(live) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for n in range(3):
        token = add_token(f"pool-{n}")
        token.usage_used, token.usage_limit = 100 * (n + 1), 500
        token.save()
    Token.objects.filter(alias="pool-2").update(
        health=Health.COOLING, cooldown_until=timezone.now() + timedelta(minutes=3), last_error="rate limited"
    )
    now = timezone.now()
    for n in range(12):
        ChatLog.objects.create(
            created_at=now - timedelta(minutes=7 * n),
            request_id=f"req-{n}",
            dialect="anthropic" if n % 3 else "openai",
            model="claude-4.5-sonnet",
            status="failure" if n % 4 == 0 else "success",
            http_status=502 if n % 4 == 0 else 200,
            error="upstream: internal" if n % 4 == 0 else "",
            ttft_ms=100 + 10 * n,
            total_ms=900,
            prompt_tokens=10,
            completion_tokens=20,
        )
    record = ChatLog.objects.get(request_id="req-1")
    Chain.objects.create(log=record, delays=[[4, 110.0], [9, 30.0], [2, 15.0]])
    cookies = _cookie()

    with chromium.launch() as browser:
        text, session = browser.visit(
            f"{live.url}/admin/", cookies, "Last failures", screenshot=SHOTS / "dashboard.png"
        )
        figures = _figures(text)
        usable = Token.objects.usable().count()
        assert figures["usable"] == usable == 2 and figures["resting"] == 1
        assert figures["requests"] == ChatLog.objects.count() == 12
        assert figures["failed"] == ChatLog.objects.filter(status="failure").count() == 3
        labels = json.loads(
            browser.evaluate(
                session,
                "JSON.stringify([...document.querySelectorAll('svg[role=img]')]"
                ".map(s => s.getAttribute('aria-label')))",
            )
        )
        assert len(labels) == 4 and all(labels)
        # Nothing on the page comes from another server.
        outside = browser.evaluate(
            session,
            "[...document.querySelectorAll('script[src],link[href],img[src]')]"
            ".map(e => e.src || e.href).filter(u => !u.startsWith(location.origin)).join(' ')",
        )
        assert outside == ""

        text, _ = browser.visit(
            f"{live.url}/admin/tokens/token/", cookies, "pool-2", screenshot=SHOTS / "tokens.png"
        )
        assert "until" in text and "rate limited" in text and "300 / 500" in text

        text, session = browser.visit(
            f"{live.url}/admin/chatlogs/chatlog/", cookies, "req", screenshot=SHOTS / "logs.png"
        )
        # The list fits a 1366 px screen: no horizontal scrolling.
        assert int(browser.evaluate(session, "document.documentElement.scrollWidth")) <= 1366
        assert "TTFT" in text and "10 / 20" in text

        text, session = browser.visit(
            f"{live.url}/admin/chatlogs/chatlog/{record.pk}/change/",
            cookies,
            "Characters over time",
            screenshot=SHOTS / "log-record.png",
        )
        label = browser.evaluate(
            session, "document.querySelector('svg[role=img]').getAttribute('aria-label')"
        )
        assert label == "Characters received over time: 15 characters in 3 frames over 155 ms"
        # Chart text takes the theme's colours (not SVG's default black) and follows a switch to dark.
        fill = "getComputedStyle(document.querySelector('svg[role=img] text')).fill"
        light = browser.evaluate(session, fill)
        browser.evaluate(session, "document.documentElement.dataset.theme = 'dark'")
        dark = browser.evaluate(session, fill)
        assert "rgb(0, 0, 0)" not in (light, dark) and dark != light
    assert (SHOTS / "dashboard.png").stat().st_size > 10_000
