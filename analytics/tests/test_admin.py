"""Admin lists (filters, cheap counts, no N+1) and the AI-share summary per user and repo."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from analytics import admin as analytics_admin
from analytics.models import AiCodeUser

from .conftest import ago, make_change, make_commit

pytestmark = pytest.mark.django_db

COMMITS = "/admin/analytics/aicommit/"
CHANGES = "/admin/analytics/aichange/"
SUMMARY = "/admin/analytics/aicommit/summary/"


def rows_in(html: str) -> int:
    return len(re.findall(r'<tr[^>]*>\s*<td class="action-checkbox">|<tr[^>]*>\s*<th class="field-', html))


def test_commit_list_filters_by_user_repo_branch_and_date(admin_client: Client) -> None:
    AiCodeUser.objects.create(user_id="user_ada", email="ada@acme.test")
    AiCodeUser.objects.create(user_id="user_bob", email="bob@acme.test")
    make_commit(repo_name="acme/web", branch_name="main")
    make_commit(repo_name="acme/api", branch_name="fix/x", user_id="user_bob", user_email="bob@acme.test")
    make_commit(repo_name=None, branch_name=None, is_primary_branch=None, created_at=ago(days=40))
    page = admin_client.get(COMMITS)
    assert page.status_code == 200
    html = page.content.decode()
    for choice in (
        "ada@acme.test",
        "bob@acme.test",
        "acme/web",
        "acme/api",
        "fix/x",
        "(unknown)",
        "AI share summary",
    ):
        assert choice in html
    assert rows_in(html) == 3
    assert rows_in(admin_client.get(COMMITS, {"user": "user_bob"}).content.decode()) == 1
    assert rows_in(admin_client.get(COMMITS, {"repo": "acme/api"}).content.decode()) == 1
    assert rows_in(admin_client.get(COMMITS, {"repo": "__none__"}).content.decode()) == 1
    assert rows_in(admin_client.get(COMMITS, {"branch": "main"}).content.decode()) == 1
    week = admin_client.get(COMMITS, {"created_at__gte": ago(days=7).isoformat()})
    assert rows_in(week.content.decode()) == 2


def test_change_list_filters_by_source_and_model(admin_client: Client) -> None:
    make_change(source="TAB")
    make_change(source="COMPOSER", model="gpt-4o")
    html = admin_client.get(CHANGES).content.decode()
    assert "gpt-4o" in html and rows_in(html) == 2
    assert rows_in(admin_client.get(CHANGES, {"source__exact": "COMPOSER"}).content.decode()) == 1
    assert rows_in(admin_client.get(CHANGES, {"ai_model": "gpt-4o"}).content.decode()) == 1


def test_list_queries_do_not_grow_with_rows(admin_client: Client, django_assert_max_num_queries: Any) -> None:
    for n in range(5):
        make_change(created_at=ago(minutes=n))
    admin_client.get(CHANGES)  # warm the session
    with django_assert_max_num_queries(12) as few:
        admin_client.get(CHANGES)
    for n in range(60):
        make_change(created_at=ago(minutes=10 + n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(CHANGES)


def test_counts_stop_at_the_cap(admin_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(analytics_admin, "COUNT_CAP", 5)
    for n in range(8):
        make_commit(created_at=ago(minutes=n))
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(COMMITS)
    assert page.context["cl"].result_count == 6  # "more than the cap", without counting the rest
    counts = [
        q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper() and "aicommit" in q["sql"]
    ]
    assert counts and all("LIMIT 6" in sql for sql in counts)


def test_summary_shows_ai_share_per_user_and_repo(admin_client: Client) -> None:
    make_commit(
        user_email="ada@acme.test",
        repo_name="acme/web",
        total_lines_added=100,
        tab_lines_added=20,
        composer_lines_added=30,
        non_ai_lines_added=50,
    )
    # Cursor left non-AI lines out: derived as max(0, total - AI).
    make_commit(
        user_email="ada@acme.test",
        repo_name="acme/api",
        total_lines_added=40,
        tab_lines_added=10,
        composer_lines_added=10,
        non_ai_lines_added=None,
    )
    make_commit(
        user_email="bob@acme.test",
        repo_name="acme/web",
        total_lines_added=10,
        tab_lines_added=0,
        composer_lines_added=0,
        non_ai_lines_added=10,
    )
    make_commit(user_email="old@acme.test", repo_name="acme/web", created_at=ago(days=100))
    page = admin_client.get(SUMMARY, {"start": "30d", "end": "now"})
    assert page.status_code == 200
    tables = dict(page.context["tables"])
    by_user = {r.key: r for r in tables["Per user"]}
    assert set(by_user) == {"ada@acme.test", "bob@acme.test"}
    ada = by_user["ada@acme.test"]
    assert (ada.commits, ada.tab, ada.composer, ada.non_ai) == (2, 30, 40, 70)
    assert (ada.tab_pct, ada.composer_pct, ada.non_ai_pct, ada.ai_pct) == (21.4, 28.6, 50.0, 50.0)
    by_repo = {r.key: r for r in tables["Per repo"]}
    assert by_repo["acme/web"].total == 110 and by_repo["acme/api"].total == 40
    html = page.content.decode()
    assert "share-bar" in html and 'style="width: 21.4%"' in html
    longer = admin_client.get(SUMMARY, {"start": "365d"})
    assert {r.key for r in dict(longer.context["tables"])["Per user"]} == {
        "ada@acme.test",
        "bob@acme.test",
        "old@acme.test",
    }


def test_summary_with_a_bad_period_says_so(admin_client: Client) -> None:
    page = admin_client.get(SUMMARY, {"start": "whenever"})
    assert page.status_code == 200
    assert "start: must be an ISO date" in page.content.decode()


def test_summary_needs_staff(client: Client) -> None:
    assert client.get(SUMMARY).status_code == 302
