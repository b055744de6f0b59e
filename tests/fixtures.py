"""Shared fixtures: the fake Cursor upstream on a socket, and our server under Daphne on a socket."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cursorapi.upstream import jwt
from cursorapi.upstream.fake.app import FakeCursor
from cursorapi.upstream.fake.server import ThreadedFakeServer
from tokens.models import Token

AUTH = "test-admin-token"
SHARED = "test-shared-token"


@pytest.fixture(scope="session")
def fake_server() -> Iterator[ThreadedFakeServer]:
    server = ThreadedFakeServer(FakeCursor()).start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server: ThreadedFakeServer, settings) -> FakeCursor:
    """The fake upstream, emptied, with the proxy pointed at it."""
    app: FakeCursor = fake_server.server.handler  # type: ignore[assignment]
    app.clear()
    settings.CURSOR_UPSTREAM = fake_server.url
    from cursorapi import upstream_client
    from tokens import picking

    upstream_client.reset()
    picking.clear()  # ids may come back in a new test's rows
    return app


@pytest.fixture
def tool_fake(fake: FakeCursor) -> FakeCursor:
    """The fake in tool-use mode (docs/fakecursor.md): it plays a model that uses the offered tools."""
    fake.tool_use = True  # the next test's `fake` fixture clears it
    return fake


@dataclass
class LiveServer:
    url: str


_daphne: LiveServer | None = None
_daphne_lock = threading.Lock()


def _start_daphne() -> LiveServer:
    """Our ASGI application under Daphne, in a thread of this process.

    Being in-process lets tests change settings and see the same test database; Twisted's reactor
    can run once per process, so the server lives for the whole session.
    """
    global _daphne
    with _daphne_lock:
        if _daphne is not None:
            return _daphne
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server
        from twisted.internet import reactor

        from cursorapi.asgi import application

        ready = threading.Event()
        server = Server(
            application=application,
            endpoints=build_endpoint_description_strings(host="127.0.0.1", port=0),
            signal_handlers=False,
            http_timeout=None,
            application_close_timeout=5,
            ready_callable=None,
        )

        def poll() -> None:
            if server.listening_addresses:
                ready.set()
            else:
                reactor.callLater(0.02, poll)

        reactor.callLater(0.02, poll)  # type: ignore[attr-defined]
        threading.Thread(target=server.run, name="daphne", daemon=True).start()
        if not ready.wait(15):
            raise RuntimeError("Daphne did not start")
        host, port = server.listening_addresses[0]
        _daphne = LiveServer(url=f"http://{host}:{port}")
        return _daphne


@pytest.fixture
def live(transactional_db, fake: FakeCursor, settings) -> Iterator[LiveServer]:
    """Our server, on a socket, talking to the fake upstream; the database is shared with it."""
    from chatlogs import writer
    from cursorapi.chat.catalog import DEFAULT_MODELS, catalog

    settings.AUTH_TOKEN = AUTH
    settings.SHARED_TOKEN = SHARED
    catalog.__init__(DEFAULT_MODELS)  # each test starts from the built-in list, never refreshed
    yield _start_daphne()
    # Log records still queued belong to this test: written now, before its database is emptied.
    writer.flush()


@pytest.fixture
def session_token() -> str:
    return jwt.mint()


def add_token(alias: str = "", **fields) -> Token:
    """A pool token built through the service the import uses."""
    from tokens import services

    token = services.build_token(jwt.mint(), alias=alias, **fields)
    return services.save_new_token(token)


@pytest.fixture
def pool_token(live: LiveServer) -> Token:
    return add_token("alpha")


@pytest.fixture
def openai_client(live: LiveServer):
    import openai

    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=AUTH, max_retries=0, timeout=20)


@pytest.fixture
def anthropic_client(live: LiveServer):
    import anthropic

    return anthropic.Anthropic(base_url=live.url, api_key=AUTH, max_retries=0, timeout=20)


@pytest.fixture(scope="session", autouse=True)
def release_server_connections(django_db_setup, django_db_blocker):
    """At the end, end the connections our in-process server's threads still hold.

    PostgreSQL refuses to drop the test database while they are open.
    """
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
