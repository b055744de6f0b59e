"""The Connect envelope codec: encoding, the incremental decoder, unary bodies and error bodies."""

from __future__ import annotations

import base64
import gzip
import json
import os
import struct
import tracemalloc
import zlib
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cursorapi.upstream.errors import CursorError, ProtocolError
from cursorapi.upstream.framing import (
    EndOfStream,
    FrameDecoder,
    Message,
    decode_unary_body,
    decode_unary_error,
    encode_end_stream,
    encode_frame,
)
from tests import captures

HI = bytes.fromhex("12040a024869")  # WithTools{2: {1: "Hi"}}
HI_FRAME = bytes.fromhex("0000000006") + HI
END_FRAME = bytes.fromhex("02000000027b7d")
RATE_LIMITED_ERROR = (
    b'{"error":{"code":"resource_exhausted","message":"Error","details":[{"type":"aiserver.v1.ErrorDetails",'
    b'"debug":{},"value":"CDISIQoMUmF0ZSBsaW1pdGVkEhFUb28gbWFueSByZXF1ZXN0cxgB"}]}}'
)
MIB = 1024 * 1024


def envelope(flags: int, payload: bytes) -> bytes:
    return struct.pack(">BI", flags, len(payload)) + payload


def error_end(error_json: dict[str, object]) -> bytes:
    return envelope(0x02, json.dumps(error_json).encode())


def details_value(raw: bytes, *, padded: bool) -> str:
    value = base64.b64encode(raw).decode()
    return value if padded else value.rstrip("=")


def feed_all(decoder: FrameDecoder, chunks: Iterable[bytes]) -> list[Message | EndOfStream]:
    out: list[Message | EndOfStream] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def decode(data: bytes, **kwargs: int) -> list[Message | EndOfStream]:
    decoder = FrameDecoder(**kwargs)
    frames = decoder.feed(data)
    decoder.close()
    return frames


def payloads(frames: list[Message | EndOfStream]) -> list[bytes]:
    return [f.payload for f in frames if isinstance(f, Message)]


# --- reference vectors ---------------------------------------------------------------------------


def test_hi_text_frame_bytes() -> None:
    assert encode_frame(HI) == HI_FRAME


def test_normal_end_bytes() -> None:
    assert encode_end_stream() == END_FRAME


def test_vectors_decode() -> None:
    assert decode(HI_FRAME + END_FRAME) == [Message(HI), EndOfStream(None)]


def test_rate_limited_error_frame() -> None:
    (end,) = decode(envelope(0x02, RATE_LIMITED_ERROR))
    assert isinstance(end, EndOfStream)
    error = end.error
    assert error is not None
    assert (error.http_status, error.type, error.code) == (429, "rate_limited", "resource_exhausted")
    assert (error.title, error.detail, error.is_expected) == ("Rate limited", "Too many requests", True)


# --- encoding --------------------------------------------------------------------------------


def test_small_payloads_are_never_compressed() -> None:
    payload = b"a" * 1024
    assert encode_frame(payload) == envelope(0, payload)


def test_large_compressible_payloads_are_gzipped() -> None:
    payload = b"abc" * 1000
    frame = encode_frame(payload)
    assert frame[0] == 0x01
    assert frame[5:8] == b"\x1f\x8b\x08"
    assert len(frame) < len(payload)
    assert gzip.decompress(frame[5:]) == payload


def test_large_incompressible_payloads_stay_plain() -> None:
    payload = os.urandom(4096)
    assert encode_frame(payload) == envelope(0, payload)


def test_compress_forced_either_way() -> None:
    assert encode_frame(b"x", compress=True)[0] == 0x01
    assert gzip.decompress(encode_frame(b"x", compress=True)[5:]) == b"x"
    assert encode_frame(b"abc" * 1000, compress=False) == envelope(0, b"abc" * 1000)


def test_gzip_output_is_deterministic() -> None:
    assert encode_frame(b"abc" * 1000) == encode_frame(b"abc" * 1000)


def test_end_stream_with_error() -> None:
    error = CursorError.from_enum(50, title="Rate limited", detail="Too many requests", message="Error")
    frame = encode_end_stream(error)
    assert frame[0] == 0x02
    assert json.loads(frame[5:]) == error.to_json()
    (end,) = decode(frame)
    assert isinstance(end, EndOfStream) and end.error is not None
    assert (end.error.type, end.error.title) == ("rate_limited", "Rate limited")


def test_gzipped_end_stream() -> None:
    frame = encode_end_stream(gzip=True)
    assert frame[0] == 0x03
    assert decode(frame) == [EndOfStream(None)]
    error = CursorError.from_enum(12)
    (end,) = decode(encode_end_stream(error, gzip=True))
    assert isinstance(end, EndOfStream) and end.error is not None and end.error.error == 12


# --- chunking --------------------------------------------------------------------------------


def sample_stream() -> tuple[bytes, list[bytes]]:
    messages = [HI, b"\x12\x00", b"z" * 3000, os.urandom(40)]
    body = (
        encode_frame(messages[0])
        + envelope(0, b"")  # empty frame: skipped
        + encode_frame(messages[1])
        + encode_frame(messages[2])  # gzipped
        + encode_frame(messages[3])
        + END_FRAME
    )
    return body, messages


def test_split_in_two_at_every_offset() -> None:
    body, messages = sample_stream()
    assert body[5 + len(HI) + 5 + 5 + 2] == 0x01  # the third message really is gzipped
    for cut in range(len(body) + 1):
        decoder = FrameDecoder()
        frames = feed_all(decoder, [body[:cut], body[cut:]])
        assert payloads(frames) == messages, cut
        assert frames[-1] == EndOfStream(None)
        assert decoder.finished
        decoder.close()


def test_one_byte_chunks() -> None:
    body, messages = sample_stream()
    decoder = FrameDecoder()
    frames = feed_all(decoder, chunked(body, 1))
    assert payloads(frames) == messages
    assert frames[-1] == EndOfStream(None)


def test_every_three_way_split_of_a_header() -> None:
    body = HI_FRAME + END_FRAME
    for a in range(1, 12):
        for b in range(a, 13):
            frames = feed_all(FrameDecoder(), [body[:a], body[a:b], body[b:]])
            assert frames == [Message(HI), EndOfStream(None)], (a, b)


def test_many_frames_in_one_chunk() -> None:
    body = b"".join(encode_frame(bytes([i]) * (i + 1)) for i in range(200)) + END_FRAME
    frames = decode(body)
    assert payloads(frames) == [bytes([i]) * (i + 1) for i in range(200)]


def test_empty_chunks_are_harmless() -> None:
    decoder = FrameDecoder()
    frames = feed_all(decoder, [b"", HI_FRAME[:3], b"", HI_FRAME[3:], b"", END_FRAME, b""])
    assert frames == [Message(HI), EndOfStream(None)]


def test_bytes_like_input() -> None:
    decoder = FrameDecoder()
    frames = decoder.feed(bytearray(HI_FRAME[:4])) + decoder.feed(memoryview(HI_FRAME[4:] + END_FRAME))
    assert frames == [Message(HI), EndOfStream(None)]
    assert all(type(f.payload) is bytes for f in frames if isinstance(f, Message))


def test_buffered_counts_the_incomplete_frame() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(HI_FRAME + HI_FRAME[:7]) == [Message(HI)]
    assert decoder.buffered == 7
    assert decoder.feed(HI_FRAME[7:]) == [Message(HI)]
    assert decoder.buffered == 0


# --- frame kinds -----------------------------------------------------------------------------


def test_empty_data_frames_yield_nothing() -> None:
    assert decode(envelope(0, b"") + envelope(1, b"") + END_FRAME) == [EndOfStream(None)]


def test_gzip_frame_inflating_to_nothing_is_skipped() -> None:
    assert decode(envelope(1, gzip.compress(b"")) + END_FRAME) == [EndOfStream(None)]


def test_zero_length_end_frame_is_a_normal_end() -> None:
    assert decode(envelope(2, b"")) == [EndOfStream(None)]


@pytest.mark.parametrize("body", [b"{}", b' { "metadata": {"x": ["1"]} } ', b'{"error": null}'])
def test_end_frame_without_error_is_a_normal_end(body: bytes) -> None:
    assert decode(envelope(2, body)) == [EndOfStream(None)]


@pytest.mark.parametrize("padded", [False, True])
def test_error_end_with_padded_or_unpadded_details(padded: bool) -> None:
    raw = bytes.fromhex("080c") + b"\x12\x09\x0a\x07Expired"  # {error: 12, details: {title: "Expired"}}
    assert len(raw) % 3  # padding would be needed
    value = details_value(raw, padded=padded)
    frame = error_end(
        {
            "error": {
                "code": "unauthenticated",
                "details": [{"type": "aiserver.v1.ErrorDetails", "value": value}],
            }
        }
    )
    (end,) = decode(frame)
    assert isinstance(end, EndOfStream) and end.error is not None
    assert (end.error.error, end.error.type, end.error.http_status, end.error.title) == (
        12,
        "auth_token_expired",
        401,
        "Expired",
    )


def test_error_end_without_details() -> None:
    (end,) = decode(error_end({"error": {"code": "permission_denied", "message": "Forbidden"}}))
    assert isinstance(end, EndOfStream) and end.error is not None
    assert (end.error.error, end.error.http_status, end.error.message) == (None, 403, "Forbidden")


def test_error_end_with_several_details() -> None:
    details = [
        CursorError.from_enum(5, title="A", additional_info={"x": "1"}).to_unary_json()["details"][0],
        CursorError.from_enum(25, title="B", additional_info={"y": "2"}).to_unary_json()["details"][0],
    ]
    (end,) = decode(error_end({"error": {"code": "deadline_exceeded", "details": details}}))
    assert isinstance(end, EndOfStream) and end.error is not None
    assert (end.error.error, end.error.http_status, end.error.title) == (25, 504, "A & B")
    assert end.error.additional_info == {"x": "1", "y": "2"}


def test_user_aborted_is_a_normal_end() -> None:
    frame = encode_end_stream(CursorError.from_enum(21, code="canceled", title="Aborted"))
    decoder = FrameDecoder()
    assert decoder.feed(HI_FRAME + frame) == [Message(HI), EndOfStream(None)]
    assert decoder.finished
    decoder.close()


def test_gzip_frames_are_inflated() -> None:
    payload = os.urandom(10) * 300
    assert decode(envelope(1, gzip.compress(payload)) + END_FRAME) == [Message(payload), EndOfStream(None)]


def test_multi_member_gzip() -> None:
    body = gzip.compress(b"one ") + gzip.compress(b"two") + b"\0\0"
    assert payloads(decode(envelope(1, body) + END_FRAME)) == [b"one two"]


@pytest.mark.parametrize("flags", [0x04, 0x08, 0x80, 0x06, 0xFF])
def test_frames_with_unknown_flag_bits_are_skipped(flags: int) -> None:
    frames = decode(envelope(flags, b"whatever") + HI_FRAME + END_FRAME)
    assert frames == [Message(HI), EndOfStream(None)]


def test_data_after_the_end_is_ignored() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(END_FRAME + HI_FRAME + b"\xff\xff") == [EndOfStream(None)]
    assert decoder.feed(HI_FRAME) == []
    assert decoder.feed(b"\xff" * 10) == []
    assert decoder.finished and decoder.buffered == 0
    decoder.close()


# --- malformed streams -------------------------------------------------------------------------


def test_oversize_frame_fails_on_its_header() -> None:
    decoder = FrameDecoder(max_frame_size=1000)
    with pytest.raises(ProtocolError, match="exceeds the limit"):
        decoder.feed(struct.pack(">BI", 0, 1001))
    assert decoder.buffered == 0
    assert decode(envelope(0, b"x" * 1000) + END_FRAME, max_frame_size=1000)[0] == Message(b"x" * 1000)


def test_oversize_header_split_across_chunks() -> None:
    decoder = FrameDecoder(max_frame_size=10)
    assert decoder.feed(b"\x00\x00") == []
    with pytest.raises(ProtocolError):
        decoder.feed(b"\x00\x00\x0b")


def test_gzip_bomb_is_stopped_at_the_cap() -> None:
    deflater = zlib.compressobj(9, wbits=31)
    zeros = bytes(MIB)
    bomb = b"".join(deflater.compress(zeros) for _ in range(64)) + deflater.flush()
    assert len(bomb) < 100_000
    decoder = FrameDecoder(max_frame_size=MIB)
    tracemalloc.start()
    try:
        with pytest.raises(ProtocolError, match="inflates past"):
            decoder.feed(envelope(1, bomb))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB


def test_gzip_exactly_at_the_cap_is_fine() -> None:
    payload = b"\x01" * MIB
    assert payloads(decode(envelope(1, gzip.compress(payload)) + END_FRAME, max_frame_size=MIB)) == [payload]


@pytest.mark.parametrize(
    "body",
    [
        b"not gzip at all, not at all",
        gzip.compress(b"hello world" * 10)[:-12],  # truncated member
        gzip.compress(b"hello")[:-8] + b"\0\0\0\0" + gzip.compress(b"hello")[-4:],  # wrong CRC
        gzip.compress(b"hello") + b"trailing garbage",
        zlib.compress(b"zlib, not gzip"),
    ],
)
def test_bad_gzip(body: bytes) -> None:
    with pytest.raises(ProtocolError, match="gzip"):
        decode(envelope(1, body) + END_FRAME)


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"[]", b'"error"', b"null", b"[" * 100_000])
def test_end_frame_that_is_not_a_json_object(body: bytes) -> None:
    with pytest.raises(ProtocolError, match="end-of-stream"):
        decode(envelope(2, body))


def test_frames_before_a_bad_one_are_delivered_first() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(HI_FRAME + envelope(1, b"garbage garbage garbage") + END_FRAME) == [Message(HI)]
    with pytest.raises(ProtocolError, match="gzip"):
        decoder.feed(b"more")
    with pytest.raises(ProtocolError, match="gzip"):
        decoder.close()


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"", "without an end-of-stream"),
        (HI_FRAME, "without an end-of-stream"),
        (HI_FRAME + END_FRAME[:3], "truncated frame"),
        (HI_FRAME + END_FRAME[:6], "truncated frame"),
    ],
)
def test_close_reports_a_cut_stream(body: bytes, match: str) -> None:
    decoder = FrameDecoder()
    for chunk in chunked(body, 2):
        decoder.feed(chunk)
    assert not decoder.finished
    with pytest.raises(ProtocolError, match=match):
        decoder.close()


# --- property ----------------------------------------------------------------------------------

compressible = st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=8), st.integers(0, 700))
payload_lists = st.lists(st.binary(max_size=300) | compressible, max_size=12)


@settings(max_examples=200, deadline=None)
@given(items=payload_lists, cuts=st.lists(st.integers(0, 20_000), max_size=15), gzip_end=st.booleans())
def test_any_chunking_gives_back_the_payloads(items: list[bytes], cuts: list[int], gzip_end: bool) -> None:
    body = b"".join(encode_frame(p) for p in items) + encode_end_stream(gzip=gzip_end)
    points = sorted({min(c, len(body)) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    decoder = FrameDecoder()
    frames = feed_all(decoder, chunks)
    decoder.close()
    assert payloads(frames) == [p for p in items if p]
    assert [f for f in frames if isinstance(f, EndOfStream)] == [EndOfStream(None)]
    assert isinstance(frames[-1], EndOfStream)


# --- unary -------------------------------------------------------------------------------------


def test_unary_json_error_with_details() -> None:
    body = json.dumps(CursorError.from_enum(44, title="Pay up").to_unary_json()).encode()
    error = decode_unary_error(402, body, "application/json")
    assert (error.error, error.type, error.http_status, error.title) == (
        44,
        "usage_pricing_required",
        402,
        "Pay up",
    )


def test_unary_error_in_stream_form() -> None:
    error = decode_unary_error(429, RATE_LIMITED_ERROR, "application/json; charset=utf-8")
    assert (error.type, error.http_status) == ("rate_limited", 429)


def test_unary_json_error_without_details() -> None:
    error = decode_unary_error(401, b'{"code":"unauthenticated","message":"bad token"}', "application/json")
    assert (error.code, error.http_status, error.message, error.error) == (
        "unauthenticated",
        401,
        "bad token",
        None,
    )


def test_unary_json_without_code_takes_the_code_from_the_status() -> None:
    error = decode_unary_error(403, b'{"error": {"message": "no"}}', "application/json")
    assert (error.code, error.http_status) == ("permission_denied", 403)


def test_gzipped_json_error_body() -> None:
    body = gzip.compress(b'{"code":"not_found","message":"gone"}')
    assert decode_unary_error(404, body, "application/json").message == "gone"


@pytest.mark.parametrize(
    ("status", "code", "ours"),
    [
        (401, "unauthenticated", 401),
        (403, "permission_denied", 403),
        (404, "not_found", 404),
        (429, "resource_exhausted", 429),
        (500, "internal", 502),
        (502, "unavailable", 503),
        (503, "unavailable", 503),
        (504, "deadline_exceeded", 504),
        (418, "unknown", 502),
    ],
)
def test_non_json_error_bodies(status: int, code: str, ours: int) -> None:
    html = b"<html><body>" + b"<p>Cloudflare says no</p>" * 5000 + b"</body></html>"
    error = decode_unary_error(status, html, "text/html")
    assert (error.code, error.http_status, error.error) == (code, ours, None)
    assert len(error.message) <= 200
    assert "Cloudflare" not in error.message
    assert str(status) in error.message


def test_short_plain_text_is_quoted_without_tokens() -> None:
    jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    error = decode_unary_error(502, f"upstream reset\n for Bearer {jwt}".encode(), "text/plain")
    assert "upstream reset for Bearer" in error.message
    assert jwt not in error.message and "eyJ" not in error.message
    long = decode_unary_error(503, b"x" * 10_000, "text/plain")
    assert len(long.message) <= 200


def test_unary_body_raw_protobuf_is_unchanged() -> None:
    assert decode_unary_body(HI) == HI
    assert decode_unary_body(b"") == b""


def test_unary_body_single_envelope_is_unwrapped() -> None:
    assert decode_unary_body(envelope(0, HI)) == HI
    assert decode_unary_body(envelope(1, gzip.compress(HI))) == HI


def test_unary_body_that_only_looks_like_an_envelope() -> None:
    almost = envelope(0, HI) + b"\x00"
    assert decode_unary_body(almost) == almost
    assert decode_unary_body(envelope(2, b"{}")) == envelope(2, b"{}")


def test_unary_body_bad_gzip() -> None:
    with pytest.raises(ProtocolError):
        decode_unary_body(envelope(1, b"not gzip data here at all"))


# --- real captures -----------------------------------------------------------------------------


def load_capture(name: str) -> bytes:
    return captures.load(name)


def frame_flags(body: bytes) -> list[tuple[int, int]]:
    """(flags, length) of every frame, read independently of the decoder."""
    out = []
    pos = 0
    while pos < len(body):
        flags, length = struct.unpack_from(">BI", body, pos)
        out.append((flags, length))
        pos += 5 + length
    assert pos == len(body)
    return out


STREAMCHAT_TEXT = (  # the real text, full-width punctuation included
    "我是一个智能编程助手，旨在帮助你解答与编程相关的问题。"  # noqa: RUF001
    "如果你有任何编程方面的疑问或需要代码的帮助，请随时告诉我！"  # noqa: RUF001
)


@pytest.mark.parametrize("size", [1, 2, 5, 7, 64, 1000, 1 << 20])
def test_streamchat_capture(size: int) -> None:
    body = load_capture("streamchat-2024.hex")
    headers = frame_flags(body)
    assert len(headers) == 42
    assert headers[0][0] == 0x01 and headers[1] == (0, 0) and headers[-1] == (0x02, 2)
    decoder = FrameDecoder()
    frames = feed_all(decoder, chunked(body, size))
    decoder.close()
    messages = payloads(frames)
    assert len(messages) == 40  # 42 frames less the empty one and the end
    assert len(messages[0]) == 2408
    # The old layout: top-level field 1 is the text chunk, short enough for a one-byte length.
    assert "".join(m[2:].decode() for m in messages[1:]) == STREAMCHAT_TEXT
    assert frames[-1] == EndOfStream(None)


@pytest.mark.parametrize("size", [1, 3, 4096, 65536, 1 << 30])
def test_agent_capture(size: int) -> None:
    body = load_capture("agent-2026.hex")
    headers = frame_flags(body)
    assert len(headers) == 971
    assert sum(f == 0x01 for f, _ in headers) == 600
    assert sum(f == 0x00 for f, _ in headers) == 370
    assert headers[-1] == (0x02, 2)
    decoder = FrameDecoder()
    frames = feed_all(decoder, chunked(body, size))
    decoder.close()
    messages = payloads(frames)
    assert len(messages) == 970
    inflated = [m for m, (flags, _) in zip(messages, headers, strict=False) if flags == 0x01]
    assert all(1024 < len(m) <= 4358 for m in inflated)
    assert frames[-1] == EndOfStream(None)


def test_agent_capture_in_one_byte_chunks() -> None:
    # Its speed is measured by bench/decoder.py, not here.
    body = load_capture("agent-2026.hex")
    decoder = FrameDecoder()
    count = 0
    for chunk in chunked(body, 1):
        count += len(decoder.feed(chunk))
    assert count == 971
    assert decoder.finished


def test_agent_capture_frame_per_chunk_keeps_nothing_buffered() -> None:
    body = load_capture("agent-2026.hex")
    decoder = FrameDecoder()
    pos = 0
    for _, length in frame_flags(body):
        decoder.feed(body[pos : pos + 5 + length])
        assert decoder.buffered == 0
        pos += 5 + length
    assert decoder.finished
