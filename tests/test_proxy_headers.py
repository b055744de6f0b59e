"""X-Forwarded-* headers are believed only from TRUSTED_PROXIES, under `manage.py serve` too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from cursorapi import proxy_headers
from tests.processes import first_answer, free_port

ROOT = Path(__file__).resolve().parents[1]
TRUSTED = proxy_headers.networks(["10.0.0.0/8", "127.0.0.1"])


def _scope(client: str, *headers: tuple[bytes, bytes]) -> dict:
    return {"type": "http", "scheme": "http", "client": (client, 5555), "headers": list(headers)}


def test_headers_from_a_trusted_proxy_set_client_and_scheme() -> None:
    scope = proxy_headers.apply(
        _scope(
            "10.1.2.3",
            (b"x-forwarded-for", b"6.6.6.6, 203.0.113.9, 10.9.9.9"),
            (b"x-forwarded-proto", b"https"),
        ),
        TRUSTED,
    )
    # The nearest untrusted hop is the client: what the client itself wrote (6.6.6.6) proves nothing.
    assert scope["client"] == ("203.0.113.9", 0) and scope["scheme"] == "https"


def test_headers_from_anyone_else_are_ignored() -> None:
    original = _scope("198.51.100.7", (b"x-forwarded-for", b"10.0.0.1"), (b"x-forwarded-proto", b"https"))
    assert proxy_headers.apply(original, TRUSTED) is original
    assert proxy_headers.apply(original, ()) is original


def test_nonsense_values_change_nothing() -> None:
    scope = proxy_headers.apply(
        _scope("127.0.0.1", (b"x-forwarded-for", b"not-an-address"), (b"x-forwarded-proto", b"gopher")),
        TRUSTED,
    )
    assert scope["client"] == ("127.0.0.1", 5555) and scope["scheme"] == "http"


def test_serve_believes_proxy_headers_only_from_trusted_proxies(tmp_path: Path) -> None:
    """One server trusting 127.0.0.2: the same claim of HTTPS counts from there, not from 127.0.0.1."""
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HTTPS": "true",
        "TRUSTED_PROXIES": "127.0.0.2",
        "WEB_WORKERS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    claim = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    try:
        first_answer(f"http://127.0.0.1:{port}/health")
        hsts = []
        for source in ("127.0.0.1", "127.0.0.2"):
            with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
                response = client.get(f"http://127.0.0.1:{port}/admin/login/", headers=claim)
            hsts.append(response.headers.get("Strict-Transport-Security"))
    finally:
        proc.terminate()
        proc.wait(15)
    assert hsts[0] is None and hsts[1] is not None
