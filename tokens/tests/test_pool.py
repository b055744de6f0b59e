"""The pool's hot path: what a chat request costs in queries, and how tokens rotate and rest."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chatlogs import writer
from chatlogs.services import Outcome
from tests.fixtures import add_token
from tokens import picking, services
from tokens.models import Health, Token

pytestmark = pytest.mark.django_db


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    """What the database had to work on: transaction control and settings left out."""
    control = ("BEGIN", "COMMIT", "SET ", "SAVEPOINT", "RELEASE")
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].upper().startswith(control)]


@pytest.mark.django_db(transaction=True)  # outermost transactions, as in production: no savepoints
def test_what_a_chat_costs_in_queries() -> None:
    add_token("a")
    picking.clear()
    with CaptureQueriesContext(connection) as cold:
        services.acquire()
    assert len(_statements(cold)) == 3  # pick and stamp, the token and its proxy, the general proxy
    with CaptureQueriesContext(connection) as warm:
        lease = services.acquire()
    (pick,) = _statements(warm)  # the account comes from memory
    assert pick.startswith("UPDATE") and "RETURNING" in pick
    with CaptureQueriesContext(connection) as rest:
        services.report_success(lease.token)  # healthy already: no write
        # The log writer's batch for one request: its start and its outcome.
        entry = writer.Entry(dict(created_at=timezone.now(), request_id="r", dialect="openai", model="m"))
        writer._write([entry, writer._Finish(entry, Outcome(status="success", http_status=200))])
    assert [q.split()[0] for q in _statements(rest)] == ["INSERT", "1"]
    assert _statements(rest)[1].startswith("1 times: UPDATE")  # executemany, for a batch of one


def test_a_changed_token_is_read_again() -> None:
    token = add_token("a")
    first = services.acquire().account
    Token.objects.filter(pk=token.pk).update(timezone="Europe/Paris", updated_at=timezone.now())
    assert services.acquire().account.timezone == "Europe/Paris" != first.timezone


def test_least_recently_used_first() -> None:
    a, b = add_token("a"), add_token("b")
    assert [services.acquire().token.alias for _ in range(4)] == ["a", "b", "a", "b"]
    assert Token.objects.get(pk=a.pk).last_used_at < Token.objects.get(pk=b.pk).last_used_at


def test_cooling_and_invalid_tokens_are_skipped_until_they_recover() -> None:
    a, b = add_token("a"), add_token("b")
    services.report_overload(a.pk, "rate limited", seconds=60)
    services.report_auth_failure(b.pk, "logged out")
    with pytest.raises(services.NoTokenAvailable):
        services.acquire()
    Token.objects.filter(pk=a.pk).update(cooldown_until=timezone.now() - timedelta(seconds=1))
    lease = services.acquire()
    assert lease.token.alias == "a"
    services.report_success(lease.token)
    assert Token.objects.get(pk=a.pk).health == Health.OK
    assert Token.objects.get(pk=b.pk).health == Health.INVALID


def test_the_lease_carries_the_accounts_identity(settings) -> None:
    from proxies.models import Proxy

    settings.GENERAL_TIMEZONE = "Asia/Tokyo"
    Proxy.objects.create(name="corp", url="http://proxy.internal:3128", is_general=True)
    token = add_token("a", gcpp_host="EU")
    account = services.acquire().account
    assert account.token == token.primary_token and account.client_key == token.client_key
    assert account.timezone == "Asia/Tokyo" and account.gcpp_host == "EU"
    assert account.proxy == "http://proxy.internal:3128"


@pytest.mark.django_db(transaction=True)
def test_sqlite_writers_of_one_process_queue_on_a_lock_not_in_sqlite() -> None:
    """A second SQLite writer would sleep in SQLite's busy handler (1, 2, 5 ... 100 ms) and retry;
    queued on our lock it goes as soon as the first is done. PostgreSQL writes are not serialized."""
    import threading

    from django.db import connections

    from cursorapi import dbwork

    add_token("a")
    done = threading.Event()

    def lease_in_another_thread() -> None:
        try:
            picking.pick(None, [])
            done.set()
        finally:
            connections.close_all()

    with dbwork._sqlite_writer:
        worker = threading.Thread(target=lease_in_another_thread)
        worker.start()
        waited = not done.wait(0.2)
    worker.join(5)
    assert done.is_set()
    assert waited is (connection.vendor == "sqlite")


def _hold_in_another_connection(sql: str, token_id: int, held: threading.Event, release: threading.Event):
    from django.db import connections, transaction

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [token_id])
                held.set()
                release.wait(5)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(5)
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_log_write_naming_the_token_does_not_hide_it_from_the_pool() -> None:
    """A record's token_id holds a key-share lock on the token's row until the write commits
    (PostgreSQL); a pool of one must still lease its token meanwhile, not answer 503."""
    token = add_token("only")
    held, release = threading.Event(), threading.Event()
    thread = None
    if connection.vendor == "postgresql":  # SQLite has no row locks
        sql = "SELECT id FROM tokens_token WHERE id = %s FOR KEY SHARE"  # what the FK check takes
        thread = _hold_in_another_connection(sql, token.pk, held, release)
    try:
        picked = picking.pick(None, [])
    finally:
        release.set()
        if thread is not None:
            thread.join(5)
    assert picked is not None and picked[0] == token.pk


@pytest.mark.django_db(transaction=True)
def test_a_pool_of_one_waits_for_a_concurrent_stamp_rather_than_answering_none() -> None:
    token = add_token("only")
    held, release = threading.Event(), threading.Event()
    if connection.vendor == "postgresql":
        sql = "SELECT id FROM tokens_token WHERE id = %s FOR NO KEY UPDATE"  # another worker's pick
    else:
        sql = "SELECT %s"  # SQLite: the transaction itself holds the one write lock
    thread = _hold_in_another_connection(sql, token.pk, held, release)
    threading.Timer(0.2, release.set).start()
    try:
        picked = picking.pick(None, [])
    finally:
        release.set()
        thread.join(5)
    assert picked is not None and picked[0] == token.pk
