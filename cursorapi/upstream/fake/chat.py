"""The fake's chat: StreamUnifiedChatWithTools answered in the 2026 stream's shape, scripted by `#fake:`."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING

from .. import jwt
from ..errors import CursorError
from ..framing import encode_end_stream, encode_frame
from ..proto import aiserver_pb2 as pb
from . import directives as fd
from . import structured as fake_structured
from . import tool_play
from .server import Request, Responder

if TYPE_CHECKING:
    from .app import FakeCursor

HUMAN = 1
WINDOW = 200_000
# Cut sizes for split=1: they land inside 5-byte headers and across frame boundaries.
_SPLIT_SIZES = (1, 2, 3, 7, 4, 11, 5)

_ERROR_ENUMS = {
    # Connect code names a test may ask for, and the detail the real server attaches to them.
    "resource_exhausted": 50,
    "rate_limited": 50,
    "unauthenticated": 38,
    "not_found": 39,
    "permission_denied": 4,
    "invalid_argument": 36,
    "bad_request": 36,
    "deadline_exceeded": 25,
    "timeout": 25,
    "unavailable": 41,
    "internal": 0,
    "unknown": 0,
    "user_aborted_request": 21,
}


def cursor_error(name: str) -> CursorError:
    """An error by Connect code (`resource_exhausted`), type string (`pro_user_only`) or number."""
    from ..errors import ERRORS

    if name.isdigit():
        return CursorError.from_enum(int(name), title="Fake error", detail=f"error {name} on request")
    if name in _ERROR_ENUMS:
        error = _ERROR_ENUMS[name]
        code = (
            name
            if name in ("resource_exhausted", "unauthenticated", "not_found", "permission_denied")
            else None
        )
        return CursorError.from_enum(
            error, code=code, title=name.replace("_", " ").capitalize(), detail="fake"
        )
    for number, (type_name, _status) in ERRORS.items():
        if type_name == name:
            return CursorError.from_enum(number, title=name.replace("_", " ").capitalize(), detail="fake")
    return CursorError.from_enum(0, code="unknown", title="Unknown", detail=f"unknown fake error {name}")


_BOMB: bytes | None = None


async def _send_bad_frame(out: _Writer, responder: Responder, kind: str) -> None:
    """A frame no client should accept: skipped (malformed) or the end of the call (the others)."""
    global _BOMB
    if kind == "malformed":
        # A data frame whose protobuf does not parse (a field tag with wire type 7); the stream goes on.
        await out.frame(encode_frame(b"\x0f\xff\xff\xff", compress=False))
        return
    if kind == "oversized":
        # A header announcing a 2 GiB message: a client must refuse it before buffering any of it.
        await out.frame(b"\x00\x7f\xff\xff\xff" + b"\x00" * 64)
    else:
        # A small gzip frame that inflates to 40 MiB, past the client's 32 MiB frame limit.
        if _BOMB is None:
            import zlib

            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            _BOMB = packer.compress(b"\x00" * (40 * 1024 * 1024)) + packer.flush()
        await out.frame(b"\x01" + len(_BOMB).to_bytes(4, "big") + _BOMB)
    await responder.end()


def _hinted(error: CursorError, d: fd.Directives) -> CursorError:
    """The error with a retry hint in its ErrorDetails, as a rate limit that says when may carry."""
    if d.retry_after is not None and error.error is not None:
        error.additional_info["retry_after"] = str(d.retry_after)
    return error


def last_user_text(request: pb.StreamUnifiedChatRequestWithTools) -> str:
    for message in reversed(request.stream_unified_chat_request.conversation):
        if message.type == HUMAN:
            return message.text
    return ""


def _count_tokens(request: pb.StreamUnifiedChatRequestWithTools) -> int:
    chat = request.stream_unified_chat_request
    chars = len(chat.explicit_context.context) + sum(len(m.text) for m in chat.conversation)
    return max(1, chars // 4)


# Bytes that are no protobuf message (a truncated varint key): the fake's "broken upstream" payload.
GARBAGE = b"\xff\xff\xff\xff"


def _frame(
    response: pb.StreamUnifiedChatResponse | None = None, *, tool_call=None, force_gzip=False
) -> bytes:
    if tool_call is not None:
        message = pb.StreamUnifiedChatResponseWithTools(client_side_tool_v2_call=tool_call)
    else:
        message = pb.StreamUnifiedChatResponseWithTools(stream_unified_chat_response=response)
    return encode_frame(message.SerializeToString(), compress=True if force_gzip else None)


def _tool_call_frames(index: int, call: fd.ToolCall, force_gzip: bool) -> list[bytes]:
    """A streamed MCP call: a compact preview, then cumulative pretty JSON, then the last frame."""
    server, name = "custom", call.name
    if call.name.startswith("mcp__") and call.name.count("__") >= 2:
        _, server, name = call.name.split("__", 2)
    call_id = f"toolu_fake_{index:02d}"
    arguments = json.loads(call.arguments)
    compact = json.dumps(arguments, separators=(",", ":"))
    pretty = json.dumps(arguments, separators=(", ", ": "))
    params = pb.MCPParams(tools=[pb.MCPParams.Tool(name=name, server_name=server)])
    announce = pb.StreamUnifiedChatResponse(
        tool_call_announcement=pb.StreamUnifiedChatResponse.ToolCallAnnouncement(
            tool=19, tool_call_id=call_id, name=name
        )
    )
    frames = [_frame(announce, force_gzip=force_gzip)]
    # The cumulative frames grow by pieces; the first one is a compact preview the client must drop.
    cuts = [len(pretty) * k // 3 for k in (1, 2, 3)]
    pieces = [compact[: max(1, len(compact) // 2)], *(pretty[:c] for c in cuts)]
    for n, raw in enumerate(pieces):
        last = n == len(pieces) - 1
        frames.append(
            _frame(
                tool_call=pb.ClientSideToolV2Call(
                    tool=19,
                    mcp_params=params,
                    tool_call_id=call_id,
                    raw_args=raw,
                    is_streaming=True,
                    is_last_message=last,
                    tool_index=index,
                    model_call_id=f"mc_fake_{index:02d}",
                    timeout_ms=200000.0,
                ),
                force_gzip=force_gzip,
            )
        )
    return frames


class _Writer:
    """Sends frames with the scripted timing and cutting."""

    def __init__(self, responder: Responder, d: fd.Directives) -> None:
        self.responder = responder
        self.d = d
        self.sent_any = False
        self._cut = 0

    async def frame(self, data: bytes) -> None:
        if self.sent_any and self.d.delay_ms:
            await asyncio.sleep(self.d.delay_ms / 1000)
        self.sent_any = True
        if not self.d.split:
            await self.responder.send(data)
            return
        view = memoryview(data)
        while view:
            size = _SPLIT_SIZES[self._cut % len(_SPLIT_SIZES)]
            self._cut += 1
            await self.responder.send(bytes(view[:size]))
            view = view[size:]
            await asyncio.sleep(0)


async def stream(
    fake: FakeCursor,
    token: jwt.CursorToken,
    request: pb.StreamUnifiedChatRequestWithTools,
    http: Request,
    responder: Responder,
) -> None:
    try:
        d, user_text = fd.parse(last_user_text(request))
    except fd.DirectiveError as exc:
        error = CursorError.from_enum(
            36, code="invalid_argument", title="Bad #fake directive", detail=str(exc)
        )
        await responder.start(200, [("content-type", "application/connect+proto")])
        await responder.send(encode_end_stream(error))
        await responder.end()
        return
    if fake.tool_use and d == fd.Directives():
        # Tool-use mode (docs/fakecursor.md): without directives, play a model that uses the tools.
        play = tool_play.plan(request)
        if play is not None and play.tool is not None:
            d.tool_calls.append(fd.ToolCall(play.tool, play.arguments))
        elif play is not None:
            d.reply = play.reply
        if request.stream_unified_chat_request.thinking_level:  # a thinking model thinks first
            d.thinking = tool_play.thoughts(play, user_text)
    if d.status is not None and d.status != 200:
        error = _hinted(cursor_error(d.error or _code_for_status(d.status)), d)
        body = json.dumps(error.to_unary_json()).encode()
        headers = [("content-type", "application/json")]
        if d.retry_after is not None:
            headers.append(("retry-after", str(d.retry_after)))
        await responder.respond(d.status, headers, body)
        return

    await responder.start(200, [("content-type", "application/connect+proto")])
    if d.stall_ms:
        await asyncio.sleep(d.stall_ms / 1000)
    out = _Writer(responder, d)
    gz = d.gzip
    chat = request.stream_unified_chat_request
    prompt_tokens = _count_tokens(request)

    # What every real turn starts with: keep-alives, the turn's ids, the context window.
    await out.frame(_frame(pb.StreamUnifiedChatResponse(), force_gzip=gz))
    await out.frame(
        _frame(
            pb.StreamUnifiedChatResponse(bubble_id=str(uuid.uuid4()), conversation_id=chat.conversation_id),
            force_gzip=gz,
        )
    )
    await out.frame(_frame(_window(prompt_tokens), force_gzip=gz))

    if d.error and d.error_after is None:
        await out.frame(encode_end_stream(_hinted(cursor_error(d.error), d), gzip=gz))
        await responder.end()
        return

    if d.thinking:
        for piece in fd.natural_chunks(d.thinking):
            thinking = pb.ConversationMessage.Thinking(text=piece)
            await out.frame(_frame(pb.StreamUnifiedChatResponse(thinking=thinking), force_gzip=gz))
        signature = pb.ConversationMessage.Thinking(signature="fake-signature-" + str(len(d.thinking)))
        await out.frame(_frame(pb.StreamUnifiedChatResponse(thinking=signature), force_gzip=gz))

    reply = d.reply * max(1, d.repeat) if d.reply is not None else None
    if reply is None:  # unscripted, it follows output-format instructions (a JSON schema) as a model would
        reply = "" if d.tool_calls else fake_structured.reply(request, d, user_text)
    pieces = fd.split_text(reply, d.chunks) if d.chunks else fd.natural_chunks(reply) if reply else []
    for sent, piece in enumerate(pieces):
        if d.bad_frame and sent >= (d.error_after or 0):
            await _send_bad_frame(out, responder, d.bad_frame)
            if d.bad_frame != "malformed":
                return
        if d.drop_after is not None and sent >= d.drop_after:
            responder.drop()
            return
        if d.error and d.error_after is not None and sent >= d.error_after:
            break
        if d.garbage:  # a well-formed envelope around a payload no protobuf parser accepts
            await out.frame(encode_frame(GARBAGE, compress=True if gz else None))
            continue
        await out.frame(_frame(pb.StreamUnifiedChatResponse(text=piece), force_gzip=gz))
    if d.drop_after is not None:
        responder.drop()
        return
    if d.error:
        await out.frame(encode_end_stream(_hinted(cursor_error(d.error), d), gzip=gz))
        await responder.end()
        return

    if d.web_refs:
        # The sources of an -online reply: one web_citation frame, after the text.
        references = [pb.WebReference(title=title, url=url) for title, url in d.web_refs]
        citation = pb.WebCitation(references=references)
        await out.frame(_frame(pb.StreamUnifiedChatResponse(web_citation=citation), force_gzip=gz))

    for index, call in enumerate(d.tool_calls, start=1):
        for data in _tool_call_frames(index, call, gz):
            await out.frame(data)

    completion_tokens = max(1, len(reply) // 4) if reply else 0
    await out.frame(_frame(_window(prompt_tokens + completion_tokens), force_gzip=gz))
    await out.frame(_frame(pb.StreamUnifiedChatResponse(unknown_flag_32=1), force_gzip=gz))
    await out.frame(encode_end_stream(None, gzip=gz))
    await responder.end()


def _window(tokens: int) -> pb.StreamUnifiedChatResponse:
    status = pb.StreamUnifiedChatResponse.ContextWindowStatus(
        percent_remaining=max(0, 100 - tokens * 100 // WINDOW), tokens_used=tokens, window_size=WINDOW
    )
    return pb.StreamUnifiedChatResponse(context_window_status=status)


def _code_for_status(status: int) -> str:
    return {
        401: "unauthenticated",
        403: "permission_denied",
        404: "not_found",
        429: "resource_exhausted",
        500: "internal",
        504: "deadline_exceeded",
        400: "invalid_argument",
    }.get(status, "unavailable" if status >= 500 else "unknown")


def prompt_dry_run(request: pb.StreamUnifiedChatRequestWithTools) -> pb.GetPromptDryRunResponse:
    user_tokens = max(1, len(last_user_text(request)) // 4)
    return pb.GetPromptDryRunResponse(
        user_message_token_count=pb.TokenCount(num_tokens=user_tokens),
        full_conversation_token_count=pb.TokenCount(num_tokens=_count_tokens(request)),
    )


# name, client display name, server name, thinking, images, max, non-max
_MODELS = [
    ("default", "Auto", "default", False, True, False, True),
    ("claude-4.5-sonnet", "Sonnet 4.5", "claude-4.5-sonnet", False, True, True, True),
    (
        "claude-4.5-sonnet-thinking",
        "Sonnet 4.5 Thinking",
        "claude-4.5-sonnet-thinking",
        True,
        True,
        True,
        True,
    ),
    ("claude-4.5-opus-high-thinking", "Opus 4.5", "claude-4.5-opus-high-thinking", True, True, True, True),
    ("gpt-5.1", "GPT-5.1", "gpt-5.1", True, True, True, True),
    ("gpt-5.1-codex", "GPT-5.1 Codex", "gpt-5.1-codex", True, True, True, True),
    ("gemini-3-pro", "Gemini 3 Pro", "gemini-3-pro-preview", True, True, True, True),
    ("composer-1", "Composer 1", "composer-1", False, False, False, True),
    ("grok-code-fast-1", "Grok Code", "grok-code-fast-1", False, False, False, True),
    ("composer-2", "Composer 2", "composer-2", False, True, True, True),  # in no built-in table
]


def available_models() -> pb.AvailableModelsResponse:
    models = []
    for name, display, server, thinking, images, max_mode, non_max in _MODELS:
        models.append(
            pb.AvailableModelsResponse.AvailableModel(
                name=name,
                default_on=True,
                supports_thinking=thinking,
                supports_images=images,
                supports_max_mode=max_mode,
                supports_non_max_mode=non_max,
                supports_agent=True,
                client_display_name=display,
                server_model_name=server,
                context_token_limit=200_000,
            )
        )
    return pb.AvailableModelsResponse(models=models)
