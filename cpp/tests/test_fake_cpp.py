"""The fake's file sync arithmetic and `#fake:` scripts, where the proxy cannot show them."""

from __future__ import annotations

import pytest

from cursorapi.upstream.fake import cpp
from cursorapi.upstream.fake.directives import DirectiveError
from cursorapi.upstream.proto import aiserver_pb2 as pb


def _update(
    version: int, *edits: tuple[int, int, str], expected: int = 0
) -> pb.FilesyncUpdateWithModelVersion:
    return pb.FilesyncUpdateWithModelVersion(
        model_version=version,
        updates=[
            pb.SingleUpdateRequest(start_position=s, end_position=e, replaced_string=t) for s, e, t in edits
        ],
        expected_file_length=expected,
    )


def test_updates_apply_in_order_and_skip_what_the_file_already_has() -> None:
    stored = cpp.StoredFile("hello world", 3)
    result = cpp.apply_updates(stored, [_update(3, (0, 5, "bye")), _update(4, (0, 5, "HELLO"), expected=11)])
    assert (result.contents, result.model_version) == ("HELLO world", 4)


@pytest.mark.parametrize(
    "update",
    [
        _update(2, (5, 3, "x")),  # end before start
        _update(2, (0, 99, "x")),  # past the end
        _update(2, (1, 1, "x"), expected=5),  # wrong length
        _update(2, (1, 2, "")),  # cuts the emoji's surrogate pair
    ],
)
def test_edits_that_do_not_fit_are_a_mismatch(update) -> None:
    with pytest.raises(cpp.Mismatch):
        cpp.apply_updates(cpp.StoredFile("😀ab", 1), [update])


def test_scripts() -> None:
    script = cpp.parse_script("x = 1\n  #fake: edits=2 completion='a\\nb' delay_ms=5 gzip=1\n")
    assert (script.edits, script.completion, script.delay_ms, script.gzip) == (2, "a\nb", 5, True)
    assert cpp.parse_script("#fake: error").error_after == 1
    for bad in ("#fake: edits=0", "#fake: chunks=x", "#fake: what=1", "#fake: 'open", "#fake: loud"):
        with pytest.raises(DirectiveError):
            cpp.parse_script(bad)


def test_a_scripted_completion_and_chunks() -> None:
    request = pb.StreamCppRequest(current_file=pb.CurrentFileInfo(relative_workspace_path="p"))
    script = cpp.parse_script("#fake: completion=done chunks=2")
    texts = [m.text for m in cpp.frames(request, "", script) if m.text]
    assert texts == ["do", "ne"]
