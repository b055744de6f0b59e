"""The periodic sync: the loop, and when the server starts it (never in tests or other commands)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from analytics import periodic


def test_loop_runs_until_stopped_and_survives_failures() -> None:
    stop = threading.Event()
    runs: list[int] = []

    def once() -> None:
        runs.append(1)
        if len(runs) == 2:
            raise RuntimeError("upstream down")
        if len(runs) == 4:
            stop.set()

    periodic.run_forever(0.001, once, stop)
    assert len(runs) == 4


def test_a_stop_during_the_first_delay_runs_nothing() -> None:
    stop = threading.Event()
    stop.set()
    periodic.run_forever(0.001, lambda: pytest.fail("ran"), stop, first_delay=10)


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["/usr/bin/daphne", "cursorapi.asgi:application"], {}, True),
        (["manage.py", "serve"], {}, True),
        # The workers `serve --workers N` starts: their parent runs the jobs, once for all of them.
        (["/venv/lib/python3.11/site-packages/daphne/__main__.py", "--fd", "3"], {}, False),
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, True),
        (["manage.py", "runserver"], {}, False),  # the autoreloader's watcher process
        (["manage.py", "runserver", "--noreload"], {}, True),
        (["manage.py", "migrate"], {}, False),
        (["manage.py", "sync_ai_code"], {}, False),
        (["/venv/bin/pytest", "-q"], {}, False),
        ([], {}, False),
    ],
)
def test_which_processes_are_servers(argv: list[str], environ: dict[str, str], expected: bool) -> None:
    assert periodic.is_server_process(argv, environ) is expected


def test_the_thread_starts_only_for_a_server_with_an_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periodic, "_thread", None)
    monkeypatch.setattr(periodic, "FIRST_RUN_DELAY", 0)
    ran = threading.Event()
    assert periodic.start_in_server(0, ["daphne"], ran.set) is None
    assert periodic.start_in_server(60, ["manage.py", "migrate"], ran.set) is None
    assert periodic.start_in_server(60) is None  # this very process: pytest
    thread = periodic.start_in_server(60, ["daphne"], ran.set)
    assert thread is not None and thread.daemon
    assert ran.wait(5)
    assert periodic.start_in_server(60, ["daphne"], ran.set) is thread  # once per process


@pytest.mark.django_db
def test_one_periodic_turn_syncs_and_reports_problems_as_logs(
    admin_api: Any, caplog: Any, settings: Any
) -> None:
    from analytics.models import AiCommit

    periodic.sync_once()
    assert AiCommit.objects.exists()
    settings.CURSOR_ADMIN_API_KEY = "wrong"
    periodic.sync_once()  # does not raise: the loop must live on
    assert "rejected the Admin API key" in caplog.text
