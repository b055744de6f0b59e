"""The Connect envelope: `[flags:1][length:4, big-endian][payload]`, and Cursor's ways of using it.

Streaming calls send one envelope and get back a sequence of them: protobuf messages (flag bit 0
= gzip), then one end-of-stream envelope (bit 1) whose JSON is `{}` or a Connect error. Unary calls
use bare bodies, and answer errors with a JSON body on a non-200 status.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass

from .errors import USER_ABORTED, CursorError, ProtocolError
from .scrub import scrub

FLAG_COMPRESSED = 0x01
FLAG_END_STREAM = 0x02
_KNOWN_FLAGS = FLAG_COMPRESSED | FLAG_END_STREAM
_HEADER = struct.Struct(">BI")
HEADER_SIZE = _HEADER.size

DEFAULT_MAX_FRAME_SIZE = 32 * 1024 * 1024
GZIP_THRESHOLD = 1024  # Cursor's client gzips payloads larger than this, when that makes them smaller
_GZIP_LEVEL = 6
_GZIP_WBITS = 31  # zlib's window bits for a gzip wrapper (header, CRC32, ISIZE)
_MAX_ERROR_JSON = 1024 * 1024
_MAX_ERROR_MESSAGE = 200
_JWT = re.compile(r"eyJ[\w-]*(?:\.[\w-]*)*")


@dataclass(frozen=True, slots=True)
class Message:
    """One protobuf message from the stream, already decompressed."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class EndOfStream:
    """The stream's last frame: `error` is None for a normal end."""

    error: CursorError | None = None


Frame = Message | EndOfStream
_NORMAL_END = EndOfStream()


# --- encoding ----------------------------------------------------------------------------------


def encode_frame(payload: bytes, *, compress: bool | None = None) -> bytes:
    """One data envelope. compress=None gzips payloads over 1 KiB when that saves bytes."""
    flags = 0
    if compress or (compress is None and len(payload) > GZIP_THRESHOLD):
        packed = _gzip(payload)
        if compress or len(packed) < len(payload):
            payload, flags = packed, FLAG_COMPRESSED
    return _envelope(flags, payload)


def encode_end_stream(error: CursorError | None = None, *, gzip: bool = False) -> bytes:
    """The end-of-stream envelope: `{}`, or the error as Cursor's server would send it."""
    body = b"{}" if error is None else json.dumps(error.to_json(), separators=(",", ":")).encode()
    if gzip:
        return _envelope(FLAG_END_STREAM | FLAG_COMPRESSED, _gzip(body))
    return _envelope(FLAG_END_STREAM, body)


def _envelope(flags: int, payload: bytes) -> bytes:
    if len(payload) > 0xFFFFFFFF:
        raise ValueError("a Connect envelope holds at most 4 GiB")
    return b"".join((_HEADER.pack(flags, len(payload)), payload))


def _gzip(data: bytes) -> bytes:
    # zlib rather than the gzip module: same format, mtime 0, so equal input gives equal bytes.
    return zlib.compress(data, _GZIP_LEVEL, wbits=_GZIP_WBITS)


# --- streaming decoder -------------------------------------------------------------------------


class FrameDecoder:
    """Turns the chunks of a response body, cut anywhere, into Messages and one EndOfStream.

    Frames decoded before a malformed one are still returned; the ProtocolError then comes from
    the next feed() or from close(), so content that arrived intact is never thrown away.
    """

    __slots__ = ("_buffer", "_error", "_finished", "_max", "_need")

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self._max = max_frame_size
        self._buffer = bytearray()  # the start of a frame whose end has not arrived yet
        self._need = HEADER_SIZE  # bytes the buffer must hold before parsing can make progress
        self._finished = False
        self._error: ProtocolError | None = None

    @property
    def finished(self) -> bool:
        """True once the end-of-stream frame has been read."""
        return self._finished

    @property
    def buffered(self) -> int:
        """Bytes held back as the start of an incomplete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        if self._error is not None:
            raise self._error
        if self._finished or not data:
            return []
        buffer = self._buffer
        if buffer:
            buffer += data
            # Cheap exit while a frame is still incomplete: tiny chunks must not cost a parse each.
            if len(buffer) < self._need:
                return []
            data = bytes(buffer)
            buffer.clear()
        elif not isinstance(data, bytes):
            data = bytes(data)
        frames, used = self._parse(data)
        if used < len(data) and not self._finished and self._error is None:
            buffer += memoryview(data)[used:]
        return frames

    def close(self) -> None:
        """Call when the body ends: raises ProtocolError unless the stream ended properly."""
        if self._error is not None:
            raise self._error
        if self._finished:
            return
        if self._buffer:
            raise ProtocolError(f"truncated frame: the body ended {len(self._buffer)} bytes into a frame")
        raise ProtocolError("stream ended without an end-of-stream frame")

    def _parse(self, data: bytes) -> tuple[list[Frame], int]:
        """Decode the complete frames at the start of `data`; returns them and the bytes used."""
        frames: list[Frame] = []
        pos = 0
        size = len(data)
        while size - pos >= HEADER_SIZE:
            flags, length = _HEADER.unpack_from(data, pos)
            if length > self._max:
                error = ProtocolError(f"frame of {length} bytes exceeds the limit of {self._max} bytes")
                return self._fail(error, frames), pos
            end = pos + HEADER_SIZE + length
            if end > size:
                self._need = end - pos
                return frames, pos
            try:
                frame = self._frame(flags, data[pos + HEADER_SIZE : end])
            except ProtocolError as error:
                return self._fail(error, frames), pos
            pos = end
            if frame is not None:
                frames.append(frame)
                if type(frame) is EndOfStream:
                    self._finished = True
                    return frames, pos
        self._need = HEADER_SIZE
        return frames, pos

    def _fail(self, error: ProtocolError, frames: list[Frame]) -> list[Frame]:
        self._error = error
        self._buffer.clear()
        if not frames:
            raise error
        return frames

    def _frame(self, flags: int, payload: bytes) -> Frame | None:
        if flags & ~_KNOWN_FLAGS:
            return None  # a flag from a newer protocol revision: skipping is what Connect intends
        if flags & FLAG_COMPRESSED and payload:
            payload = _gunzip(payload, self._max)
        if flags & FLAG_END_STREAM:
            return _end_of_stream(payload)
        # Cursor sends empty frames as keep-alives; they carry no message.
        return Message(payload) if payload else None


def _gunzip(data: bytes, limit: int) -> bytes:
    """Inflate gzip data (one or more members) without ever producing more than `limit` bytes."""
    parts: list[bytes] = []
    total = 0
    while True:
        inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
        try:
            # max_length stops a gzip bomb after one byte past the limit instead of after all of it.
            part = inflater.decompress(data, limit - total + 1)
        except zlib.error as exc:
            raise ProtocolError("gzip frame does not inflate") from exc
        total += len(part)
        if total > limit:
            raise ProtocolError(f"gzip frame inflates past the limit of {limit} bytes")
        parts.append(part)
        if not inflater.eof:
            raise ProtocolError("gzip frame is truncated")
        data = inflater.unused_data
        if not data.strip(b"\0"):  # zero padding after the last member is legal gzip
            return parts[0] if len(parts) == 1 else b"".join(parts)


def _end_of_stream(payload: bytes) -> EndOfStream:
    if not payload:
        return _NORMAL_END
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("end-of-stream frame is not valid JSON") from exc
    if not isinstance(obj, dict):
        raise ProtocolError("end-of-stream frame is not a JSON object")
    if obj.get("error") is None:
        return _NORMAL_END
    error = CursorError.from_json(obj)
    # Cursor ends a stream the user stopped with an "error"; for us it is an ordinary end.
    return _NORMAL_END if error.error == USER_ABORTED else EndOfStream(error)


# --- unary calls -------------------------------------------------------------------------------


def decode_unary_body(body: bytes, *, max_size: int = DEFAULT_MAX_FRAME_SIZE) -> bytes:
    """The protobuf of a unary answer, unwrapping it when it came as exactly one envelope."""
    # A bare protobuf never starts with 0x00 or 0x01 (field number 0 is invalid), so this is safe.
    if len(body) >= HEADER_SIZE and body[0] <= FLAG_COMPRESSED:
        flags, length = _HEADER.unpack_from(body)
        if HEADER_SIZE + length == len(body):
            payload = bytes(body[HEADER_SIZE:])
            return _gunzip(payload, max_size) if flags and payload else payload
    return body


def decode_unary_error(status: int, body: bytes, content_type: str) -> CursorError:
    """The error in a non-200 (or JSON) answer: Connect's JSON error when there is one."""
    code = _code_for_status(status)
    obj = _json_object(body)
    if obj is not None and ("code" in obj or "error" in obj):
        return CursorError.from_json(obj, default_code=code)
    return CursorError(code, message=_describe(status, body, content_type))


def _code_for_status(status: int) -> str:
    codes = {
        400: "invalid_argument",
        401: "unauthenticated",
        403: "permission_denied",
        404: "not_found",
        408: "deadline_exceeded",
        409: "aborted",
        429: "resource_exhausted",
        499: "canceled",
        500: "internal",
        501: "unimplemented",
        504: "deadline_exceeded",
    }
    if status in codes:
        return codes[status]
    return "unavailable" if 500 <= status < 600 else "unknown"


def _json_object(body: bytes) -> dict[str, object] | None:
    if body[:2] == b"\x1f\x8b":  # a gzipped body whose Content-Encoding nobody undid
        try:
            body = _gunzip(body, _MAX_ERROR_JSON)
        except ProtocolError:
            return None
    if body.lstrip()[:1] != b"{":
        return None
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _describe(status: int, body: bytes, content_type: str) -> str:
    """A short message for a body that is not a Connect error; quotes only short plain text."""
    kind = content_type.split(";", 1)[0].strip()
    message = f"Cursor answered HTTP {status}" + (f" ({kind})" if kind else "")
    if body and kind in ("", "text/plain", "application/json"):
        text = " ".join(body[:_MAX_ERROR_MESSAGE].decode("utf-8", "replace").split())
        text = scrub(_JWT.sub("[token]", text))
        if text and text.isprintable():
            message = f"{message}: {text}"
    if len(message) > _MAX_ERROR_MESSAGE:
        message = message[: _MAX_ERROR_MESSAGE - 1] + "…"
    return message
