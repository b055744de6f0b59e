"""What our endpoints send: the doc's camelCase JSON, the doc's CSV columns, equal content, streaming."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import AsyncClient, Client

from analytics import reading

from .conftest import TOKEN, ago, at, make_change, make_commit

pytestmark = pytest.mark.django_db

COMMIT_COLUMNS = (
    "commit_hash,user_id,user_email,repo_name,branch_name,is_primary_branch,total_lines_added,"
    "total_lines_deleted,tab_lines_added,tab_lines_deleted,composer_lines_added,composer_lines_deleted,"
    "non_ai_lines_added,non_ai_lines_deleted,message,commit_ts,created_at"
)
CHANGE_COLUMNS = (
    "change_id,user_id,user_email,source,model,total_lines_added,total_lines_deleted,created_at,metadata_json"
)
NASTY_MESSAGES = [
    "plain",
    "a, comma",
    'say "hi"',
    "line one\nline two",
    "crlf\r\nbreak",
    'all, of "them"\n\r\nhere',
    "unicode \u2028 separator and é",
    "",
]


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def all_json_items(api: Client, url: str, page_size: int = 3, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = api.get(url, {**params, "page": str(page), "pageSize": str(page_size)}).json()
        items += body["items"]
        if page * page_size >= body["totalCount"]:
            return items
        page += 1


def test_commit_json_has_every_field_of_the_doc(api: Client) -> None:
    make_commit(
        commit_hash="a1b2c3d4",
        user_id="user_3k9x8q",
        user_email="developer@company.com",
        repo_name="company/repo",
        branch_name="main",
        is_primary_branch=True,
        total_lines_added=120,
        total_lines_deleted=30,
        tab_lines_added=50,
        tab_lines_deleted=10,
        composer_lines_added=40,
        composer_lines_deleted=5,
        non_ai_lines_added=30,
        non_ai_lines_deleted=15,
        message="Refactor: extract analytics client",
        commit_ts=at("2025-07-30T14:12:03"),
        created_at=at("2025-07-30T14:12:30"),
    )
    body = api.get("/analytics/ai-code/commits", {"startDate": "2025-07-30", "endDate": "2025-07-30"}).json()
    assert body == {
        "items": [
            {
                "commitHash": "a1b2c3d4",
                "userId": "user_3k9x8q",
                "userEmail": "developer@company.com",
                "repoName": "company/repo",
                "branchName": "main",
                "isPrimaryBranch": True,
                "totalLinesAdded": 120,
                "totalLinesDeleted": 30,
                "tabLinesAdded": 50,
                "tabLinesDeleted": 10,
                "composerLinesAdded": 40,
                "composerLinesDeleted": 5,
                "nonAiLinesAdded": 30,
                "nonAiLinesDeleted": 15,
                "message": "Refactor: extract analytics client",
                "commitTs": "2025-07-30T14:12:03.000Z",
                "createdAt": "2025-07-30T14:12:30.000Z",
            }
        ],
        "totalCount": 1,
        "page": 1,
        "pageSize": 100,
    }


def test_unknowns_stay_null(api: Client) -> None:
    make_commit(
        repo_name=None,
        branch_name=None,
        is_primary_branch=None,
        non_ai_lines_added=None,
        non_ai_lines_deleted=None,
        message=None,
        commit_ts=None,
    )
    make_change(model=None, metadata=[{"fileExtension": "ts", "linesAdded": 1, "linesDeleted": 0}])
    item = api.get("/analytics/ai-code/commits").json()["items"][0]
    for name in (
        "repoName",
        "branchName",
        "isPrimaryBranch",
        "nonAiLinesAdded",
        "nonAiLinesDeleted",
        "message",
    ):
        assert item[name] is None
    assert item["commitTs"] is None
    change = api.get("/analytics/ai-code/changes").json()["items"][0]
    assert change["model"] is None
    assert change["metadata"] == [{"fileExtension": "ts", "linesAdded": 1, "linesDeleted": 0}]  # no fileName


def test_change_json_and_csv_match_the_doc(api: Client) -> None:
    metadata = [
        {"fileName": "src/analytics/report.ts", "fileExtension": "ts", "linesAdded": 12, "linesDeleted": 3},
        {"fileName": "src/analytics/ui.tsx", "fileExtension": "tsx", "linesAdded": 6, "linesDeleted": 1},
    ]
    make_change(
        change_id="749356201",
        user_id="user_3k9x8q",
        user_email="developer@company.com",
        source="COMPOSER",
        model="gpt-4o",
        total_lines_added=18,
        total_lines_deleted=4,
        created_at=at("2025-07-30T15:10:12"),
        metadata=metadata,
    )
    params = {"startDate": "2025-07-30", "endDate": "2025-07-30"}
    item = api.get("/analytics/ai-code/changes", params).json()["items"][0]
    assert item == {
        "changeId": "749356201",
        "userId": "user_3k9x8q",
        "userEmail": "developer@company.com",
        "source": "COMPOSER",
        "model": "gpt-4o",
        "totalLinesAdded": 18,
        "totalLinesDeleted": 4,
        "createdAt": "2025-07-30T15:10:12.000Z",
        "metadata": metadata,
    }
    text = b"".join(api.get("/analytics/ai-code/changes.csv", params).streaming_content).decode()
    assert text == (
        CHANGE_COLUMNS + "\r\n"
        "749356201,user_3k9x8q,developer@company.com,COMPOSER,gpt-4o,18,4,2025-07-30T15:10:12.000Z,"
        '"[{""fileName"":""src/analytics/report.ts"",""fileExtension"":""ts"",""linesAdded"":12,'
        '""linesDeleted"":3},{""fileName"":""src/analytics/ui.tsx"",""fileExtension"":""tsx"",'
        '""linesAdded"":6,""linesDeleted"":1}]"\r\n'
    )


def test_commit_csv_header_and_empty_export(api: Client) -> None:
    response = api.get("/analytics/ai-code/commits.csv")
    assert response.streaming
    assert b"".join(response.streaming_content).decode() == COMMIT_COLUMNS + "\r\n"


def test_csv_quotes_commas_quotes_and_line_breaks(api: Client) -> None:
    for n, message in enumerate(NASTY_MESSAGES):
        make_commit(message=message, created_at=ago(minutes=n + 1))
    rows = csv_rows(api.get("/analytics/ai-code/commits.csv"))
    assert [r["message"] for r in rows] == NASTY_MESSAGES
    raw = b"".join(api.get("/analytics/ai-code/commits.csv").streaming_content).decode()
    assert ',"a, comma",' in raw
    assert ',"say ""hi""",' in raw
    assert ',"line one\nline two",' in raw


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def test_csv_neutralises_spreadsheet_formulas(api: Client) -> None:
    for n, text in enumerate(FORMULAS):
        make_commit(message=text, branch_name=text, created_at=ago(minutes=n + 1))
    rows = csv_rows(api.get("/analytics/ai-code/commits.csv"))
    assert [r["message"] for r in rows] == ["'" + text for text in FORMULAS]
    assert [r["branch_name"] for r in rows] == ["'" + text for text in FORMULAS]
    # Numbers are not text: a count stays a number.
    assert all(r["total_lines_added"].lstrip("-").isdigit() for r in rows)


def _csv_to_json_shape(row: dict[str, str], json_item: dict[str, Any]) -> dict[str, Any]:
    """A CSV row read back with the JSON item's names and types, for comparison."""
    out: dict[str, Any] = {}
    for key, value in json_item.items():
        snake = "".join("_" + c.lower() if c.isupper() else c for c in key)
        cell = row["metadata_json" if key == "metadata" else snake]
        if key == "metadata":
            out[key] = json.loads(cell)
        elif isinstance(value, bool):
            out[key] = cell == "true"
        elif isinstance(value, int):
            out[key] = int(cell)
        else:
            out[key] = cell if cell != "" else None
    return out


@pytest.mark.parametrize("name", ["commits", "changes"])
def test_json_and_csv_carry_the_same_content(api: Client, name: str) -> None:
    for n in range(11):
        if name == "commits":
            make_commit(message=NASTY_MESSAGES[n % len(NASTY_MESSAGES)] or "x", created_at=ago(minutes=n + 1))
        else:
            make_change(source="COMPOSER" if n % 2 else "TAB", model="gpt-4o" if n % 2 else None)
    make_commit(created_at=ago(days=30))  # outside both
    url = f"/analytics/ai-code/{name}"
    items = all_json_items(api, url, startDate="7d")
    rows = csv_rows(api.get(url + ".csv", {"startDate": "7d"}))
    assert len(items) == len(rows) == 11
    assert [_csv_to_json_shape(r, i) for r, i in zip(rows, items, strict=True)] == items


def test_csv_is_sent_in_chunks_with_every_row_once(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "CSV_CHUNK_ROWS", 7)
    same_time = ago(minutes=5)
    made = {make_commit(created_at=same_time if n % 3 else ago(minutes=n)).commit_hash for n in range(30)}
    response = api.get("/analytics/ai-code/commits.csv")
    chunks = list(response.streaming_content)
    assert len(chunks) >= 5  # header + ceil(30 / 7) row chunks: never all rows at once
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode(), newline="")))
    assert sorted(r["commit_hash"] for r in rows) == sorted(made)


@pytest.mark.django_db(transaction=True)
async def test_asgi_streams_asynchronously(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from asgiref.sync import sync_to_async

    settings.AUTH_TOKEN = TOKEN
    monkeypatch.setattr(reading, "CSV_CHUNK_ROWS", 4)
    await sync_to_async(lambda: [make_change(created_at=ago(minutes=n + 1)) for n in range(10)])()
    response = await AsyncClient().get(
        "/analytics/ai-code/changes.csv", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200
    assert response.is_async  # a sync iterator here would be read whole into memory by Django
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) == 4  # header + 4 + 4 + 2
    assert b"".join(chunks).decode().count("\r\n") == 11


def test_each_csv_chunk_query_has_one_upper_bound(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two upper bounds on created_at let SQLite range-scan from the newest row for every chunk."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(reading, "CSV_CHUNK_ROWS", 3)
    for n in range(8):
        make_change(created_at=ago(minutes=n + 1))
    with CaptureQueriesContext(connection) as queries:
        b"".join(api.get("/analytics/ai-code/changes.csv").streaming_content)
    chunk_queries = [q["sql"] for q in queries.captured_queries if "analytics_aichange" in q["sql"]]
    assert len(chunk_queries) == 3
    assert all(sql.count('"created_at" <=') == 1 for sql in chunk_queries)
