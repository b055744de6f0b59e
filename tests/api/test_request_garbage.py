"""A finished chat leaves nothing for the cyclic garbage collector.

Objects in reference cycles wait for a collection; under load the full collections that find them
stall every stream at once (bench/RESULTS.md). Requests whose objects are freed by reference
counting alone keep those collections rare and short.
"""

from __future__ import annotations

import gc
import time

import pytest

from tests.api.helpers import post, user

MODEL = "claude-4.5-sonnet"
# What a request is made of on the server's side: if any of these is garbage, a cycle held it.
SERVER_TYPES = {
    "cursorapi.chat.service.ChatRun",
    "django.core.handlers.asgi.ASGIRequest",
    "django.http.response.StreamingHttpResponse",
    "django.http.response.JsonResponse",
    "daphne.http_protocol.WebRequest",
    "httpx._client.BoundAsyncStream",  # the upstream call's (the tests' own client is synchronous)
    "httpcore._async.connection_pool.AsyncPoolRequest",
}


def _server_garbage(send) -> list[str]:
    send()  # the first request of a kind fills caches; they are not garbage
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            send()
        from chatlogs import writer

        writer.flush()  # the request's last step queues its log record
        time.sleep(0.3)  # and Django's handler closes the response after that
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        names = {f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage}
        return sorted(names & SERVER_TYPES)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_a_chat_leaves_no_reference_cycles(live, pool_token, fake, path, stream) -> None:
    payload = {"model": MODEL, "messages": user("hello"), "stream": stream, "max_tokens": 100}

    def send() -> None:
        assert post(live.url, path, payload).status_code == 200

    assert _server_garbage(send) == []


@pytest.mark.parametrize(
    "directive",
    [
        "#fake: chunks=4 drop_after=2",  # a transport failure mid-stream
        # an in-band error that cools the only token down: the requests after it are 503s
        "#fake: chunks=4 error_after=2 error=unavailable",
    ],
)
def test_a_failed_chat_leaves_no_reference_cycles(live, pool_token, fake, directive) -> None:
    payload = {"model": MODEL, "messages": user(directive), "stream": True}

    def send() -> None:
        response = post(live.url, "/v1/chat/completions", payload)
        assert response.status_code in (200, 503) and '"error"' in response.text

    assert _server_garbage(send) == []
