"""`#fake:` lines the fake upstream reads (the chat tests drive the rest through HTTP)."""

from __future__ import annotations

import pytest

from cursorapi.upstream.fake import directives


def test_web_refs_are_title_and_url_pairs_in_order() -> None:
    found, text = directives.parse(
        'hi\n#fake: web_ref="A page|https://a.example" web_ref="B|https://b.example/x"'
    )
    assert found.web_refs == [("A page", "https://a.example"), ("B", "https://b.example/x")]
    assert text == "hi"
    for bad in ("#fake: web_ref=no-url", "#fake: web_ref=title|"):
        with pytest.raises(directives.DirectiveError, match=r"TITLE\|URL"):
            directives.parse(bad)
