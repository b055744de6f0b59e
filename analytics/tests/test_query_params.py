"""Each query parameter of our /analytics/ai-code endpoints, good and bad, through HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from analytics.models import AiCodeUser

from .conftest import ago, at, make_change, make_commit

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/analytics/ai-code/commits",
    "/analytics/ai-code/commits.csv",
    "/analytics/ai-code/changes",
    "/analytics/ai-code/changes.csv",
]


def hashes(api: Client, **params: Any) -> list[str]:
    body = api.get("/analytics/ai-code/commits", params).json()
    return [item["commitHash"] for item in body["items"]]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_needs_the_admin_token(client: Client, settings: Any, url: str) -> None:
    settings.AUTH_TOKEN = "right"
    assert client.get(url).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer right").status_code == 200


def test_no_token_configured_means_nobody_reads(client: Client, settings: Any) -> None:
    settings.AUTH_TOKEN = ""
    assert client.get(ENDPOINTS[0], HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_only_get(api: Client) -> None:
    assert api.post(ENDPOINTS[0]).status_code == 405


def test_default_range_is_the_last_seven_days(api: Client) -> None:
    recent = make_commit(created_at=ago(days=6, hours=23))
    make_commit(created_at=ago(days=7, hours=1))
    assert hashes(api) == [recent.commit_hash]


def test_relative_days_and_now(api: Client) -> None:
    old = make_commit(created_at=ago(days=20))
    mid = make_commit(created_at=ago(days=10))
    assert hashes(api, startDate="30d", endDate="now") == [mid.commit_hash, old.commit_hash]
    assert hashes(api, startDate="30d", endDate="15d") == [old.commit_hash]
    assert hashes(api, startDate="0d") == []


def test_iso_dates_and_datetimes(api: Client) -> None:
    june1 = make_commit(created_at=at("2025-06-01T00:00:00"))
    june30_late = make_commit(created_at=at("2025-06-30T23:59:59.500"))
    july1 = make_commit(created_at=at("2025-07-01T00:00:00"))
    # A bare end date includes that whole day.
    assert hashes(api, startDate="2025-06-01", endDate="2025-06-30") == [
        june30_late.commit_hash,
        june1.commit_hash,
    ]
    assert hashes(api, startDate="2025-06-01T00:00:01Z", endDate="2025-07-01T00:00:00Z") == [
        july1.commit_hash,
        june30_late.commit_hash,
    ]
    # Offsets are honoured: 02:00+02:00 is midnight UTC.
    assert hashes(api, startDate="2025-07-01T02:00:00+02:00", endDate="2025-07-02") == [july1.commit_hash]


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"startDate": "yesterday"}, "startDate"),
        ({"startDate": "7w"}, "startDate"),
        ({"startDate": "-7d"}, "startDate"),
        ({"startDate": "2025-13-01"}, "startDate"),
        ({"endDate": "2025-02-30"}, "endDate"),
        ({"endDate": "soon"}, "endDate"),
        ({"startDate": "2025-07-02", "endDate": "2025-07-01"}, "startDate"),
        ({"startDate": "99999999d"}, "startDate"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "1001"}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"user": "not an email"}, "user"),
        ({"user": "user_"}, "user"),
        ({"user": "a@b@c"}, "user"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    api: Client, url: str, params: dict[str, str], param: str
) -> None:
    response = api.get(url, params)
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == param
    assert param in body["error"]


def test_paging(api: Client) -> None:
    rows = [make_commit(created_at=ago(minutes=n)) for n in range(1, 8)]  # newest first
    first = api.get("/analytics/ai-code/commits", {"pageSize": "3"}).json()
    assert (first["totalCount"], first["page"], first["pageSize"]) == (7, 1, 3)
    assert [i["commitHash"] for i in first["items"]] == [r.commit_hash for r in rows[:3]]
    third = api.get("/analytics/ai-code/commits", {"pageSize": "3", "page": "3"}).json()
    assert [i["commitHash"] for i in third["items"]] == [rows[6].commit_hash]
    beyond = api.get("/analytics/ai-code/commits", {"pageSize": "3", "page": "9"}).json()
    assert beyond["items"] == [] and beyond["totalCount"] == 7


def test_page_size_defaults_to_100_and_allows_1000(api: Client) -> None:
    for n in range(101):
        make_change(created_at=ago(minutes=n + 1))
    default = api.get("/analytics/ai-code/changes").json()
    assert (len(default["items"]), default["pageSize"], default["totalCount"]) == (100, 100, 101)
    assert len(api.get("/analytics/ai-code/changes", {"pageSize": "1000"}).json()["items"]) == 101


def test_empty_values_count_as_not_given(api: Client) -> None:
    recent = make_commit(created_at=ago(days=1))
    assert hashes(api, startDate="", endDate="", page="", pageSize="", user="") == [recent.commit_hash]


def test_user_as_email_encoded_id_or_numeric_id(api: Client) -> None:
    ada = make_commit(user_id="user_ada", user_email="ada@acme.test")
    bob = make_commit(user_id="user_bob", user_email="bob@acme.test")
    AiCodeUser.objects.create(user_id="user_bob", email="bob@acme.test", numeric_id=42)
    assert hashes(api, user="ada@acme.test") == [ada.commit_hash]
    assert hashes(api, user="user_bob") == [bob.commit_hash]
    assert hashes(api, user="42") == [bob.commit_hash]
    assert hashes(api, user="43") == []  # a well-formed id we do not know: nothing, not an error
    change = make_change(user_id="user_bob", user_email="bob@acme.test")
    make_change()
    body = api.get("/analytics/ai-code/changes", {"user": "42"}).json()
    assert [i["changeId"] for i in body["items"]] == [change.change_id]


def test_csv_honours_the_range_and_user(api: Client) -> None:
    keep = make_change(user_email="bob@acme.test", user_id="user_bob", created_at=ago(days=3))
    make_change(user_email="bob@acme.test", user_id="user_bob", created_at=ago(days=10))
    make_change(created_at=ago(days=3))
    response = api.get("/analytics/ai-code/changes.csv", {"user": "bob@acme.test", "startDate": "5d"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(keep.change_id + ",")
