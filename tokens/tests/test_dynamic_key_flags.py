"""A dynamic key's flags override the server's chat settings for its own requests, over HTTP with the
official SDKs, judged by what the fake Cursor received."""

from __future__ import annotations

import base64

import anthropic
import openai
import pytest

from cursorapi.upstream import jwt
from tests.api.helpers import chat_request, post, user
from tests.api.test_openai import _png
from tests.fixtures import add_token

MODEL = "claude-4.5-sonnet"
IMAGE_BASE64 = base64.b64encode(_png(2, 2)).decode()
IMAGE_URL = "data:image/png;base64," + IMAGE_BASE64
IMAGE_MESSAGE = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": IMAGE_URL}},
        ],
    }
]
WEB_REPLY = (
    '#fake: reply="Paris is in France." web_ref="Paris - Wikipedia|https://en.wikipedia.org/wiki/Paris"'
)


@pytest.fixture
def build_key(live, settings):
    """R4 keys; each call builds one with the flags given."""
    settings.DYNAMIC_KEY_SECRET = "flags-test-secret"

    def build(**flags: object) -> str:
        response = post(live.url, "/build-key", {"token": jwt.mint(), **flags})
        assert response.status_code == 200, response.text
        return response.json()["keys"][0]

    return build


def _openai(live, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0, timeout=20)


def _sent_slow_pool(fake) -> bool:
    details = chat_request(fake).model_details
    return details.HasField("enable_slow_pool") and details.enable_slow_pool


@pytest.mark.parametrize(
    ("server", "flag", "expected"),
    [
        (False, True, True),
        (True, False, False),
        (True, None, True),  # a key without the flag follows the server
        (False, None, False),
    ],
)
def test_enable_slow_pool(live, fake, settings, build_key, server, flag, expected) -> None:
    settings.ENABLE_SLOW_POOL = server
    key = build_key(**({} if flag is None else {"enable_slow_pool": flag}))
    _openai(live, key).chat.completions.create(model=MODEL, messages=user("hi"))
    assert _sent_slow_pool(fake) is expected


def test_a_keys_flags_change_nothing_for_other_callers(live, fake, build_key, openai_client) -> None:
    key = build_key(enable_slow_pool=True, disable_vision=True)
    _openai(live, key).chat.completions.create(model=MODEL, messages=user("hi"))
    assert _sent_slow_pool(fake)
    fake.clear()
    add_token("pool")
    openai_client.chat.completions.create(model=MODEL, messages=IMAGE_MESSAGE)  # the admin, on the pool
    assert not _sent_slow_pool(fake) and len(chat_request(fake).conversation[0].images) == 1


def test_disable_vision_refuses_images_as_vision_none_does(live, fake, build_key) -> None:
    client = _openai(live, build_key(disable_vision=True))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL, messages=IMAGE_MESSAGE)
    assert "images are disabled for this API key" in info.value.message
    assert info.value.body["param"] == "messages[0].content[1]"
    claude = anthropic.Anthropic(base_url=live.url, api_key=build_key(disable_vision=True), max_retries=0)
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": IMAGE_BASE64}}
    with pytest.raises(anthropic.BadRequestError, match="disabled for this API key"):
        claude.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": [image]}])
    assert fake.requests_to("StreamUnifiedChatWithTools") == []
    # Text still goes through, and a key that leaves vision alone sends the image on.
    client.chat.completions.create(model=MODEL, messages=user("hi"))
    fake.clear()
    _openai(live, build_key(disable_vision=False)).chat.completions.create(
        model=MODEL, messages=IMAGE_MESSAGE
    )
    (image_sent,) = chat_request(fake).conversation[0].images
    assert (image_sent.dimension.width, image_sent.dimension.height) == (2, 2)


def test_disable_vision_false_cannot_undo_vision_none(live, fake, settings, build_key) -> None:
    settings.VISION_ABILITY = "none"
    with pytest.raises(openai.BadRequestError, match="images are disabled on this server"):
        _openai(live, build_key(disable_vision=False)).chat.completions.create(
            model=MODEL, messages=IMAGE_MESSAGE
        )


@pytest.mark.parametrize(
    ("server", "flag", "expected"),
    [
        (True, False, False),
        (False, True, True),
        (True, None, True),
        (False, None, False),
    ],
)
def test_include_web_references(live, fake, settings, build_key, server, flag, expected) -> None:
    settings.INCLUDE_WEB_REFERENCES = server
    client = _openai(live, build_key(**({} if flag is None else {"include_web_references": flag})))
    reply = client.chat.completions.create(model=f"{MODEL}-online", messages=user(WEB_REPLY))
    text = reply.choices[0].message.content
    assert text.startswith("Paris is in France.")
    assert ("WebReferences:\n1. [Paris - Wikipedia](https://en.wikipedia.org/wiki/Paris)" in text) is expected
    assert chat_request(fake).use_web == "full_search"
    stream = client.chat.completions.create(model=f"{MODEL}-online", messages=user(WEB_REPLY), stream=True)
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert streamed == text
