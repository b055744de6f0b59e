"""The chain of a log record: one (characters, delay) pair per upstream content frame, kept off the
stream's path and written with the end-of-request update; shown by /logs/get and the admin page."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.api.helpers import last_log, user
from tests.fixtures import AUTH


def _stream(openai_client, prompt: str) -> str:
    parts = []
    for chunk in openai_client.chat.completions.create(
        model="claude-4.5-sonnet", messages=user(prompt), stream=True
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
    return "".join(parts)


def _logs_get(live, **query) -> dict:
    reply = httpx.post(
        f"{live.url}/logs/get", json={"query": query}, headers={"authorization": f"Bearer {AUTH}"}, timeout=10
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_each_content_frame_is_a_pair_in_the_chain(live, pool_token, openai_client) -> None:
    text = _stream(openai_client, 'hi\n#fake: reply="abcdefghij" chunks=5 delay_ms=40')
    assert text == "abcdefghij"
    log = last_log()
    assert [chars for chars, _ in log.chain.delays] == [2, 2, 2, 2, 2]
    # After the first, each frame waited for the fake's 40 ms pacing.
    assert all(ms >= 30 for _, ms in log.chain.delays[1:])

    (record,) = _logs_get(live, limit=1, reverse=True)["logs"]
    reply_text, pairs = record["chain"]["delays"]
    assert reply_text == ""  # the reply itself is private unless LOG_CONTENT
    assert [chars for chars, _ in pairs] == [2, 2, 2, 2, 2]
    assert all(seconds >= 0.03 for _, seconds in pairs[1:])


def test_thinking_and_reply_are_kept_only_with_log_content(live, pool_token, openai_client, settings) -> None:
    prompt = 'hi\n#fake: reply="done" thinking="let me see"'
    _stream(openai_client, prompt)
    private = last_log()
    assert private.reply == "" and private.thinking == ""
    assert private.chain.delays  # timing is not content

    settings.LOG_CONTENT = True
    _stream(openai_client, prompt)
    kept = last_log()
    assert kept.pk != private.pk
    assert kept.reply == "done" and kept.thinking == "let me see"
    (record,) = _logs_get(live, limit=1, reverse=True)["logs"]
    assert record["chain"]["think"] == "let me see"
    assert record["chain"]["delays"][0] == "done"


@pytest.mark.django_db(transaction=True)
def test_admin_detail_page_shows_the_chain(live, pool_token, openai_client) -> None:
    _stream(openai_client, 'hi\n#fake: reply="abcdef" chunks=3')
    log = last_log()
    admin = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/chatlogs/chatlog/{log.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Chain (per upstream frame)" in html
    assert html.count("<tr><td>") >= 3


def test_a_client_leaving_right_after_the_end_still_gets_its_record_finished(
    live, pool_token, monkeypatch
) -> None:
    """The server cancels a response's task when its client goes away. If that happens while the
    end of the request waits for the (here slow) log writes, the outcome must still be written."""
    import time

    from chatlogs import writer

    original = writer._write

    def slow_write(batch):
        time.sleep(0.5)
        return original(batch)

    monkeypatch.setattr(writer, "_write", slow_write)
    body = {"model": "claude-4.5-sonnet", "messages": user('hi\n#fake: reply="quick"'), "stream": True}
    headers = {"authorization": f"Bearer {AUTH}"}
    url = f"{live.url}/v1/chat/completions"
    with httpx.Client(timeout=10) as client, client.stream("POST", url, json=body, headers=headers) as reply:
        for line in reply.iter_lines():
            if line == "data: [DONE]":
                break  # and hang up at once, before the server ends the response
    log = last_log(wait=5)
    assert log.status == "success" and log.chain.delays
