"""The fake's Copilot++: config, models, file upload and sync kept per account and editor, StreamCpp.

What it models, because the proxy depends on it:
* Synced files live per account (the token's user) and per editor (`x-fs-client-key`): another
  token, or another editor, does not see them.
* Sync applies each `SingleUpdateRequest` in UTF-16 code units, as editors count, skips updates the
  stored version already has, and answers HASH_MISMATCH when the expected length or the SHA-256 of
  the result differs (the stored file is then left as it was). An unknown file is NON_EXISTANT.
* Upload and sync always set `FilesyncCookie` (16 bytes, fixed for one editor on one account) and
  the load balancer's `AWSALBAPP-0` (a new base64 value each time, valid 7 days); StreamCpp sets
  `AWSALBAPP-0` too.
* StreamCpp completes the line under the cursor, deterministically, from the synced file when the
  request relies on file sync: model_info, then per edit (begin_edit before the second and later)
  range_replace, the text in word-sized pieces, done_edit; a cursor prediction to the next line
  before the last done_edit; done_stream; debug messages when `give_debug_output` is set.

`#fake:` lines script failures and timing (see docs/copilot.md): in the streamed file, an uploaded
file's contents, a sync's inserted text, or CppConfig's `model`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import shlex
import threading
import time
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING

from google.protobuf.message import Message

from .. import jwt
from ..errors import CursorError
from ..framing import encode_end_stream, encode_frame
from ..proto import aiserver_pb2 as pb
from . import directives as fd
from .chat import cursor_error
from .server import Request, Responder

if TYPE_CHECKING:
    from .app import FakeCursor

NON_EXISTANT = 1
HASH_MISMATCH = 2
COOKIE_DAYS = 7
# Cut sizes for split=1: they land inside 5-byte headers and across frame boundaries.
_SPLIT_SIZES = (1, 2, 3, 7, 4, 11, 5)


# --- files -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class StoredFile:
    contents: str
    model_version: int


class FileStore:
    """Synced files by (user id, x-fs-client-key, path)."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str, str], StoredFile] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self.files.clear()

    def get(self, user: str, key: str, path: str) -> StoredFile | None:
        with self._lock:
            return self.files.get((user, key, path))

    def put(self, user: str, key: str, path: str, stored: StoredFile) -> None:
        with self._lock:
            self.files[(user, key, path)] = stored


class Mismatch(Exception):
    """The edits do not fit the stored file."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def apply_update(contents: str, update: pb.FilesyncUpdateWithModelVersion) -> str:
    """The file after one update's edits; offsets are UTF-16 code units, as editors count them."""
    units = contents.encode("utf-16-le")
    for change in update.updates:
        start, end = change.start_position, change.end_position
        if not 0 <= start <= end <= len(units) // 2:
            raise Mismatch(f"edit {start}..{end} is outside the file")
        units = units[: 2 * start] + change.replaced_string.encode("utf-16-le") + units[2 * end :]
    try:
        result = units.decode("utf-16-le")
    except UnicodeDecodeError as exc:  # an edit cut a surrogate pair in half
        raise Mismatch("edit splits a character") from exc
    if update.expected_file_length and utf16_length(result) != update.expected_file_length:
        raise Mismatch("length differs")
    return result


def apply_updates(stored: StoredFile, updates: list[pb.FilesyncUpdateWithModelVersion]) -> StoredFile:
    contents, version = stored.contents, stored.model_version
    for update in updates:
        if update.model_version and update.model_version <= version:
            continue  # already applied: a client may resend what it is unsure of
        contents = apply_update(contents, update)
        version = max(version, update.model_version)
    return StoredFile(contents, version)


# --- #fake: directives ---------------------------------------------------------------------------


@dataclass(slots=True)
class Script:
    completion: str | None = None
    chunks: int | None = None
    edits: int = 1
    silent: int = 0
    delay_ms: int = 0
    stall_ms: int = 0
    error: str | None = None
    error_after: int | None = None
    drop_after: int | None = None
    status: int | None = None
    split: bool = False
    gzip: bool = False


_INT_KEYS = {"chunks", "edits", "silent", "delay_ms", "stall_ms", "error_after", "drop_after", "status"}
_BOOL_KEYS = {"split", "gzip"}
# Bare words kept from the first version of the fake.
_SHORTHANDS = {
    "error": {"error": "rate_limited", "error_after": "1"},
    "error_first": {"error": "rate_limited"},
}


def parse_script(text: str) -> Script:
    """The `#fake:` lines of `text`; raises fd.DirectiveError naming a bad one."""
    script = Script()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith(fd.PREFIX):
            continue
        try:
            words = shlex.split(stripped[len(fd.PREFIX) :])
        except ValueError as exc:
            raise fd.DirectiveError(f"cannot parse {stripped!r}: {exc}") from exc
        for word in words:
            key, sep, value = word.partition("=")
            pairs = _SHORTHANDS.get(word) if not sep else {key: value}
            if pairs is None:
                raise fd.DirectiveError(f"directive {word!r} is not key=value")
            for k, v in pairs.items():
                _apply(script, k, v.replace("\\n", "\n").replace("\\t", "\t"))
    return script


def _apply(script: Script, key: str, value: str) -> None:
    if key in _INT_KEYS:
        try:
            number = int(value)
        except ValueError as exc:
            raise fd.DirectiveError(f"{key} must be an integer") from exc
        if number < 0 or (key == "edits" and number < 1):
            raise fd.DirectiveError(f"{key} is out of range")
        setattr(script, key, number)
    elif key in _BOOL_KEYS:
        setattr(script, key, value.lower() in ("1", "true", "yes", "on"))
    elif key in ("completion", "error"):
        setattr(script, key, value)
    else:
        raise fd.DirectiveError(f"unknown directive {key!r}")


def _error_for(script: Script) -> CursorError:
    if script.error:
        return cursor_error(script.error)
    return cursor_error(_STATUS_ERRORS.get(script.status or 500, "unavailable"))


_STATUS_ERRORS = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    429: "resource_exhausted",
    504: "deadline_exceeded",
}


def _bad_directive(exc: fd.DirectiveError) -> CursorError:
    return CursorError.from_enum(36, code="invalid_argument", title="Bad #fake directive", detail=str(exc))


# --- cookies -------------------------------------------------------------------------------------


def _balancer_cookie() -> tuple[str, str]:
    value = base64.b64encode(secrets.token_bytes(24)).decode()  # base64 with +, / and =, as AWS's
    expires = formatdate(time.time() + COOKIE_DAYS * 86400, usegmt=True)
    return ("set-cookie", f"AWSALBAPP-0={value}; Expires={expires}; Path=/")


def _filesync_cookie(user: str, key: str) -> tuple[str, str]:
    value = hashlib.sha256(f"filesync\x00{user}\x00{key}".encode()).hexdigest()[:32]
    return ("set-cookie", f"FilesyncCookie={value}; Path=/; HttpOnly")


# --- unary calls -----------------------------------------------------------------------------------


def unary(
    fake: FakeCursor, path: str, message: Message | None, request: Request
) -> tuple[Message, list[tuple[str, str]]]:
    from .app import Rejected

    if path.endswith("CppService/AvailableModels"):
        return pb.AvailableCppModelsResponse(models=["fast", "fast-2"], default_model="fast-2"), []
    if path.endswith("CppConfig"):
        _script_or_reject(message.model)  # type: ignore[union-attr]
        return config(), []
    user = fake.check_auth(request).user_id
    key = request.headers.get("x-fs-client-key", "")
    if not key:
        raise Rejected(
            CursorError.from_enum(36, code="invalid_argument", message="x-fs-client-key is required")
        )
    cookies = [_balancer_cookie(), _filesync_cookie(user, key)]
    if path.endswith("FSUploadFile"):
        up: pb.FSUploadFileRequest = message  # type: ignore[assignment]
        _script_or_reject(up.contents)
        if up.HasField("sha256_hash") and up.sha256_hash != sha256(up.contents):
            return pb.FSUploadFileResponse(error=HASH_MISMATCH), cookies
        fake.cpp.put(user, key, up.relative_workspace_path, StoredFile(up.contents, up.model_version))
        return pb.FSUploadFileResponse(), cookies
    sync: pb.FSSyncFileRequest = message  # type: ignore[assignment]
    _script_or_reject("\n".join(c.replaced_string for u in sync.filesync_updates for c in u.updates))
    stored = fake.cpp.get(user, key, sync.relative_workspace_path)
    if stored is None:
        return pb.FSSyncFileResponse(error=NON_EXISTANT), cookies
    try:
        synced = apply_updates(stored, list(sync.filesync_updates))
    except Mismatch:
        return pb.FSSyncFileResponse(error=HASH_MISMATCH), cookies
    if sync.sha256_hash and sync.sha256_hash != sha256(synced.contents):
        return pb.FSSyncFileResponse(error=HASH_MISMATCH), cookies
    synced.model_version = max(synced.model_version, sync.model_version)
    fake.cpp.put(user, key, sync.relative_workspace_path, synced)
    return pb.FSSyncFileResponse(), cookies


def _script_or_reject(text: str) -> None:
    """Raise the scripted error of a unary call, if its text scripts one."""
    from .app import Rejected

    if fd.PREFIX not in text:
        return
    try:
        script = parse_script(text)
    except fd.DirectiveError as exc:
        raise Rejected(_bad_directive(exc)) from exc
    if script.status is not None or script.error is not None:
        raise Rejected(_error_for(script), script.status)


def config() -> pb.CppConfigResponse:
    return pb.CppConfigResponse(
        above_radius=1,
        below_radius=2,
        merge_behavior=pb.CppConfigResponse.MergeBehavior(type="merge", limit=3, radius=10),
        is_on=True,
        is_ghost_text=True,
        should_let_user_enable_cpp_even_if_not_pro=False,
        heuristics=[1, 2, 3, 4, 5, 6],
        exclude_recently_viewed_files_patterns=[".env", ".production"],
        enable_rvf_tracking=True,
        global_debounce_duration_millis=70,
        client_debounce_duration_millis=50,
        cpp_url="https://api4.cursor.sh",
        use_whitespace_diff_history=True,
        import_prediction_config=pb.CppConfigResponse.ImportPredictionConfig(
            is_disabled_by_backend=False, should_turn_on_automatically=True, python_enabled=True
        ),
        enable_filesync_debounce_skipping=False,
        check_filesync_hash_percent=0.005,
        geo_cpp_backend_url="https://us-asia.gcpp.cursor.sh",
        is_fused_cursor_prediction_model=True,
        include_unchanged_lines=True,
        should_fetch_rvf_text=False,
        allows_tab_chunks=True,
    )


# --- StreamCpp -----------------------------------------------------------------------------------


def completion_for(contents: str, line: int) -> str:
    """Deterministic: the line under the cursor, completed with a comment naming it."""
    lines = contents.split("\n")
    current = lines[line] if 0 <= line < len(lines) else ""
    return f"{current.rstrip()}  # completed line {line + 1}"


def visible_contents(fake: FakeCursor, user: str, key: str, request: pb.StreamCppRequest) -> str:
    """What the model sees: the synced file (plus the request's own updates) when the editor relies on it."""
    current = request.current_file
    if not (current.rely_on_filesync and key):
        return current.contents
    stored = fake.cpp.get(user, key, current.relative_workspace_path)
    if stored is None:
        return current.contents
    updates = [
        u
        for u in request.filesync_updates
        if not u.relative_workspace_path or u.relative_workspace_path == current.relative_workspace_path
    ]
    try:
        return apply_updates(stored, updates).contents
    except Mismatch:
        return stored.contents


def frames(request: pb.StreamCppRequest, contents: str, script: Script) -> list[pb.StreamCppResponse]:
    """The messages of one completion, in Cursor's order."""
    current = request.current_file
    line = current.cursor_position.line
    path = current.relative_workspace_path
    binding = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-cpp/{path}/{line}"))
    out = [
        pb.StreamCppResponse(
            model_info=pb.StreamCppResponse.ModelInfo(
                is_fused_cursor_prediction_model=True, is_multidiff_model=script.edits > 1
            )
        )
    ]
    texts: list[str] = []
    for index in range(script.edits):
        target = line + index
        if index:
            out.append(pb.StreamCppResponse(begin_edit=True))
        text = script.completion if script.completion is not None and index == 0 else None
        text = text if text is not None else completion_for(contents, target)
        texts.append(text)
        out.append(
            pb.StreamCppResponse(
                range_to_replace=pb.LineRange(
                    start_line_number=target + 1, end_line_number_inclusive=target + 1
                ),
                binding_id=binding,
                should_remove_leading_eol=False,
            )
        )
        pieces = fd.split_text(text, script.chunks) if script.chunks else fd.natural_chunks(text)
        out.extend(pb.StreamCppResponse(text=piece) for piece in pieces)
        if index == script.edits - 1:
            next_line = line + script.edits
            out.append(
                pb.StreamCppResponse(
                    cursor_prediction_target=pb.StreamCppResponse.CursorPredictionTarget(
                        relative_path=path,
                        line_number_one_indexed=next_line + 1,
                        expected_content=completion_for(contents, next_line),
                        should_retrigger_cpp=True,
                    ),
                    binding_id=binding,
                )
            )
        out.append(pb.StreamCppResponse(done_edit=True))
    out.append(pb.StreamCppResponse(done_stream=True))
    if request.give_debug_output:
        out.append(
            pb.StreamCppResponse(
                debug_model_input=f"<|file|>{path}\n{contents}", debug_model_output="\n".join(texts)
            )
        )
        out.append(
            pb.StreamCppResponse(
                debug_stream_time="12ms",
                debug_ttft_time="8ms",
                debug_total_time="20ms",
                debug_server_timing="fake",
            )
        )
    return out


class _Writer:
    """Sends frames with the scripted timing and cutting."""

    def __init__(self, responder: Responder, script: Script) -> None:
        self.responder = responder
        self.script = script
        self.sent = 0
        self._cut = 0

    async def message(self, message: pb.StreamCppResponse) -> None:
        await self.raw(encode_frame(message.SerializeToString(), compress=True if self.script.gzip else None))
        self.sent += 1

    async def raw(self, data: bytes) -> None:
        if self.sent and self.script.delay_ms:
            await asyncio.sleep(self.script.delay_ms / 1000)
        if not self.script.split:
            await self.responder.send(data)
            await asyncio.sleep(0)  # one network write per message, as a streaming server makes
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
    request: pb.StreamCppRequest,
    http: Request,
    responder: Responder,
) -> None:
    key = http.headers.get("x-fs-client-key", "")
    contents = visible_contents(fake, token.user_id, key, request)
    try:
        script = parse_script(contents)
    except fd.DirectiveError as exc:
        await responder.start(200, [("content-type", "application/connect+proto")])
        await responder.send(encode_end_stream(_bad_directive(exc)))
        await responder.end()
        return
    if script.status is not None and script.status != 200:
        body = json.dumps(_error_for(script).to_unary_json()).encode()
        await responder.respond(script.status, [("content-type", "application/json")], body)
        return
    await responder.start(200, [("content-type", "application/connect+proto"), _balancer_cookie()])
    for _ in range(script.silent):
        # Suggestion hints: they decode, and neither the original nor we turn them into events.
        hint = pb.StreamCppResponse(suggestion_start_line=0, suggestion_confidence=1)
        await responder.send(encode_frame(hint.SerializeToString()))
    if script.stall_ms:
        await asyncio.sleep(script.stall_ms / 1000)
    out = _Writer(responder, script)
    for message in frames(request, contents, script):
        if script.error is not None and out.sent >= (script.error_after or 0):
            break
        if script.drop_after is not None and out.sent >= script.drop_after:
            responder.drop()
            return
        await out.message(message)
    if script.drop_after is not None:
        responder.drop()
        return
    error = _error_for(script) if script.error is not None else None
    await out.raw(encode_end_stream(error, gzip=script.gzip))
    await responder.end()
