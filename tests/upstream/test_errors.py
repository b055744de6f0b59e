"""CursorError: reading Cursor's Connect errors, the status our clients get, and writing them back."""

from __future__ import annotations

import base64
import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cursorapi.upstream.errors import (
    CONNECT_STATUS,
    ERRORS,
    CursorError,
    ProtocolError,
    UpstreamError,
)
from cursorapi.upstream.proto import aiserver_pb2

CLIENT_STATUSES = {400, 401, 402, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504}

# Section 8's vector: ErrorDetails{50, {"Rate limited", "Too many requests"}, is_expected: true}.
RATE_LIMITED_VALUE = "CDISIQoMUmF0ZSBsaW1pdGVkEhFUb28gbWFueSByZXF1ZXN0cxgB"
RATE_LIMITED_JSON = {
    "error": {
        "code": "resource_exhausted",
        "message": "Error",
        "details": [{"type": "aiserver.v1.ErrorDetails", "debug": {}, "value": RATE_LIMITED_VALUE}],
    }
}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def raw_error_details(
    error: int,
    title: str = "",
    detail: str = "",
    info: dict[str, str] | None = None,
    expected: bool | None = None,
) -> bytes:
    """ErrorDetails built by hand from the wire format, independent of the generated module."""
    custom = b""
    if title:
        custom += _field(1, title.encode())
    if detail:
        custom += _field(2, detail.encode())
    for key, value in (info or {}).items():
        custom += _field(7, _field(1, key.encode()) + _field(2, value.encode()))
    out = b"\x08" + _varint(error)
    if custom:
        out += _field(2, custom)
    if expected is not None:
        out += b"\x18" + (b"\x01" if expected else b"\x00")
    return out


def detail_entry(
    raw: bytes, *, padded: bool = False, kind: str = "aiserver.v1.ErrorDetails"
) -> dict[str, object]:
    value = base64.b64encode(raw).decode()
    return {"type": kind, "debug": {}, "value": value if padded else value.rstrip("=")}


# --- the status table ----------------------------------------------------------------------------


def test_table_covers_every_enum_value_of_the_schema() -> None:
    assert set(ERRORS) == set(range(54))
    assert set(ERRORS) == set(aiserver_pb2.ErrorDetails.Error.values())


def test_table_entries_from_the_reference() -> None:
    assert ERRORS[50] == ("rate_limited", 429)
    assert ERRORS[21] == ("user_aborted_request", 499)
    assert ERRORS[28] == ("gpt4_vision_preview_rate_limit", 429)
    assert ERRORS[52] == ("custom", 533)
    assert ERRORS[53] == ("hooks_blocked", 403)


@pytest.mark.parametrize("enum", sorted(ERRORS))
def test_client_status_is_always_a_status_we_may_send(enum: int) -> None:
    error = CursorError.from_enum(enum)
    assert error.http_status in CLIENT_STATUSES | {499}
    assert error.type == ERRORS[enum][0]


@pytest.mark.parametrize(
    ("enum", "status"),
    [
        (0, 502),
        (13, 502),
        (29, 502),
        (52, 502),
        (30, 502),
        (40, 502),
        (44, 402),
        (49, 409),
        (24, 422),
        (25, 504),
    ],
)
def test_raw_statuses_are_translated(enum: int, status: int) -> None:
    assert CursorError.from_enum(enum).http_status == status


def test_user_aborted_keeps_499_as_an_attribute() -> None:
    assert CursorError.from_enum(21).http_status == 499


def test_unknown_enum_is_a_bad_gateway() -> None:
    error = CursorError.from_enum(999)
    assert (error.type, error.http_status, error.code) == ("unknown", 502, "unknown")


@pytest.mark.parametrize(
    ("enums", "code"),
    [
        ((50, 41, 9, 10, 20), "resource_exhausted"),
        ((1, 3, 11, 12, 38), "unauthenticated"),
        ((2, 4, 17, 23), "permission_denied"),
        ((6, 16, 33, 39), "not_found"),
        ((5, 26, 27, 31, 36, 43), "invalid_argument"),
        ((25,), "deadline_exceeded"),
        ((0, 999), "unknown"),
        ((13, 29, 35), "internal"),
    ],
)
def test_from_enum_default_codes(enums: tuple[int, ...], code: str) -> None:
    for enum in enums:
        assert CursorError.from_enum(enum).code == code, enum


def test_from_enum_explicit_code_wins() -> None:
    error = CursorError.from_enum(36, code="unimplemented", message="method not allowed")
    assert (error.code, error.error, error.message, error.http_status) == (
        "unimplemented",
        36,
        "method not allowed",
        400,
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("unauthenticated", 401),
        ("permission_denied", 403),
        ("not_found", 404),
        ("invalid_argument", 400),
        ("failed_precondition", 400),
        ("out_of_range", 400),
        ("resource_exhausted", 429),
        ("deadline_exceeded", 504),
        ("unavailable", 503),
        ("canceled", 499),
        ("already_exists", 409),
        ("aborted", 409),
        ("unimplemented", 502),
        ("internal", 502),
        ("unknown", 502),
        ("data_loss", 502),
        ("something_new", 502),
    ],
)
def test_status_without_details_comes_from_the_connect_code(code: str, status: int) -> None:
    error = CursorError.from_json({"error": {"code": code, "message": "m"}})
    assert (error.http_status, error.type, error.error) == (status, "unknown", None)


def test_every_connect_code_maps_within_the_allowed_statuses() -> None:
    assert set(CONNECT_STATUS.values()) <= CLIENT_STATUSES | {499}


def test_hierarchy() -> None:
    assert issubclass(CursorError, UpstreamError)
    assert issubclass(ProtocolError, UpstreamError)
    assert ProtocolError("x").http_status == 502


# --- reading ---------------------------------------------------------------------------------


def test_reference_vector_end_frame_form() -> None:
    error = CursorError.from_json(RATE_LIMITED_JSON)
    assert error.code == "resource_exhausted"
    assert error.error == 50
    assert error.type == "rate_limited"
    assert error.http_status == 429
    assert (error.title, error.detail) == ("Rate limited", "Too many requests")
    assert error.is_expected is True
    assert error.message == "Error"
    assert error.additional_info == {}


def test_reference_vector_unary_form() -> None:
    error = CursorError.from_json(RATE_LIMITED_JSON["error"])
    assert (error.code, error.error, error.http_status, error.title) == (
        "resource_exhausted",
        50,
        429,
        "Rate limited",
    )


@pytest.mark.parametrize("padded", [False, True])
def test_padded_and_unpadded_base64(padded: bool) -> None:
    raw = raw_error_details(12, "Expired", "Log in again", {"k": "v"})
    assert len(raw) % 3  # so that padding really appears
    entry = detail_entry(raw, padded=padded)
    assert entry["value"].endswith("=") is padded  # type: ignore[union-attr]
    error = CursorError.from_json({"code": "unauthenticated", "details": [entry]})
    assert (error.error, error.type, error.http_status) == (12, "auth_token_expired", 401)
    assert (error.title, error.detail, error.additional_info) == ("Expired", "Log in again", {"k": "v"})
    assert error.is_expected is None


def test_url_safe_base64_is_tolerated() -> None:
    raw = raw_error_details(5, "\xff\xfe title >>>???")
    value = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    error = CursorError.from_json(
        {"code": "invalid_argument", "details": [{"type": "aiserver.v1.ErrorDetails", "value": value}]}
    )
    assert error.error == 5


def test_missing_details() -> None:
    error = CursorError.from_json({"error": {"code": "permission_denied", "message": "nope"}})
    assert (error.error, error.type, error.http_status, error.message) == (None, "unknown", 403, "nope")
    assert error.title == error.detail == ""


def test_missing_code_is_unknown() -> None:
    error = CursorError.from_json({"error": {"message": "what"}})
    assert (error.code, error.http_status) == ("unknown", 502)


def test_several_details_highest_status_wins_and_texts_combine() -> None:
    details = [
        detail_entry(raw_error_details(5, "Bad model", "no such model", {"a": "1", "b": "1"})),
        detail_entry(raw_error_details(50, "Rate limited", "", {"b": "2"}, expected=True)),
        detail_entry(raw_error_details(1, "", "bad key")),
    ]
    error = CursorError.from_json({"error": {"code": "resource_exhausted", "details": details}})
    assert (error.error, error.type, error.http_status) == (50, "rate_limited", 429)
    assert error.title == "Bad model & Rate limited"
    assert error.detail == "no such model & bad key"
    assert error.additional_info == {"a": "1", "b": "2"}
    assert error.is_expected is True


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "google.rpc.RetryInfo", "value": base64.b64encode(b"\x08\x32").decode()},
        {"type": "aiserver.v1.ErrorDetails", "value": "!!not base64!!"},
        {"type": "aiserver.v1.ErrorDetails", "value": base64.b64encode(b"\x0a\xff").decode()},
        {"type": "aiserver.v1.ErrorDetails"},
        {"type": "aiserver.v1.ErrorDetails", "value": 7},
        {"value": RATE_LIMITED_VALUE},
        "a string",
        None,
    ],
)
def test_details_that_do_not_decode_are_skipped(bad: object) -> None:
    good = detail_entry(raw_error_details(39, "Missing"))
    error = CursorError.from_json({"error": {"code": "not_found", "details": [bad, good]}})
    assert (error.error, error.title, error.http_status) == (39, "Missing", 404)
    alone = CursorError.from_json({"error": {"code": "not_found", "details": [bad]}})
    assert (alone.error, alone.http_status) == (None, 404)


def test_type_url_prefix_is_accepted() -> None:
    entry = detail_entry(raw_error_details(39))
    entry["type"] = "type.googleapis.com/aiserver.v1.ErrorDetails"
    assert CursorError.from_json({"code": "not_found", "details": [entry]}).error == 39


def test_details_not_a_list() -> None:
    assert CursorError.from_json({"code": "internal", "details": {"oops": 1}}).error is None


def test_error_as_plain_string() -> None:
    error = CursorError.from_json({"error": "boom"})
    assert (error.code, error.message) == ("unknown", "boom")


def test_is_expected_false_is_kept() -> None:
    error = CursorError.from_json(
        {"code": "internal", "details": [detail_entry(raw_error_details(0, expected=False))]}
    )
    assert error.is_expected is False
    assert error.http_status == 502


def test_str_is_readable() -> None:
    error = CursorError.from_json(RATE_LIMITED_JSON)
    assert str(error) == "rate_limited (resource_exhausted): Rate limited: Too many requests"
    assert str(CursorError("unavailable", message="try later")) == "unavailable: try later"
    assert str(CursorError("internal")) == "internal"


# --- writing ---------------------------------------------------------------------------------


def test_to_json_reproduces_the_reference_value() -> None:
    error = CursorError.from_enum(
        50, title="Rate limited", detail="Too many requests", is_expected=True, message="Error"
    )
    body = error.to_json()
    (entry,) = body["error"]["details"]
    assert body["error"]["code"] == "resource_exhausted"
    assert body["error"]["message"] == "Error"
    assert entry["type"] == "aiserver.v1.ErrorDetails"
    assert entry["value"] == RATE_LIMITED_VALUE
    assert entry["debug"]["error"] == "ERROR_RATE_LIMITED"
    json.dumps(body)  # plain JSON types only


def test_to_unary_json_is_the_bare_error() -> None:
    error = CursorError.from_enum(12, message="expired")
    assert error.to_json() == {"error": error.to_unary_json()}
    assert error.to_unary_json()["code"] == "unauthenticated"


def test_value_decodes_with_the_generated_message() -> None:
    error = CursorError.from_enum(53, title="t", additional_info={"hook": "pre"})
    value = error.to_unary_json()["details"][0]["value"]
    assert "=" not in value
    msg = aiserver_pb2.ErrorDetails.FromString(base64.b64decode(value + "=" * (-len(value) % 4)))
    assert msg.error == aiserver_pb2.ErrorDetails.ERROR_HOOKS_BLOCKED
    assert (msg.details.title, dict(msg.details.additional_info)) == ("t", {"hook": "pre"})
    assert not msg.HasField("is_expected")


def test_no_enum_means_no_details() -> None:
    body = CursorError("unavailable", message="down").to_json()
    assert body == {"error": {"code": "unavailable", "message": "down"}}


@given(
    error=st.sampled_from(sorted(ERRORS)),
    code=st.sampled_from(sorted(CONNECT_STATUS)),
    title=st.text(max_size=30),
    detail=st.text(max_size=30),
    info=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    expected=st.none() | st.booleans(),
    message=st.text(max_size=30),
)
def test_round_trip(
    error: int, code: str, title: str, detail: str, info: dict[str, str], expected: bool | None, message: str
) -> None:
    original = CursorError.from_enum(
        error,
        code=code,
        title=title,
        detail=detail,
        message=message,
        additional_info=info,
        is_expected=expected,
    )
    for body in (original.to_json(), original.to_unary_json()):
        back = CursorError.from_json(json.loads(json.dumps(body)))
        assert (back.code, back.error, back.type, back.http_status) == (
            code,
            error,
            original.type,
            original.http_status,
        )
        assert (back.title, back.detail, back.additional_info) == (title, detail, info)
        assert (back.is_expected, back.message) == (expected, message)


def test_pickle_keeps_every_attribute() -> None:
    error = CursorError.from_json(RATE_LIMITED_JSON)
    back = pickle.loads(pickle.dumps(error))
    assert vars(back) == vars(error)
    assert str(back) == str(error)
