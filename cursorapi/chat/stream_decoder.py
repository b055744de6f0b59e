"""Cursor's chat stream (StreamUnifiedChatResponseWithTools messages) to dialect-free events."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from cursorapi.upstream.errors import ProtocolError
from cursorapi.upstream.proto import aiserver_pb2 as pb

from .types import (
    ContentEvent,
    Finish,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
)

log = logging.getLogger(__name__)

MCP = 19
# Cursor names a call `<tool_call_id>` plus a model call id we must send back with the result; we
# join them with a separator that is valid in both OpenAI and Anthropic tool-call ids.
MODEL_CALL_SEPARATOR = "__mc__"


def client_tool_id(tool_call_id: str, model_call_id: str) -> str:
    return f"{tool_call_id}{MODEL_CALL_SEPARATOR}{model_call_id}" if model_call_id else tool_call_id


def split_tool_id(value: str) -> tuple[str, str]:
    call_id, _, model_call_id = value.partition(MODEL_CALL_SEPARATOR)
    return call_id, model_call_id


def tool_name(call: pb.ClientSideToolV2Call) -> str:
    if call.HasField("mcp_params") and call.mcp_params.tools:
        tool = call.mcp_params.tools[0]
        if tool.server_name and tool.server_name != "custom":
            return f"mcp__{tool.server_name}__{tool.name}"
        return tool.name
    if call.name:
        return call.name
    # A built-in Cursor tool: name it after its enum value (read_file, edit_file, ...).
    enum_name = pb.ClientSideToolV2.Name(call.tool) if call.tool in pb.ClientSideToolV2.values() else "tool"
    return enum_name.removeprefix("CLIENT_SIDE_TOOL_V2_").lower()


@dataclass(slots=True)
class _Call:
    index: int
    emitted: str = ""
    previous: str | None = None  # the last cumulative raw_args, not yet confirmed by a later frame
    done: bool = False


class StreamDecoder:
    """Stateful: feed each decoded message; call finish() once the stream has ended normally.

    Streamed tool arguments arrive cumulatively, and the first frame of a call can be a compact preview
    that the next frames do not extend. Each frame is therefore confirmed by the next before its new
    part is emitted, so what a client receives is always a prefix of the final JSON.
    """

    def __init__(self, *, web_references: bool = True) -> None:
        self.web_references = web_references  # off: Cursor's web citations are dropped
        self._calls: dict[str, _Call] = {}
        self._next_index = 0
        self.completed_calls = 0
        self.first_window: int | None = None
        self.last_window: int | None = None
        self.text_chars = 0

    def feed(self, payload: bytes) -> list[ContentEvent]:
        message = pb.StreamUnifiedChatResponseWithTools()
        try:
            message.ParseFromString(payload)
        except DecodeError:
            # Not a message at all (new fields would decode): a broken upstream, not an empty reply.
            raise ProtocolError(f"a chat frame of {len(payload)} bytes does not decode") from None
        kind = message.WhichOneof("response")
        if kind == "stream_unified_chat_response":
            return self._response(message.stream_unified_chat_response)
        if kind == "client_side_tool_v2_call":
            return self._tool_call(message.client_side_tool_v2_call)
        return []

    def _response(self, r: pb.StreamUnifiedChatResponse) -> list[ContentEvent]:
        events: list[ContentEvent] = []
        if r.HasField("context_window_status"):
            used = r.context_window_status.tokens_used
            if self.first_window is None:
                self.first_window = used
            self.last_window = used
        if r.HasField("thinking"):
            t = r.thinking
            if t.text:
                events.append(ThinkingDelta(t.text))
            if t.signature:
                events.append(ThinkingSignature(t.signature))
        if r.text:
            self.text_chars += len(r.text)
            events.append(TextDelta(r.text))
        if self.web_references and r.HasField("web_citation") and r.web_citation.references:
            lines = [f"{n}. [{ref.title}]({ref.url})" for n, ref in enumerate(r.web_citation.references, 1)]
            events.append(TextDelta("\n\nWebReferences:\n" + "\n".join(lines) + "\n"))
        return events

    def _tool_call(self, c: pb.ClientSideToolV2Call) -> list[ContentEvent]:
        key = c.tool_call_id or f"#{len(self._calls)}"
        call = self._calls.get(key)
        events: list[ContentEvent] = []
        if call is None:
            call = self._calls[key] = _Call(self._next_index)
            self._next_index += 1
            events.append(
                ToolCallStart(call.index, client_tool_id(c.tool_call_id, c.model_call_id), tool_name(c))
            )
        if call.done:
            return events
        raw = c.raw_args
        if not c.is_streaming or c.is_last_message:
            self._emit(call, raw, events, final=True)
            call.done = True
            self.completed_calls += 1
            events.append(ToolCallEnd(call.index))
            return events
        if call.previous is not None:
            if raw.startswith(call.previous):
                self._emit(call, call.previous, events)
            elif not call.emitted:
                pass  # the held frame was a preview that this one restarts: drop it
        call.previous = raw
        return events

    def _emit(self, call: _Call, value: str, events: list[ContentEvent], final: bool = False) -> None:
        if value.startswith(call.emitted):
            delta = value[len(call.emitted) :]
            if delta:
                call.emitted = value
                events.append(ToolCallDelta(call.index, delta))
        elif final:
            log.warning("tool call %d ended with arguments that do not extend what was streamed", call.index)

    def finish(self) -> tuple[list[ContentEvent], Finish]:
        """Close calls the stream left open and say why the reply ended."""
        events: list[ContentEvent] = []
        for call in self._calls.values():
            if not call.done:
                if call.previous is not None:
                    self._emit(call, call.previous, events, final=True)
                call.done = True
                self.completed_calls += 1
                events.append(ToolCallEnd(call.index))
        return events, Finish("tool_calls" if self.completed_calls else "stop", self.usage())

    def usage(self) -> Usage | None:
        """Cursor streams its context window's fill level; the growth during the reply is its size."""
        if self.first_window is None or self.last_window is None:
            return None
        return Usage(self.first_window, max(0, self.last_window - self.first_window))
