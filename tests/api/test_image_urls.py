"""Image URLs under VISION_ABILITY=all: fetched by us, capped, never redirected."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.helpers import chat_request, post
from tests.api.test_openai import _png

PNG = _png(5, 3)


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/cat.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)
        elif self.path == "/big.png":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(PNG + b"\0" * 5000)
        elif self.path == "/moved.png":
            self.send_response(302)
            self.send_header("Location", "/cat.png")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _ask(live, url: str):
    content = [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": url}}]
    return post(
        live.url,
        "/v1/chat/completions",
        {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": content}]},
    )


def test_an_image_url_is_fetched_and_sent(live, pool_token, fake, settings, image_server) -> None:
    settings.VISION_ABILITY = "all"
    settings.IMAGE_FETCH_ALLOW_PRIVATE = True
    assert _ask(live, f"{image_server}/cat.png").status_code == 200
    (image,) = chat_request(fake).conversation[0].images
    assert image.data == PNG and (image.dimension.width, image.dimension.height) == (5, 3)


@pytest.mark.parametrize(
    ("path", "problem"), [("/big.png", "larger than"), ("/moved.png", "HTTP 302"), ("/no.png", "HTTP 404")]
)
def test_bad_image_urls_are_400s(live, pool_token, fake, settings, image_server, path, problem) -> None:
    settings.VISION_ABILITY = "all"
    settings.IMAGE_FETCH_ALLOW_PRIVATE = True
    settings.IMAGE_FETCH_MAX_BYTES = 1000
    response = _ask(live, f"{image_server}{path}")
    assert response.status_code == 400 and problem in response.json()["error"]["message"]


def test_loopback_is_refused_without_the_switch(live, pool_token, fake, settings, image_server) -> None:
    settings.VISION_ABILITY = "all"
    response = _ask(live, f"{image_server}/cat.png")
    assert response.status_code == 400 and "private" in response.json()["error"]["message"]
