"""Errors from talking to Cursor: malformed streams, and the errors Cursor itself reports.

Cursor reports errors the Connect way: a JSON object with a string `code` and `details`, where
an `aiserver.v1.ErrorDetails` detail (base64 protobuf) says precisely what went wrong. Streams
carry it inside the end-of-stream frame as `{"error": {...}}`; unary calls carry it as the whole
body of a non-200 response. `CursorError` reads both and decides which status our clients see.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError

from .scrub import scrub

DETAIL_TYPE = "aiserver.v1.ErrorDetails"
USER_ABORTED = 21  # ERROR_USER_ABORTED_REQUEST: Cursor's way of saying "stopped as asked"

# ErrorDetails.Error -> (type string, Cursor's raw HTTP status). 533 is the Rust original's
# non-standard "upstream failure" status; `http_status` translates it for our clients.
ERRORS: dict[int, tuple[str, int]] = {
    0: ("unspecified", 533),
    1: ("bad_api_key", 401),
    2: ("not_logged_in", 403),
    3: ("invalid_auth_id", 401),
    4: ("not_high_enough_permissions", 403),
    5: ("bad_model_name", 400),
    6: ("user_not_found", 404),
    7: ("free_user_rate_limit_exceeded", 429),
    8: ("pro_user_rate_limit_exceeded", 429),
    9: ("free_user_usage_limit", 503),
    10: ("pro_user_usage_limit", 503),
    11: ("auth_token_not_found", 401),
    12: ("auth_token_expired", 401),
    13: ("openai", 533),
    14: ("openai_rate_limit_exceeded", 429),
    15: ("openai_account_limit_exceeded", 429),
    16: ("task_uuid_not_found", 404),
    17: ("task_no_permissions", 403),
    18: ("agent_requires_login", 403),
    19: ("agent_engine_not_found", 404),
    20: ("max_tokens", 503),
    21: ("user_aborted_request", 499),
    22: ("generic_rate_limit_exceeded", 429),
    23: ("pro_user_only", 403),
    24: ("api_key_not_supported", 422),
    25: ("timeout", 504),
    26: ("slash_edit_file_too_long", 400),
    27: ("file_unsupported", 400),
    28: ("gpt4_vision_preview_rate_limit", 429),
    29: ("custom_message", 533),
    30: ("outdated_client", 410),
    31: ("claude_image_too_large", 400),
    32: ("gitgraph_not_found", 404),
    33: ("file_not_found", 404),
    34: ("api_key_rate_limit", 429),
    35: ("debounced", 533),
    36: ("bad_request", 400),
    37: ("repository_service_repository_is_not_initialized", 533),
    38: ("unauthorized", 401),
    39: ("not_found", 404),
    40: ("deprecated", 410),
    41: ("resource_exhausted", 503),
    42: ("bad_user_api_key", 401),
    43: ("conversation_too_long", 400),
    44: ("usage_pricing_required", 402),
    45: ("usage_pricing_required_changeable", 402),
    46: ("github_no_user_credentials", 401),
    47: ("github_user_no_access", 403),
    48: ("github_app_no_access", 403),
    49: ("github_multiple_owners", 409),
    50: ("rate_limited", 429),
    51: ("rate_limited_changeable", 429),
    52: ("custom", 533),
    53: ("hooks_blocked", 403),
}
_UNKNOWN_ENUM = ("unknown", 500)  # what the Rust original answers for an enum it does not know

# Raw statuses our clients must not see: 533 is not HTTP, and 410 (outdated client, deprecated)
# is about how we talk to Cursor, not about what the caller asked.
_CLIENT_STATUS = {533: 502, 410: 502, 500: 502}

# Connect code -> our status, for errors that carry no ErrorDetails.
CONNECT_STATUS: dict[str, int] = {
    "canceled": 499,
    "unknown": 502,
    "invalid_argument": 400,
    "deadline_exceeded": 504,
    "not_found": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "resource_exhausted": 429,
    "failed_precondition": 400,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 502,
    "internal": 502,
    "unavailable": 503,
    "data_loss": 502,
    "unauthenticated": 401,
}

# Cursor's raw status -> the Connect code it would most plausibly send along, for from_enum.
_STATUS_CODE = {
    400: "invalid_argument",
    401: "unauthenticated",
    402: "resource_exhausted",
    403: "permission_denied",
    404: "not_found",
    409: "failed_precondition",
    410: "failed_precondition",
    422: "invalid_argument",
    429: "resource_exhausted",
    499: "canceled",
    503: "resource_exhausted",
    504: "deadline_exceeded",
    533: "internal",
}


class UpstreamError(Exception):
    """Anything that went wrong between us and Cursor; `http_status` is what our client sees."""

    http_status: int = 502


class ProtocolError(UpstreamError):
    """Cursor's answer did not follow the wire format. Messages name the problem, never the data."""


class CursorError(UpstreamError):
    """An error Cursor reported, with the status and type string our clients get for it."""

    code: str
    error: int | None
    type: str
    title: str
    detail: str
    additional_info: dict[str, str]
    is_expected: bool | None
    message: str
    http_status: int
    # Seconds Cursor asked us to wait (its Retry-After header, or a retry hint in ErrorDetails).
    retry_after: float | None = None

    def __init__(
        self,
        code: str = "unknown",
        error: int | None = None,
        title: str = "",
        detail: str = "",
        additional_info: Mapping[str, str] | None = None,
        is_expected: bool | None = None,
        message: str = "",
    ) -> None:
        self.code = code
        self.error = error
        self.title = title
        self.detail = detail
        self.additional_info = dict(additional_info or {})
        self.is_expected = is_expected
        self.message = message
        if error is None:
            self.type = "unknown"
            self.http_status = CONNECT_STATUS.get(code, 502)
        else:
            self.type, raw = ERRORS.get(error, _UNKNOWN_ENUM)
            self.http_status = _CLIENT_STATUS.get(raw, raw)
        self.retry_after = _hinted_wait(self.additional_info)
        super().__init__(self._summary())

    def _summary(self) -> str:
        what = self.code if self.error is None else f"{self.type} ({self.code})"
        # Cursor's message is often just "Error"; its title and detail say more.
        text = ": ".join(part for part in (self.title, self.detail) if part) or self.message
        return f"{what}: {text}" if text else what

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle their args by default, which would lose every attribute here.
        fields = (self.code, self.error, self.title, self.detail, self.additional_info)
        return (type(self), (*fields, self.is_expected, self.message))

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_enum(
        cls,
        error: int,
        *,
        code: str | None = None,
        title: str = "",
        detail: str = "",
        message: str = "",
        additional_info: Mapping[str, str] | None = None,
        is_expected: bool | None = None,
    ) -> CursorError:
        """The error Cursor would send for `error`; `code` defaults to the matching Connect code."""
        if code is None:
            code = _default_code(error)
        return cls(code, error, title, detail, additional_info, is_expected, message)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], *, default_code: str = "unknown") -> CursorError:
        """Read `{"error": {code, message, details}}` (end of stream) or `{code, message, details}` (unary).

        Lenient where the Rust original is strict: padded base64, no details at all, and details
        that are not ErrorDetails or do not decode are all accepted (the bad details are skipped).
        Every text in it is scrubbed of secrets: it goes on to our clients and our logs.
        """
        body = obj.get("error", obj)
        if isinstance(body, str):  # not Connect, but say what little we were told
            return cls(default_code, message=scrub(body[:500]))
        if not isinstance(body, Mapping):
            return cls(default_code)
        code = body.get("code")
        message = body.get("message")
        raw_details = body.get("details")
        parsed = [_parse_detail(d) for d in raw_details] if isinstance(raw_details, list) else []
        return cls._from_details(
            code if isinstance(code, str) and code else default_code,
            [d for d in parsed if d is not None],
            scrub(message) if isinstance(message, str) else "",
        )

    @classmethod
    def _from_details(cls, code: str, details: list[Any], message: str) -> CursorError:
        if not details:
            return cls(code, message=message)
        # Several details: the most severe one speaks for the error, the texts are combined (5.2).
        winner = max(details, key=lambda d: ERRORS.get(d.error, _UNKNOWN_ENUM)[1])
        info: dict[str, str] = {}
        for d in details:
            info.update({k: scrub(v) for k, v in d.details.additional_info.items()})
        return cls(
            code,
            int(winner.error),
            scrub(_join(d.details.title for d in details)),
            scrub(_join(d.details.detail for d in details)),
            info,
            winner.is_expected if winner.HasField("is_expected") else None,
            message,
        )

    # --- serialisation (what the real server sends; the fake server uses it) -----------------

    def to_json(self) -> dict[str, Any]:
        """The end-of-stream form: `{"error": {"code", "message", "details": [...]}}`."""
        return {"error": self.to_unary_json()}

    def to_unary_json(self) -> dict[str, Any]:
        """The Connect unary form: `{"code", "message", "details": [...]}`."""
        body: dict[str, Any] = {"code": self.code}
        if self.message:
            body["message"] = self.message
        if self.error is not None:
            body["details"] = [self._detail_json()]
        return body

    def _detail_json(self) -> dict[str, Any]:
        from .proto.aiserver_pb2 import ErrorDetails

        msg = ErrorDetails(error=self.error)
        if self.title or self.detail or self.additional_info:
            msg.details.title = self.title
            msg.details.detail = self.detail
            msg.details.additional_info.update(self.additional_info)
        if self.is_expected is not None:
            msg.is_expected = self.is_expected
        value = base64.b64encode(msg.SerializeToString()).rstrip(b"=").decode("ascii")
        debug = json_format.MessageToDict(msg)
        return {"type": DETAIL_TYPE, "debug": debug, "value": value}


# ErrorDetails.additional_info keys read as "seconds until you may try again".
RETRY_HINT_KEYS = ("retry_after", "retryAfter", "retry_after_seconds", "retryAfterSeconds")
MAX_HINTED_WAIT = 24 * 3600.0  # a hint beyond a day is more likely a unit mix-up than a plan


def parse_wait(value: object) -> float | None:
    """A positive number of seconds from a hint such as `"30"` or `"2.5"`; None when it is not one."""
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    if not 0 < seconds < float("inf"):
        return None
    return min(seconds, MAX_HINTED_WAIT)


def _hinted_wait(info: Mapping[str, str]) -> float | None:
    for key in RETRY_HINT_KEYS:
        if key in info:
            return parse_wait(info[key])
    return None


def _default_code(error: int) -> str:
    if error not in ERRORS or error == 0:
        return "unknown"
    return _STATUS_CODE.get(ERRORS[error][1], "unknown")


def _parse_detail(item: object) -> Any | None:
    """One `details[]` entry as an ErrorDetails message, or None when it is something else."""
    if not isinstance(item, Mapping):
        return None
    kind = item.get("type")
    value = item.get("value")
    # Connect uses the bare message name; tolerate the google.protobuf.Any style URL prefix too.
    if not isinstance(kind, str) or kind.rsplit("/", 1)[-1] != DETAIL_TYPE or not isinstance(value, str):
        return None
    raw = _b64decode(value)
    if raw is None:
        return None
    from .proto.aiserver_pb2 import ErrorDetails

    try:
        return ErrorDetails.FromString(raw)
    except DecodeError:
        return None


def _b64decode(value: str) -> bytes | None:
    """Standard base64, padded or not (Connect says unpadded; not every server agrees)."""
    text = value.strip().rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _join(parts: Any) -> str:
    return " & ".join(p for p in parts if p)
