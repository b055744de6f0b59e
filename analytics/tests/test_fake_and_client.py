"""The fake Admin API behaves like the doc says, and our client reads it (JSON and CSV) faithfully."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest
from django.conf import settings

from analytics.client import CHANGES, COMMITS, AdminApiClient, AdminApiError
from cursorapi.upstream.fake.admin_api import AdminApi


def get(path: str, auth: tuple[str, str] | None, **params: Any) -> httpx.Response:
    return httpx.get(settings.CURSOR_UPSTREAM + path, params=params, auth=auth, timeout=10)


def test_basic_auth_is_checked(admin_api: AdminApi) -> None:
    missing = get(COMMITS, None)
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Basic")
    assert get(COMMITS, ("wrong", "")).status_code == 401
    assert get(COMMITS, (admin_api.api_key, "")).status_code == 200


def test_unknown_paths_methods_and_bad_params(admin_api: AdminApi) -> None:
    auth = (admin_api.api_key, "")
    assert get("/analytics/ai-code/nothing", auth).status_code == 404
    assert httpx.post(settings.CURSOR_UPSTREAM + COMMITS, auth=auth).status_code == 405
    for params in ({"pageSize": "1001"}, {"page": "0"}, {"startDate": "later"}, {"user": "x"}):
        assert get(CHANGES, auth, **params).status_code == 400


def test_the_fake_answers_429_with_retry_after_per_endpoint(admin_api: AdminApi) -> None:
    admin_api.window_seconds = 30.0
    auth = (admin_api.api_key, "")
    assert [get(COMMITS, auth).status_code for _ in range(6)] == [200] * 5 + [429]
    refused = get(COMMITS, auth)
    assert refused.status_code == 429 and 28 <= int(refused.headers["retry-after"]) <= 30
    assert get(CHANGES, auth).status_code == 200  # a separate budget
    assert get(COMMITS + ".csv", auth).status_code == 200


def test_generated_data_is_consistent(admin_api: AdminApi) -> None:
    assert len(admin_api.commits) == 2000 and len(admin_api.changes) == 3000
    for c in admin_api.commits:
        if c["nonAiLinesAdded"] is not None:
            assert c["nonAiLinesAdded"] == max(
                0, c["totalLinesAdded"] - c["tabLinesAdded"] - c["composerLinesAdded"]
            )
        assert (c["repoName"] is None) == (c["isPrimaryBranch"] is None)
    privacy = admin_api.user(2)["userEmail"]
    for ch in admin_api.changes:
        assert ch["totalLinesAdded"] == sum(f["linesAdded"] for f in ch["metadata"])
        assert all(("fileName" in f) != (ch["userEmail"] == privacy) for f in ch["metadata"])
    dates = [c["createdAt"] for c in admin_api.commits]
    assert dates == sorted(dates, reverse=True)


def test_json_pages_and_csv_of_the_fake_agree(admin_api: AdminApi) -> None:
    auth = (admin_api.api_key, "")
    page = get(CHANGES, auth, startDate="365d", pageSize="1000").json()
    assert page["totalCount"] == 3000 and len(page["items"]) == 1000
    response = get(CHANGES + ".csv", auth, startDate="365d")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert len(rows) == 3000
    first = rows[0]
    assert first["change_id"] == page["items"][0]["changeId"]
    assert json.loads(first["metadata_json"]) == page["items"][0]["metadata"]


def test_the_client_reads_json_pages(admin_api: AdminApi) -> None:
    with AdminApiClient(admin_api.api_key, upstream=settings.CURSOR_UPSTREAM, window=0.2) as client:
        page = client.commits(startDate="365d", page=2, pageSize=300)
    assert (page.total_count, page.page, page.page_size) == (2000, 2, 300)
    assert page.items == admin_api.commits[300:600]


def test_the_client_streams_csv_records_with_awkward_messages(admin_api: AdminApi) -> None:
    admin_api.commit_count = 50
    nasty = admin_api.add_commit(message='a, "b"\r\nc\n\u2028d é')
    with AdminApiClient(admin_api.api_key, upstream=settings.CURSOR_UPSTREAM, window=0.2) as client:
        rows = list(client.csv_rows(COMMITS, {"startDate": "365d"}))
    assert len(rows) == 51
    assert next(r for r in rows if r["commit_hash"] == nasty["commitHash"])["message"] == nasty["message"]


def test_csv_split_anywhere_across_chunks_reads_the_same() -> None:
    text = 'a,b\r\n1,"x\r\ny, ""q"" é"\r\n2,plain\u2028not a break\r\n'
    data = text.encode()

    def handler(request: httpx.Request) -> httpx.Response:
        # One byte per chunk: line breaks and UTF-8 sequences cut in every possible place.
        return httpx.Response(200, stream=httpx.ByteStream(data), headers={"content-type": "text/csv"})

    class OneByteStream(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            for i in range(len(data)):
                yield data[i : i + 1]

    def byte_handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=OneByteStream(), headers={"content-type": "text/csv"})

    for h in (handler, byte_handler):
        client = AdminApiClient("k", transport=httpx.MockTransport(h), sleep=lambda s: None)
        rows = list(client.csv_rows(COMMITS, {}))
        assert rows == [{"a": "1", "b": 'x\r\ny, "q" é'}, {"a": "2", "b": "plain\u2028not a break"}]


def test_errors_name_the_status_but_never_the_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("changes"):
            return httpx.Response(500, text="boom " * 200)
        return httpx.Response(403, text="nope")

    client = AdminApiClient("sk-top-secret", transport=httpx.MockTransport(handler), sleep=lambda s: None)
    with pytest.raises(AdminApiError) as forbidden:
        client.commits()
    assert forbidden.value.status == 403 and "sk-top-secret" not in str(forbidden.value)
    with pytest.raises(AdminApiError) as failed:
        client.changes()
    assert failed.value.status == 500 and len(str(failed.value)) < 400


def test_without_an_upstream_the_real_host_is_called() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "totalCount": 0, "page": 1, "pageSize": 100})

    AdminApiClient("key", transport=httpx.MockTransport(handler)).commits(startDate="7d")
    assert str(seen[0].url) == "https://api.cursor.com/analytics/ai-code/commits?startDate=7d"
    assert seen[0].headers["authorization"] == "Basic a2V5Og=="  # "key:" - the key is the user name
