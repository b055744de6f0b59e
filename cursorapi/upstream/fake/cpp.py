"""The fake's Copilot++: config, models, file upload/sync kept per client key, and StreamCpp."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from google.protobuf.message import Message

from .. import jwt
from ..errors import CursorError
from ..framing import encode_end_stream, encode_frame
from ..proto import aiserver_pb2 as pb
from .server import Request, Responder

if TYPE_CHECKING:
    from .app import FakeCursor

HASH_MISMATCH = 2
NON_EXISTANT = 1


@dataclass(slots=True)
class StoredFile:
    contents: str
    model_version: int


class FileStore:
    """Uploaded files by (x-fs-client-key, path): file sync state lives per editor session upstream."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], StoredFile] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self.files.clear()

    def get(self, key: str, path: str) -> StoredFile | None:
        with self._lock:
            return self.files.get((key, path))

    def put(self, key: str, path: str, stored: StoredFile) -> None:
        with self._lock:
            self.files[(key, path)] = stored


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apply_updates(contents: str, update: pb.FilesyncUpdateWithModelVersion) -> str:
    for change in update.updates:
        contents = (
            contents[: change.start_position] + change.replaced_string + contents[change.end_position :]
        )
    return contents


def _rejected(message: str) -> Exception:
    from .app import Rejected

    return Rejected(CursorError.from_enum(36, code="invalid_argument", message=message))


def _cookies(request: Request) -> list[tuple[str, str]]:
    """The load balancer's stickiness cookie, and the filesync cookie once an editor has uploaded."""
    out = []
    if "AWSALBAPP-0" not in request.cookies:
        out.append(("set-cookie", f"AWSALBAPP-0=fake-{secrets.token_hex(6)}; Path=/"))
    if "FilesyncCookie" not in request.cookies:
        out.append(("set-cookie", f"FilesyncCookie=fs-{secrets.token_hex(8)}; Path=/; HttpOnly"))
    return out


def unary(
    fake: FakeCursor, path: str, message: Message | None, request: Request
) -> tuple[Message, list[tuple[str, str]]]:
    if path.endswith("CppConfig"):
        return (
            pb.CppConfigResponse(
                above_radius=1,
                below_radius=2,
                is_on=True,
                is_ghost_text=True,
                global_debounce_duration_millis=70,
                client_debounce_duration_millis=50,
                cpp_url="https://api4.cursor.sh",
                check_filesync_hash_percent=0.005,
                heuristics=[1, 2, 3, 4, 5, 6],
            ),
            [],
        )
    if path.endswith("CppService/AvailableModels"):
        return pb.AvailableCppModelsResponse(models=["fast", "fast-2"], default_model="fast-2"), []
    key = request.headers.get("x-fs-client-key", "")
    if not key:
        raise _rejected("x-fs-client-key is required for file sync")
    if path.endswith("FSUploadFile"):
        up: pb.FSUploadFileRequest = message  # type: ignore[assignment]
        if up.HasField("sha256_hash") and up.sha256_hash != _sha256(up.contents):
            return pb.FSUploadFileResponse(error=HASH_MISMATCH), _cookies(request)
        fake.cpp.put(key, up.relative_workspace_path, StoredFile(up.contents, up.model_version))
        return pb.FSUploadFileResponse(), _cookies(request)
    sync: pb.FSSyncFileRequest = message  # type: ignore[assignment]
    stored = fake.cpp.get(key, sync.relative_workspace_path)
    if stored is None:
        return pb.FSSyncFileResponse(error=NON_EXISTANT), _cookies(request)
    contents = stored.contents
    for update in sync.filesync_updates:
        contents = apply_updates(contents, update)
        if update.expected_file_length and len(contents) != update.expected_file_length:
            return pb.FSSyncFileResponse(error=HASH_MISMATCH), _cookies(request)
    if sync.sha256_hash and sync.sha256_hash != _sha256(contents):
        return pb.FSSyncFileResponse(error=HASH_MISMATCH), _cookies(request)
    fake.cpp.put(key, sync.relative_workspace_path, StoredFile(contents, sync.model_version))
    return pb.FSSyncFileResponse(), _cookies(request)


def completion_for(contents: str, line: int) -> str:
    """Deterministic: the line under the cursor, completed with a comment naming it."""
    lines = contents.split("\n")
    current = lines[line] if 0 <= line < len(lines) else ""
    return f"{current.rstrip()}  # completed line {line + 1}"


async def stream(
    fake: FakeCursor,
    token: jwt.CursorToken,
    request: pb.StreamCppRequest,
    http: Request,
    responder: Responder,
) -> None:
    current = request.current_file
    contents = current.contents
    key = http.headers.get("x-fs-client-key", "")
    if current.rely_on_filesync and key:
        stored = fake.cpp.get(key, current.relative_workspace_path)
        if stored is not None:
            contents = stored.contents
    await responder.start(200, [("content-type", "application/connect+proto")])
    if "#fake: error_first" in contents:
        error = CursorError.from_enum(50, code="resource_exhausted", title="Rate limited", detail="fake")
        await responder.send(encode_end_stream(error))
        await responder.end()
        return
    if "#fake: error" in contents:
        await responder.send(
            encode_frame(
                pb.StreamCppResponse(model_info=pb.StreamCppResponse.ModelInfo()).SerializeToString()
            )
        )
        error = CursorError.from_enum(50, code="resource_exhausted", title="Rate limited", detail="fake")
        await responder.send(encode_end_stream(error))
        await responder.end()
        return
    line = current.cursor_position.line
    text = completion_for(contents, line)
    frames = [
        pb.StreamCppResponse(
            model_info=pb.StreamCppResponse.ModelInfo(
                is_fused_cursor_prediction_model=True, is_multidiff_model=True
            )
        ),
        pb.StreamCppResponse(begin_edit=True),
        pb.StreamCppResponse(
            range_to_replace=pb.LineRange(start_line_number=line + 1, end_line_number_inclusive=line + 1),
            binding_id="fake-binding",
            text=text[: len(text) // 2],
        ),
        pb.StreamCppResponse(text=text[len(text) // 2 :]),
        pb.StreamCppResponse(done_edit=True),
        pb.StreamCppResponse(
            cursor_prediction_target=pb.StreamCppResponse.CursorPredictionTarget(
                relative_path=current.relative_workspace_path,
                line_number_one_indexed=line + 2,
                expected_content=completion_for(contents, line + 1),
                should_retrigger_cpp=True,
            ),
            binding_id="fake-binding",
        ),
        pb.StreamCppResponse(done_stream=True),
    ]
    for frame in frames:
        await responder.send(encode_frame(frame.SerializeToString()))
        await asyncio.sleep(0)
    await responder.send(encode_end_stream(None))
    await responder.end()
