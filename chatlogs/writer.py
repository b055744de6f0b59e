"""One thread per process writes the chat log: starts and outcomes queue up and go in batches.

Requests only queue their two writes (the record at the start, its outcome at the end) and never
wait for them. The thread takes what has queued up, writes it in one transaction (one multi-row
INSERT, one executemany UPDATE, in plain SQL), and runs at the lowest CPU priority so that on a
busy core the streams it logs come first. Measured with bench/run.py: see bench/RESULTS.md.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from typing import Any

from django.db import close_old_connections, connection, transaction

from cursorapi import priority, sqlite_guard
from cursorapi.dbwork import one_writer

from .models import Chain, ChatLog
from .services import Outcome

log = logging.getLogger(__name__)

MAX_BATCH = 500
# Outcome fields in the order of the UPDATE's placeholders; `delays` goes to the Chain table.
_OUTCOME_COLUMNS = [f.name for f in fields(Outcome) if f.name != "delays"]
_ERROR_AT = _OUTCOME_COLUMNS.index("error")
_ERROR_LIMIT = ChatLog._meta.get_field("error").max_length


@dataclass(eq=False)
class Entry:
    """A record on its way: its fields now, its primary key once the batch holding it commits."""

    fields: dict[str, Any]
    pk: int | None = None
    failed: bool = False


@dataclass(eq=False)
class _Finish:
    entry: Entry
    outcome: Outcome
    done: Future[None] = field(default_factory=Future)


_queue: queue.SimpleQueue[Entry | _Finish] = queue.SimpleQueue()
_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def begin(**values: Any) -> Entry:
    """Queue the insert of a new (pending) record: ChatLog field values by attname (created_at, ...)."""
    entry = Entry(values)
    _put(entry)
    return entry


def end(entry: Entry, outcome: Outcome) -> Future[None]:
    """Queue the record's outcome; the future resolves when it is committed (or fails)."""
    item = _Finish(entry, outcome)
    _put(item)
    from tokens import usage_check  # the original's USAGE_CHECK: a profile refresh after use

    usage_check.after_request(
        str(entry.fields.get("model", "")), outcome.token_id, outcome.status == "success"
    )
    return item.done


def flush(timeout: float = 5.0) -> None:
    """Wait until everything queued so far is written (tests, and the process's exit)."""
    if _thread is None or not _thread.is_alive():
        return
    marker = _Finish(Entry({}, failed=True), Outcome(status="", http_status=0))
    _queue.put(marker)
    with contextlib.suppress(TimeoutError):
        marker.done.exception(timeout)


def _put(item: Entry | _Finish) -> None:
    global _thread
    if _thread is None or not _thread.is_alive():
        with _thread_lock:
            if _thread is None or not _thread.is_alive():
                _thread = threading.Thread(target=_run, name="chatlog-writer", daemon=True)
                _thread.start()
    _queue.put(item)


def _run() -> None:
    priority.background_thread()
    while True:
        batch = [_queue.get()]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(_queue.get_nowait())
            except queue.Empty:
                break
        while not sqlite_guard.writable():
            # Unwritable SQLite files are a SIGBUS to touch (see sqlite_guard): the batch waits.
            time.sleep(1.0)
        try:
            _write_batch(batch)
        except Exception:  # the thread must outlive any batch: the next requests need it
            log.exception("chat log writer: a batch of %d was lost", len(batch))
            _settle(batch, failed=True)


def _write_batch(batch: list[Entry | _Finish]) -> None:
    close_old_connections()
    try:
        _write(batch)
    except Exception:
        # One bad record must not cost the others theirs: write them one by one.
        log.exception("chat log batch of %d failed; writing its records one at a time", len(batch))
        close_old_connections()
        for item in batch:
            try:
                _write([item])
            except Exception:
                log.exception("chat log record could not be written")
                if isinstance(item, Entry):
                    item.failed = True
                _settle([item], failed=True)
                close_old_connections()
            else:
                _settle([item])
        return
    _settle(batch)


def _settle(batch: list[Entry | _Finish], failed: bool = False) -> None:
    for item in batch:
        if isinstance(item, _Finish) and not item.done.done():
            if failed or item.entry.failed:
                item.done.set_exception(RuntimeError("chat log record not written"))
            else:
                item.done.set_result(None)


@one_writer
def _write(batch: list[Entry | _Finish]) -> None:
    starts = [item for item in batch if isinstance(item, Entry) and item.pk is None and not item.failed]
    keys: list[int] = []
    with transaction.atomic():
        if starts:
            keys = _insert(starts)
        # A finish queued in the same batch as its start goes in this transaction, after the insert.
        written = {id(entry): pk for entry, pk in zip(starts, keys, strict=True)}
        finishes = [
            (item, item.entry.pk or written.get(id(item.entry)))
            for item in batch
            if isinstance(item, _Finish)
        ]
        finishes = [(item, pk) for item, pk in finishes if pk is not None]
        if finishes:
            _update(finishes)
    # Only now: keys handed out inside a transaction that then failed would point at nothing.
    for entry, pk in zip(starts, keys, strict=True):
        entry.pk = pk


# Plain SQL, built once: the ORM's per-object work (about 0.2 ms a row) held the interpreter lock
# long enough, in a batch of 50, to stall the event loop for milliseconds.
_LOG_FIELDS = [f for f in ChatLog._meta.concrete_fields if not f.primary_key]
_QUOTE = connection.ops.quote_name


def _insert(entries: list[Entry]) -> list[int]:
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in _LOG_FIELDS}
    adapt = connection.ops.adapt_datetimefield_value
    rows: list[Any] = []
    for entry in entries:
        values = {**defaults, **entry.fields}
        values["created_at"] = adapt(values["created_at"])
        rows.extend(values[f.attname] for f in _LOG_FIELDS)
    one = f"({', '.join(['%s'] * len(_LOG_FIELDS))})"
    sql = (
        f"INSERT INTO {_QUOTE(ChatLog._meta.db_table)} ({', '.join(_QUOTE(f.column) for f in _LOG_FIELDS)})"
        f" VALUES {', '.join([one] * len(entries))} RETURNING {_QUOTE('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, rows)
        # Rows come back in the order of VALUES on both databases (Django's bulk_create relies on it).
        return [row[0] for row in cursor.fetchall()]


def _update(finishes: list[tuple[_Finish, int]]) -> None:
    columns = [ChatLog._meta.get_field(name).column for name in _OUTCOME_COLUMNS]
    sql = (
        f"UPDATE {_QUOTE(ChatLog._meta.db_table)} SET {', '.join(f'{_QUOTE(c)} = %s' for c in columns)}"
        f" WHERE {_QUOTE('id')} = %s"
    )
    params = []
    for item, pk in finishes:
        outcome = item.outcome
        values = [getattr(outcome, name) for name in _OUTCOME_COLUMNS]
        values[_ERROR_AT] = outcome.error[:_ERROR_LIMIT]
        params.append([*values, pk])
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        chained = {pk: item.outcome.delays for item, pk in finishes if item.outcome.delays}
        if not chained:
            return
        # The record may have been removed by retention meanwhile: then there is nothing to attach to.
        alive = set(ChatLog.objects.filter(pk__in=chained).values_list("pk", flat=True))
        prep = _DELAYS.get_db_prep_save
        rows = [(pk, prep(delays, connection)) for pk, delays in chained.items() if pk in alive]
        if rows:
            cursor.executemany(
                f"INSERT INTO {_QUOTE(Chain._meta.db_table)} ({_QUOTE('log_id')}, {_QUOTE('delays')})"
                " VALUES (%s, %s)",
                rows,
            )


_DELAYS = Chain._meta.get_field("delays")


atexit.register(flush)
