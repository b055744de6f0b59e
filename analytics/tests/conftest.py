"""Fixtures for the analytics tests: rows in our tables, an authorized client, a fast fake Admin API."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from analytics.models import AiChange, AiCommit
from cursorapi.upstream.fake.admin_api import AdminApi
from cursorapi.upstream.fake.app import FakeCursor

TOKEN = "analytics-admin-token"
_numbers = itertools.count(1)


@pytest.fixture
def api(settings: Any) -> Client:
    """A test client that sends the admin token."""
    settings.AUTH_TOKEN = TOKEN
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


@pytest.fixture
def admin_api(fake: FakeCursor, settings: Any) -> AdminApi:
    """The fake's Admin API with a 0.2 s rate window, and our settings pointed at it."""
    fake.admin_api.window_seconds = 0.2
    settings.CURSOR_ADMIN_API_KEY = fake.admin_api.api_key
    settings.ANALYTICS_RATE_WINDOW = 0.2
    settings.ANALYTICS_RATE_LIMIT = 5
    return fake.admin_api


def ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


def make_commit(**fields: Any) -> AiCommit:
    n = next(_numbers)
    values: dict[str, Any] = {
        "commit_hash": f"{n:040x}",
        "user_id": "user_ada",
        "user_email": "ada@acme.test",
        "repo_name": "acme/web",
        "branch_name": "main",
        "is_primary_branch": True,
        "total_lines_added": 100,
        "total_lines_deleted": 10,
        "tab_lines_added": 20,
        "tab_lines_deleted": 2,
        "composer_lines_added": 30,
        "composer_lines_deleted": 3,
        "non_ai_lines_added": 50,
        "non_ai_lines_deleted": 5,
        "message": f"commit {n}",
        "commit_ts": ago(hours=1, minutes=n % 50),
        "created_at": ago(hours=1),
    }
    values.update(fields)
    return AiCommit.objects.create(**values)


def make_change(**fields: Any) -> AiChange:
    n = next(_numbers)
    values: dict[str, Any] = {
        "change_id": str(100_000 + n),
        "user_id": "user_ada",
        "user_email": "ada@acme.test",
        "source": "TAB",
        "model": None,
        "total_lines_added": 5,
        "total_lines_deleted": 1,
        "created_at": ago(hours=1),
        "metadata": [{"fileName": "src/a.ts", "fileExtension": "ts", "linesAdded": 5, "linesDeleted": 1}],
    }
    values.update(fields)
    return AiChange.objects.create(**values)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
