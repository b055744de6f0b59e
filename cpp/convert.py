"""Copilot++ JSON to protobuf and back, and StreamCpp messages to the documented SSE events."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.message import DecodeError, Message

from cursorapi import jsonbody
from cursorapi.upstream.proto import aiserver_pb2 as pb

from . import protojson


class BadRequest(ValueError):
    """The body cannot be the request: not JSON, or a value that does not fit (the text names it)."""


def read(raw: bytes, message_type: type[Message]) -> Message:
    """The request message from the JSON body; an empty body is an empty message."""
    if not raw.strip():
        return message_type()
    try:
        data = jsonbody.loads(raw)
    except jsonbody.BadJson as exc:
        raise BadRequest(str(exc)) from exc
    try:
        return protojson.parse(message_type, data)
    except protojson.BadJson as exc:
        raise BadRequest(str(exc)) from exc


def answer(message: Message) -> dict[str, Any]:
    """A unary reply in the documented shape: every field, enums as short lower-case names."""
    return protojson.to_json(message)


def sse(name: str, payload: dict[str, Any] | None = None) -> bytes:
    body = {"type": name, **(payload or {})}
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\ndata: {data}\n\n".encode()


def events(r: pb.StreamCppResponse) -> list[tuple[str, dict[str, Any]]]:
    """The events one StreamCppResponse carries, in the order Cursor's client reads them.

    Cursor never puts text beside a model_info or a range in one message (the original proxy
    drops it if it does); it is kept here as a `text` event after the range, so nothing is lost.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    binding = {"binding_id": r.binding_id} if r.HasField("binding_id") else {}
    if r.HasField("model_info"):
        info = r.model_info
        out.append(
            (
                "model_info",
                {
                    "is_fused_cursor_prediction_model": info.is_fused_cursor_prediction_model,
                    "is_multidiff_model": info.is_multidiff_model,
                },
            )
        )
    if r.HasField("range_to_replace"):
        payload: dict[str, Any] = {
            "start_line_number": r.range_to_replace.start_line_number,
            "end_line_number_inclusive": r.range_to_replace.end_line_number_inclusive,
            **binding,
        }
        if r.HasField("should_remove_leading_eol"):
            payload["should_remove_leading_eol"] = r.should_remove_leading_eol
        out.append(("range_replace", payload))
    if r.text:
        out.append(("text", {"text": r.text}))
    if r.HasField("cursor_prediction_target"):
        target = r.cursor_prediction_target
        out.append(
            (
                "cursor_prediction",
                {
                    "relative_path": target.relative_path,
                    "line_number_one_indexed": target.line_number_one_indexed,
                    "expected_content": target.expected_content,
                    "should_retrigger_cpp": target.should_retrigger_cpp,
                    **binding,
                },
            )
        )
    for flag in ("done_edit", "begin_edit", "done_stream"):
        if getattr(r, flag):  # an optional bool sent as false says nothing
            out.append((flag, {}))
    debug = {
        name: getattr(r, f"debug_{name}")
        for name in ("model_input", "model_output", "stream_time", "total_time", "ttft_time", "server_timing")
        if r.HasField(f"debug_{name}")
    }
    if debug:
        out.append(("debug", debug))
    return out


def encode_events(payloads: list[bytes]) -> bytes:
    """The SSE bytes of the messages of one network read; a message that does not decode is skipped."""
    out = bytearray()
    for payload in payloads:
        try:
            response = pb.StreamCppResponse.FromString(payload)
        except DecodeError:  # the original skips what it cannot read, and so do we
            continue
        for name, body in events(response):
            out += sse(name, body)
    return bytes(out)
