"""The chat log's writer thread: many requests' records per transaction, and none lost to a bad one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chatlogs import writer
from chatlogs.models import ChatLog
from chatlogs.services import Outcome

pytestmark = pytest.mark.django_db(transaction=True)


def _fields(request_id: str, **extra) -> dict:
    return dict(created_at=timezone.now(), request_id=request_id, dialect="openai", model="m", **extra)


def test_a_batch_is_one_insert_and_one_update_whatever_its_size() -> None:
    entries = [writer.Entry(_fields(f"r{i}")) for i in range(20)]
    ends = [writer._Finish(e, Outcome(status="success", http_status=200, delays=[[3, 1.5]])) for e in entries]
    with CaptureQueriesContext(connection) as ctx:
        writer._write([*entries, *ends])
    sql = [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("BEGIN", "SAVE", "RELEASE", "COMMIT"))
    ]
    # the starts, the outcomes (one executemany), which records still exist, their chains
    assert [s.split()[0] for s in sql] == ["INSERT", "20", "SELECT", "20"]
    assert sql[1].startswith("20 times: UPDATE") and sql[3].startswith("20 times: INSERT")
    assert ChatLog.objects.filter(status="success").count() == 20
    assert all(row.chain.delays == [[3, 1.5]] for row in ChatLog.objects.all())


def test_records_queued_by_requests_reach_the_database() -> None:
    entries = [writer.begin(**_fields(f"q{i}")) for i in range(5)]
    done = [writer.end(e, Outcome(status="failure", http_status=502, error="x" * 900)) for e in entries]
    for future in done:
        assert future.result(5) is None
    rows = ChatLog.objects.order_by("id")
    assert [r.request_id for r in rows] == [f"q{i}" for i in range(5)]
    assert {len(r.error) for r in rows} == {500}  # cut to the column's size, not refused


def test_a_bad_record_does_not_cost_the_others_theirs() -> None:
    good = writer.begin(**_fields("good-1"))
    bad = writer.begin(**_fields("bad", api_key_id=987654))  # no such key: refused at commit
    other = writer.begin(**_fields("good-2"))
    ends = [writer.end(e, Outcome(status="success", http_status=200)) for e in (good, bad, other)]
    assert ends[0].result(5) is None and ends[2].result(5) is None
    with pytest.raises(RuntimeError):
        ends[1].result(5)
    assert sorted(ChatLog.objects.values_list("request_id", "status")) == [
        ("good-1", "success"),
        ("good-2", "success"),
    ]


def test_an_outcome_for_a_record_removed_meanwhile_is_dropped_quietly() -> None:
    entry = writer.begin(**_fields("gone"))
    writer.flush()
    ChatLog.objects.filter(pk=entry.pk).delete()  # retention got there first
    end = writer.end(entry, Outcome(status="success", http_status=200, delays=[[1, 2.0]]))
    assert end.result(5) is None
    assert not ChatLog.objects.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="thread priorities are set per thread on Linux only")
def test_the_writer_yields_the_cpu_to_requests() -> None:
    """At the default priority the writer took its turns in the middle of the streams it logs."""
    writer.flush()
    entry = writer.begin(**_fields("nice"))
    writer.flush()
    assert entry.pk is not None
    thread = writer._thread
    assert thread is not None and thread.native_id is not None
    stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
    assert int(stat.rsplit(")", 1)[1].split()[16]) == 19  # field 19 of stat: the nice value
