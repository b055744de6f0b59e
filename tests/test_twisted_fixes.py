"""Twisted's Content-Type parse, replaced under Daphne by one that builds no class per request."""

from __future__ import annotations

import pytest

from cursorapi import twisted_fixes

VALUES = [
    b"application/json",
    b"Application/JSON; charset=utf-8",
    b" multipart/form-data; boundary=x",
    b"application/x-www-form-urlencoded",
    b"text/event-stream",
    b"garbage",
    b"",
    b"a/b/c",
]


@pytest.mark.parametrize("value", VALUES)
def test_same_answer_as_twisted(value: bytes) -> None:
    twisted_fixes.install()
    assert twisted_fixes.replaced is not None
    assert twisted_fixes.media_type(value) == twisted_fixes.replaced(value)


def test_the_server_uses_it_and_builds_no_header_class(live, monkeypatch) -> None:
    from email.headerregistry import HeaderRegistry

    from twisted.web import http

    def refuse(*args):
        raise AssertionError("a header class was built")

    assert http._parseContentType is twisted_fixes.media_type
    monkeypatch.setattr(HeaderRegistry, "__getitem__", refuse)
    assert http._parseContentType(b"application/json") == b"application/json"
    with pytest.raises(AssertionError, match="header class"):
        twisted_fixes.replaced(b"application/json")  # Twisted's own builds one per call
