"""Image URLs cannot reach private addresses through embedded IPv4 forms or DNS rebinding, and a
request's images are limited in number and in total bytes fetched."""

from __future__ import annotations

import base64
import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cursorapi.chat import images
from tests.api.helpers import chat_request, post
from tests.api.test_image_urls import PNG, _ask, _Images


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("64:ff9b::808:808", True),  # NAT64 of a public address
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254 (cloud metadata)
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 of 10.0.0.1
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:10.1.2.3", False),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::a9fe:a9fe", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2002:808:808::1", True),  # 6to4 of a public address
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("fe80::1", False),
        ("ff02::1", False),
    ],
)
def test_embedded_ipv4_forms_are_judged_by_the_address_they_embed(address: str, allowed: bool) -> None:
    assert images.allowed_address(ipaddress.ip_address(address)) is allowed


def _data_url() -> str:
    return "data:image/png;base64," + base64.b64encode(PNG).decode()


def _ask_many(live, urls: list[str]):
    content = [{"type": "text", "text": "see"}] + [
        {"type": "image_url", "image_url": {"url": u}} for u in urls
    ]
    return post(
        live.url,
        "/v1/chat/completions",
        {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": content}]},
    )


def test_images_per_request_are_limited(live, pool_token, fake, settings) -> None:
    settings.IMAGE_MAX_PER_REQUEST = 2
    assert _ask_many(live, [_data_url()] * 2).status_code == 200
    refused = _ask_many(live, [_data_url()] * 3)
    assert refused.status_code == 400 and "IMAGE_MAX_PER_REQUEST" in refused.json()["error"]["message"]
    body = {
        "model": "claude-4.5-sonnet",
        "max_tokens": 5,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": base64.b64encode(PNG).decode(),
                        },
                    }
                ]
                * 3,
            }
        ],
    }
    anthropic = post(live.url, "/v1/messages", body)
    assert anthropic.status_code == 400 and "IMAGE_MAX_PER_REQUEST" in anthropic.text


@pytest.fixture
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_bytes_fetched_for_one_request_are_limited(
    live, pool_token, fake, settings, image_server
) -> None:
    settings.VISION_ABILITY = "all"
    settings.IMAGE_FETCH_ALLOW_PRIVATE = True
    settings.IMAGE_FETCH_MAX_TOTAL_BYTES = 2 * len(PNG) + 1
    assert _ask_many(live, [f"{image_server}/cat.png"] * 2).status_code == 200
    refused = _ask_many(live, [f"{image_server}/cat.png"] * 3)
    assert refused.status_code == 400 and "add up to more than" in refused.json()["error"]["message"]


class _Evil(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Evil.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: object) -> None:
        pass


def test_the_fetch_connects_to_the_address_that_was_checked(
    live, pool_token, fake, settings, monkeypatch
) -> None:
    """A name that resolves to an allowed address when checked and to a private one afterwards
    (DNS rebinding) is fetched from the checked address."""
    good = ThreadingHTTPServer(("127.0.0.2", 0), _Images)
    port = good.server_address[1]
    evil = ThreadingHTTPServer(("127.0.0.1", port), _Evil)
    for server in (good, evil):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    _Evil.hits = []
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.2"])

    def rebinding(host, *args, **kwargs):
        if host == "rebind.test":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_getaddrinfo(host, *args, **kwargs)

    real_allowed = images.allowed_address
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    # Stand-in for a public address: 127.0.0.2 passes the check, everything else as usual.
    monkeypatch.setattr(images, "allowed_address", lambda a: str(a) == "127.0.0.2" or real_allowed(a))
    settings.VISION_ABILITY = "all"
    try:
        response = _ask(live, f"http://rebind.test:{port}/cat.png")
    finally:
        good.shutdown()
        evil.shutdown()
    assert response.status_code == 200, response.text
    assert _Evil.hits == []
    (image,) = chat_request(fake).conversation[0].images
    assert image.data == PNG
