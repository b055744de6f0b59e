"""Helpers for tests that start the server as a separate process (`manage.py serve`)."""

from __future__ import annotations

import socket
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answer(url: str, timeout: float = 30) -> httpx.Response:
    """The first response from a server that is still starting."""
    deadline = time.time() + timeout
    while True:
        try:
            return httpx.get(url)
        except httpx.HTTPError:
            assert time.time() < deadline, f"nothing answered at {url}"
            time.sleep(0.1)
