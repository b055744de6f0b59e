"""The admin's CSS and JavaScript are served by our ASGI application under Daphne."""

from __future__ import annotations

import re

import httpx

from tests.fixtures import LiveServer


def test_admin_stylesheets_are_served(live: LiveServer) -> None:
    login = httpx.get(f"{live.url}/admin/login/")
    assert login.status_code == 200
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', login.text)
    assert any(href.endswith("admin/css/base.css") for href in stylesheets)
    for href in stylesheets:
        reply = httpx.get(f"{live.url}{href}")
        assert reply.status_code == 200, href
        assert reply.headers["content-type"].startswith("text/css")
        assert "max-age" in reply.headers["cache-control"]


def test_admin_scripts_are_served(live: LiveServer) -> None:
    reply = httpx.get(f"{live.url}/static/admin/js/core.js")
    assert reply.status_code == 200
    assert "javascript" in reply.headers["content-type"]


def test_an_unknown_static_path_is_a_plain_404(live: LiveServer) -> None:
    reply = httpx.get(f"{live.url}/static/admin/css/no-such-file.css")
    assert reply.status_code == 404
