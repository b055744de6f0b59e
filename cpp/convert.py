"""Copilot++ JSON (the original's snake_case shapes) to protobuf and back, and StreamCpp to SSE events."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from cursorapi.upstream.proto import aiserver_pb2 as pb

FS_ERRORS = {0: "unspecified", 1: "non_existant", 2: "hash_mismatch"}
_CONTROL_TOKENS = {"quiet", "loud", "op"}


class BadRequest(ValueError):
    """The JSON does not fit the message: the text names the field."""


def _normalize_stream(body: dict[str, Any]) -> dict[str, Any]:
    """The documented JSON differs from the protobuf in a few names and enum spellings."""
    body = dict(body)
    token = body.get("control_token")
    if isinstance(token, str) and token.lower() in _CONTROL_TOKENS:
        body["control_token"] = f"CONTROL_TOKEN_{token.upper()}"
    for key in ("file_diff_histories", "merged_diff_histories"):
        items = body.get(key)
        if isinstance(items, list):
            body[key] = [
                {("timestamps" if k == "diff_history_timestamps" else k): v for k, v in item.items()}
                if isinstance(item, dict)
                else item
                for item in items
            ]
    return body


def parse(message_type: type[Message], body: Any) -> Message:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    if message_type is pb.StreamCppRequest:
        body = _normalize_stream(body)
    message = message_type()
    try:
        json_format.ParseDict(body, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise BadRequest(str(exc)) from exc
    return message


def to_json(message: Message) -> dict[str, Any]:
    data = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    if isinstance(message, pb.CppConfigResponse):
        data["heuristics"] = [
            pb.CppConfigResponse.Heuristic.Name(h).removeprefix("HEURISTIC_").lower()
            for h in message.heuristics
        ]
    if isinstance(message, pb.FSUploadFileResponse | pb.FSSyncFileResponse):
        data = {"error": FS_ERRORS.get(message.error, "unspecified")}
    return data


def sse(name: str, payload: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n".encode()


def events(r: pb.StreamCppResponse) -> bytes:
    """The SSE events of one StreamCppResponse, in the order Cursor's client reads them."""
    out = b""
    if r.HasField("model_info"):
        out += sse(
            "model_info",
            {
                "is_fused_cursor_prediction_model": r.model_info.is_fused_cursor_prediction_model,
                "is_multidiff_model": r.model_info.is_multidiff_model,
            },
        )
    if r.HasField("range_to_replace"):
        payload: dict[str, Any] = {
            "start_line_number": r.range_to_replace.start_line_number,
            "end_line_number_inclusive": r.range_to_replace.end_line_number_inclusive,
        }
        if r.HasField("binding_id"):
            payload["binding_id"] = r.binding_id
        if r.HasField("should_remove_leading_eol"):
            payload["should_remove_leading_eol"] = r.should_remove_leading_eol
        out += sse("range_replace", payload)
    if r.text:
        # Kept even beside a range_replace: the range's text is in the same message.
        out += sse("text", {"text": r.text})
    if r.HasField("cursor_prediction_target"):
        target = r.cursor_prediction_target
        payload = {
            "relative_path": target.relative_path,
            "line_number_one_indexed": target.line_number_one_indexed,
            "expected_content": target.expected_content,
            "should_retrigger_cpp": target.should_retrigger_cpp,
        }
        if r.HasField("binding_id"):
            payload["binding_id"] = r.binding_id
        out += sse("cursor_prediction", payload)
    if r.HasField("done_edit") and r.done_edit:
        out += sse("done_edit", {})
    if r.HasField("begin_edit") and r.begin_edit:
        out += sse("begin_edit", {})
    if r.HasField("done_stream") and r.done_stream:
        out += sse("done_stream", {})
    debug = {
        name: getattr(r, f"debug_{name}")
        for name in ("model_input", "model_output", "stream_time", "total_time", "ttft_time", "server_timing")
        if r.HasField(f"debug_{name}")
    }
    if debug:
        out += sse("debug", debug)
    return out
