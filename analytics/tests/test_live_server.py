"""The endpoints under Daphne, as deployed: JSON from the shared pool, CSV streamed asynchronously."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.fixtures import AUTH

from .conftest import ago, make_change


@pytest.mark.django_db(transaction=True)
def test_json_and_csv_over_a_real_socket(live: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from analytics import reading

    monkeypatch.setattr(reading, "CSV_CHUNK_ROWS", 5)
    made = [make_change(created_at=ago(minutes=n + 1), model=f'm, "{n}"\n') for n in range(12)]
    headers = {"Authorization": f"Bearer {AUTH}"}
    page = httpx.get(f"{live.url}/analytics/ai-code/changes", params={"pageSize": 5}, headers=headers).json()
    assert page["totalCount"] == 12
    assert [i["changeId"] for i in page["items"]] == [c.change_id for c in made[:5]]
    with httpx.stream("GET", f"{live.url}/analytics/ai-code/changes.csv", headers=headers) as response:
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "content-length" not in response.headers  # streamed, not buffered
        text = response.read().decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["change_id"], r["model"]) for r in rows] == [(c.change_id, c.model) for c in made]
    assert httpx.get(f"{live.url}/analytics/ai-code/changes.csv").status_code == 401
