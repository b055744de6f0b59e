"""The JSON <-> protobuf walk and the StreamCpp -> SSE mapping, on messages the fake never sends."""

from __future__ import annotations

import json
import re

import pytest

from cpp import convert, protojson
from cursorapi.upstream.proto import aiserver_pb2 as pb


def test_enums_read_short_names_long_names_and_numbers() -> None:
    for value in ("loud", "LOUD", "CONTROL_TOKEN_LOUD", 2):
        assert protojson.parse(pb.StreamCppRequest, {"control_token": value}).control_token == 2
    with pytest.raises(protojson.BadJson, match="control_token: expected one of"):
        protojson.parse(pb.StreamCppRequest, {"control_token": True})
    with pytest.raises(protojson.BadJson, match="out of range"):
        protojson.parse(pb.StreamCppRequest, {"control_token": 2**40})


def test_an_empty_object_still_sets_the_message() -> None:
    message = protojson.parse(pb.StreamCppRequest, {"linter_errors": {}, "cpp_intent_info": None})
    assert message.HasField("linter_errors") and not message.HasField("cpp_intent_info")


def test_integral_floats_are_integers_and_float32_range_is_checked() -> None:
    assert protojson.parse(pb.FSUploadFileRequest, {"model_version": 3.0}).model_version == 3
    with pytest.raises(protojson.BadJson, match=re.escape("current_file.top_chunks[0].score")):
        protojson.parse(pb.StreamCppRequest, {"current_file": {"top_chunks": [{"score": "high"}]}})
    with pytest.raises(protojson.BadJson, match="32-bit float"):
        protojson.parse(pb.StreamCppRequest, {"context_items": [{"score": 1e300}]})


def test_replies_print_every_field_with_nulls_and_short_enums() -> None:
    assert protojson.to_json(pb.FSSyncFileResponse(error=1)) == {"error": "non_existant"}
    assert protojson.to_json(pb.FSUploadFileResponse()) == {"error": "unspecified"}
    assert protojson.to_json(pb.AvailableCppModelsResponse(models=["a"])) == {
        "models": ["a"],
        "default_model": None,
    }
    config = protojson.to_json(pb.CppConfigResponse(heuristics=[1, 99], check_filesync_hash_percent=0.1))
    assert config["heuristics"] == ["lots_of_added_text", 99]  # a value Cursor added later stays a number
    assert config["check_filesync_hash_percent"] == 0.1
    assert config["merge_behavior"] is None and config["import_prediction_config"] is None
    assert config["exclude_recently_viewed_files_patterns"] == [] and config["cpp_url"] == ""


def test_a_reply_of_errors_additional_info_is_a_map() -> None:
    details = pb.CustomErrorDetails(title="t", additional_info={"k": "v"})
    assert protojson.to_json(details) == {"title": "t", "detail": "", "additional_info": {"k": "v"}}
    parsed = protojson.parse(pb.CustomErrorDetails, {"additional_info": {"k": "v"}})
    assert dict(parsed.additional_info) == {"k": "v"}
    with pytest.raises(protojson.BadJson, match=re.escape("additional_info.k: expected a string")):
        protojson.parse(pb.CustomErrorDetails, {"additional_info": {"k": 1}})


def _decoded(chunk: bytes) -> list[tuple[str, dict]]:
    out = []
    for block in chunk.decode().split("\n\n"):
        if block:
            name_line, data_line = block.split("\n")
            out.append((name_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))))
    return out


def test_one_message_with_everything_gives_events_in_cursors_order() -> None:
    message = pb.StreamCppResponse(
        text="abc",
        model_info=pb.StreamCppResponse.ModelInfo(is_multidiff_model=True),
        range_to_replace=pb.LineRange(start_line_number=3, end_line_number_inclusive=4),
        cursor_prediction_target=pb.StreamCppResponse.CursorPredictionTarget(
            relative_path="p", line_number_one_indexed=9
        ),
        done_edit=True,
        begin_edit=True,
        done_stream=True,
        debug_ttft_time="5ms",
        binding_id="b",
        should_remove_leading_eol=True,
    )
    events = _decoded(convert.encode_events([message.SerializeToString()]))
    assert [name for name, _ in events] == [
        "model_info",
        "range_replace",
        "text",
        "cursor_prediction",
        "done_edit",
        "begin_edit",
        "done_stream",
        "debug",
    ]
    assert events[1][1] == {
        "type": "range_replace",
        "start_line_number": 3,
        "end_line_number_inclusive": 4,
        "binding_id": "b",
        "should_remove_leading_eol": True,
    }
    assert events[3][1]["binding_id"] == "b"
    assert events[7][1] == {"type": "debug", "ttft_time": "5ms"}


def test_flags_sent_as_false_and_undecodable_messages_give_nothing() -> None:
    quiet = pb.StreamCppResponse(done_edit=False, done_stream=False).SerializeToString()
    assert convert.encode_events([quiet, b"\xff\xff\xff"]) == b""
    assert _decoded(convert.encode_events([pb.StreamCppResponse(text="é").SerializeToString()])) == [
        ("text", {"type": "text", "text": "é"})
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"client_time": 10**400}, "client_time: is out of range"),
        ({"model_name": "\ud800"}, "model_name: is not valid Unicode text"),
        ({"diff_history": ["ok", 3]}, "diff_history[1]: expected a string"),
    ],
)
def test_values_python_cannot_store_are_bad_requests(body, problem) -> None:
    with pytest.raises(protojson.BadJson) as caught:
        protojson.parse(pb.StreamCppRequest, body)
    assert str(caught.value).startswith(problem)
