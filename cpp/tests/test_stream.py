"""/cpp/stream: the documented request reaches Cursor whole, events come back in order, errors map."""

from __future__ import annotations

import time

import httpx

from cpp.tests.helpers import CLIENT_KEY, call, events, names, stream_request
from tests.fixtures import AUTH
from tokens.models import Token


def _heal() -> None:
    Token.objects.update(health="ok", cooldown_until=None)


CONTENTS = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"


def test_one_edit_in_the_documented_order(live, pool_token, fake) -> None:
    response = call(live, "/cpp/stream", stream_request(contents=CONTENTS, line=1))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    got = events(response)
    kinds = [name for name, _ in got]
    assert kinds[:2] == ["model_info", "range_replace"]
    assert kinds[2:-4] == ["text"] * (len(kinds) - 6)
    assert kinds[-4:] == ["cursor_prediction", "done_edit", "done_stream", "stream_end"]
    payload = dict(got)
    assert payload["model_info"] == {"is_fused_cursor_prediction_model": True, "is_multidiff_model": False}
    binding = payload["range_replace"]["binding_id"]
    assert payload["range_replace"] == {
        "start_line_number": 2,
        "end_line_number_inclusive": 2,
        "binding_id": binding,
        "should_remove_leading_eol": False,
    }
    assert "".join(p["text"] for n, p in got if n == "text") == "    return a + b  # completed line 2"
    assert payload["cursor_prediction"] == {
        "relative_path": "m.py",
        "line_number_one_indexed": 3,
        "expected_content": "  # completed line 3",
        "should_retrigger_cpp": True,
        "binding_id": binding,
    }
    assert payload["done_edit"] == payload["done_stream"] == payload["stream_end"] == {}


def test_several_edits_and_debug_output(live, pool_token, fake) -> None:
    request = stream_request(contents=CONTENTS + "#fake: edits=2 chunks=1\n", line=0, give_debug_output=True)
    got = events(call(live, "/cpp/stream", request))
    assert [name for name, _ in got] == [
        "model_info",
        "range_replace",
        "text",
        "done_edit",
        "begin_edit",
        "range_replace",
        "text",
        "cursor_prediction",
        "done_edit",
        "done_stream",
        "debug",
        "debug",
        "stream_end",
    ]
    assert got[0][1]["is_multidiff_model"] is True
    assert got[5][1]["start_line_number"] == 2
    assert (
        got[10][1]["model_output"]
        == "def add(a, b):  # completed line 1\n    return a + b  # completed line 2"
    )
    assert got[10][1]["model_input"].startswith("<|file|>m.py\n")
    assert got[11][1] == {
        "stream_time": "12ms",
        "total_time": "20ms",
        "ttft_time": "8ms",
        "server_timing": "fake",
    }


def test_the_documented_request_reaches_cursor_whole(live, pool_token, fake) -> None:
    position = {"line": 3, "column": 4}
    cursor_range = {"start_position": {"line": 1, "column": 0}, "end_position": position}
    request = {
        "current_file": {
            "relative_workspace_path": "src/m.py",
            "contents": CONTENTS,
            "rely_on_filesync": False,
            "sha_256_hash": "f" * 64,
            "top_chunks": [
                {
                    "content": "def f()",
                    "range": {"start_line": 1, "end_line_inclusive": 2},
                    "score": 7,
                    "relative_path": "f.py",
                }
            ],
            "contents_start_at_line": 0,
            "cursor_position": position,
            "dataframes": [
                {
                    "name": "df",
                    "shape": "(100, 5)",
                    "data_dimensionality": 2,
                    "columns": [{"key": "a", "type": "int"}],
                    "row_count": 100,
                    "index_column": "id",
                }
            ],
            "total_number_of_lines": 5,
            "language_id": "python",
            "selection": cursor_range,
            "alternative_version_id": 3,
            "diagnostics": [
                {
                    "message": "unused",
                    "range": cursor_range,
                    "severity": "warning",
                    "related_information": [{"message": "here", "range": cursor_range}],
                }
            ],
            "file_version": 9,
            "workspace_root_path": "/home/me/project",
            "line_ending": "\n",
        },
        "diff_history": ["1-|a\n1+|b\n"],
        "model_name": "fast",
        "linter_errors": {
            "relative_workspace_path": "src/m.py",
            "errors": [{"message": "E1", "range": cursor_range, "source": "ruff", "severity": "error"}],
            "file_contents": CONTENTS,
        },
        "context_items": [
            {"contents": "ctx", "symbol": "add", "relative_workspace_path": "c.py", "score": 0.5}
        ],
        "diff_history_keys": ["k"],
        "give_debug_output": False,
        "file_diff_histories": [
            {
                "file_name": "m.py",
                "diff_history": ["d1", "d2"],
                "diff_history_timestamps": [1700000000000.5, 2],
            }
        ],
        "merged_diff_histories": [
            {"file_name": "m.py", "diff_history": ["m"], "diff_history_timestamps": [3]}
        ],
        "block_diff_patches": [
            {
                "start_model_window": {"lines": ["a", "b"], "start_line_number": 1, "end_line_number": 2},
                "changes": [
                    {
                        "text": "x",
                        "range": {
                            "start_line_number": 1,
                            "start_column": 1,
                            "end_line_number": 1,
                            "end_column": 2,
                        },
                    }
                ],
                "relative_path": "m.py",
                "model_uuid": "uuid-1",
                "start_from_change_index": 0,
            }
        ],
        "is_nightly": False,
        "is_debug": False,
        "immediately_ack": True,
        "enable_more_context": True,
        "parameter_hints": [{"label": "x: int", "documentation": "the x"}],
        "lsp_contexts": [
            {
                "uri": "file:///m.py",
                "symbol_name": "add",
                "positions": [{"line": 1, "character": 4}],
                "context_items": [
                    {
                        "uri": "file:///n.py",
                        "type": "definition",
                        "content": "def add",
                        "range": {"start_line": 1, "start_character": 0, "end_line": 1, "end_character": 7},
                    }
                ],
                "score": 0.25,
            }
        ],
        "cpp_intent_info": {"source": "typing"},
        "workspace_id": "ws-1",
        "additional_files": [
            {
                "relative_workspace_path": "o.py",
                "is_open": True,
                "visible_range_content": ["line"],
                "last_viewed_at": 1700000000123.0,
                "start_line_number_one_indexed": [4],
                "visible_ranges": [{"start_line_number": 4, "end_line_number_inclusive": 6}],
            }
        ],
        "control_token": "op",
        "client_time": 1700000000000.25,
        "filesync_updates": [],
        "time_since_request_start": 12.5,
        "time_at_request_send": 1700000000001.0,
        "client_timezone_offset": -480,
        "lsp_suggested_items": {"suggestions": [{"label": "append"}]},
        "supports_cpt": True,
        "supports_crlf_cpt": False,
        "code_results": [
            {
                "code_block": {
                    "relative_workspace_path": "r.py",
                    "file_contents": "all",
                    "file_contents_length": 3,
                    "range": cursor_range,
                    "contents": "block",
                    "signatures": {"ranges": [cursor_range]},
                    "override_contents": "o",
                    "original_contents": "g",
                    "detailed_lines": [{"text": "t", "line_number": 1.5, "is_signature": True}],
                    "file_git_context": {
                        "commits": [{"commit": "abc", "author": "me", "date": "d", "message": "m"}]
                    },
                },
                "score": 0.75,
            }
        ],
    }
    assert call(live, "/cpp/stream", request).status_code == 200
    (seen,) = fake.requests_to("StreamCpp")
    m = seen.message
    f = m.current_file
    assert (f.relative_workspace_path, f.language_id, f.workspace_root_path) == (
        "src/m.py",
        "python",
        "/home/me/project",
    )
    assert (f.cursor_position.line, f.cursor_position.column) == (3, 4)
    assert f.top_chunks[0].range.end_line_inclusive == 2 and f.top_chunks[0].score == 7
    assert f.dataframes[0].columns[0].type == "int" and f.dataframes[0].row_count == 100
    assert f.selection.start_position.line == 1
    assert f.diagnostics[0].severity == 2 and f.diagnostics[0].related_information[0].message == "here"
    assert (f.alternative_version_id, f.file_version, f.sha_256_hash, f.line_ending) == (3, 9, "f" * 64, "\n")
    assert m.HasField("is_nightly") and not m.is_nightly and m.immediately_ack and m.enable_more_context
    assert m.linter_errors.errors[0].severity == 1 and m.linter_errors.errors[0].source == "ruff"
    assert m.context_items[0].symbol == "add" and m.context_items[0].score == 0.5
    assert list(m.file_diff_histories[0].diff_history_timestamps) == [1700000000000.5, 2.0]
    assert m.merged_diff_histories[0].diff_history == ["m"]
    patch = m.block_diff_patches[0]
    assert patch.start_model_window.lines == ["a", "b"] and patch.changes[0].range.end_column == 2
    assert patch.model_uuid == "uuid-1"
    assert m.parameter_hints[0].documentation == "the x"
    lsp = m.lsp_contexts[0]
    assert lsp.symbol_name == "add" and lsp.positions[0].character == 4 and lsp.score == 0.25
    assert lsp.context_items[0].type == "definition" and lsp.context_items[0].range.end_character == 7
    assert m.cpp_intent_info.source == "typing" and m.workspace_id == "ws-1"
    extra = m.additional_files[0]
    assert (
        extra.is_open
        and extra.last_viewed_at == 1700000000123.0
        and extra.visible_ranges[0].end_line_number_inclusive == 6
    )
    assert m.control_token == 3  # CONTROL_TOKEN_OP
    assert (m.client_time, m.time_since_request_start, m.client_timezone_offset) == (
        1700000000000.25,
        12.5,
        -480.0,
    )
    assert m.lsp_suggested_items.suggestions[0].label == "append"
    assert m.supports_cpt and m.HasField("supports_crlf_cpt") and not m.supports_crlf_cpt
    block = m.code_results[0].code_block
    assert block.file_contents_length == 3 and block.signatures.ranges[0].end_position.column == 4
    assert block.detailed_lines[0].line_number == 1.5 and block.file_git_context.commits[0].author == "me"
    assert m.code_results[0].score == 0.75
    assert m.diff_history == ["1-|a\n1+|b\n"] and m.model_name == "fast" and m.diff_history_keys == ["k"]


def test_an_error_mid_stream_is_an_error_event_then_stream_end(live, pool_token, fake) -> None:
    contents = CONTENTS + "#fake: error=rate_limited error_after=2\n"
    response = call(live, "/cpp/stream", stream_request(contents=contents, line=0))
    assert response.status_code == 200
    got = events(response)
    assert [name for name, _ in got] == ["model_info", "range_replace", "error", "stream_end"]
    assert got[2][1] == {
        "error": {"code": 429, "type": "rate_limited", "details": {"title": "Rate limited", "detail": "fake"}}
    }
    pool_token.refresh_from_db()
    # After the first byte an error never rests the token by itself: it only counts.
    assert (pool_token.health, pool_token.consecutive_failures) == ("ok", 1)


def test_a_cut_stream_is_an_error_event(live, pool_token, fake) -> None:
    contents = CONTENTS + "#fake: drop_after=1\n"
    got = events(call(live, "/cpp/stream", stream_request(contents=contents, line=0)))
    assert [name for name, _ in got] == ["model_info", "error", "stream_end"]
    assert got[1][1]["error"]["code"] == 502 and got[1][1]["error"]["type"] == "upstream_error"


def test_an_error_before_the_first_event_is_an_http_status(live, pool_token, fake) -> None:
    response = call(live, "/cpp/stream", stream_request(contents="#fake: error=rate_limited\n", line=0))
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "status": "error",
        "code": 429,
        "error": "rate_limited",
        "message": "Cursor: Rate limited: fake",
    }
    _heal()  # the rate limit cooled the only token
    refused = call(live, "/cpp/stream", stream_request(contents="#fake: status=404\n", line=0))
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"


def test_messages_that_say_nothing_do_not_open_the_stream(live, pool_token, fake) -> None:
    # A message without events, a pause (so it is a read of its own), then the error: still a status.
    request = stream_request(contents="#fake: silent=2 stall_ms=100 error=rate_limited\n", line=0)
    response = call(live, "/cpp/stream", request)
    assert response.status_code == 429 and response.json()["error"] == "rate_limited"
    _heal()
    request = stream_request(contents="x\n#fake: silent=1 stall_ms=50\n", line=0)
    assert names(call(live, "/cpp/stream", request))[0] == "model_info"


def test_the_old_shorthand_directives_still_work(live, pool_token, fake) -> None:
    assert names(call(live, "/cpp/stream", stream_request(contents="#fake: error\n", line=0))) == [
        "model_info",
        "error",
        "stream_end",
    ]
    _heal()
    assert (
        call(live, "/cpp/stream", stream_request(contents="#fake: error_first\n", line=0)).status_code == 429
    )


def test_a_bad_directive_is_reported_as_cursor_would(live, pool_token, fake) -> None:
    response = call(live, "/cpp/stream", stream_request(contents="#fake: nonsense=1\n", line=0))
    assert response.status_code == 400
    assert "unknown directive 'nonsense'" in response.json()["message"]


def test_frames_cut_anywhere_and_gzipped_decode_the_same(live, pool_token, fake) -> None:
    plain = call(live, "/cpp/stream", stream_request(contents=CONTENTS, line=1))
    scripted = call(
        live, "/cpp/stream", stream_request(contents=CONTENTS + "#fake: split=1 gzip=1\n", line=1)
    )
    assert names(scripted) == names(plain) and names(plain)[-1] == "stream_end"


def test_events_flow_as_decoded_and_a_disconnect_cancels_cursor(live, pool_token, fake) -> None:
    # Each frame comes 300 ms after the previous one: buffering would hold model_info for 2 s.
    request = stream_request(contents=CONTENTS + "#fake: delay_ms=300 chunks=1\n", line=0)
    headers = {"Authorization": f"Bearer {AUTH}", "x-client-key": CLIENT_KEY}
    with httpx.stream(
        "POST", f"{live.url}/cpp/stream", json=request, headers=headers, timeout=20
    ) as response:
        lines = response.iter_lines()
        assert next(lines) == "event: model_info"
        assert fake.open_streams == 1  # Cursor is still producing
    deadline = time.monotonic() + 10
    while fake.cancelled_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.cancelled_streams == 1 and fake.open_streams == 0
