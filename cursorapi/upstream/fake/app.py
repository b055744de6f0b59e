"""The fake Cursor: checks requests like the real servers and answers over the real wire formats.

Served by `fake.server.FakeServer`; run it with `manage.py fakecursor`. See docs/fakecursor.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError, Message

from .. import checksum, jwt
from ..errors import CursorError
from ..framing import FrameDecoder, encode_end_stream
from ..framing import Message as FrameMessage
from ..proto import aiserver_pb2 as pb
from . import admin_api, chat, cpp, dashboard, deep_login
from .server import Request, Responder

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(slots=True)
class Received:
    """One request as the fake saw it, for tests to assert on what the proxy really sent."""

    method: str
    path: str
    host: str
    headers: dict[str, str]
    body: bytes
    http_version: str
    message: Message | None = None  # the decoded protobuf request, when there is one
    json: Any = None
    at: float = field(default_factory=time.time)
    query: str = ""


class Rejected(Exception):
    """A request the real server would refuse; carries the error to send back."""

    def __init__(self, error: CursorError, http_status: int | None = None) -> None:
        super().__init__(error.message or error.code)
        self.error = error
        self.http_status = http_status


@dataclass(slots=True)
class Rpc:
    request_type: type[Message] | None
    streaming: bool


RPCS: dict[str, Rpc] = {
    "/aiserver.v1.ChatService/StreamUnifiedChatWithTools": Rpc(pb.StreamUnifiedChatRequestWithTools, True),
    "/aiserver.v1.ChatService/GetPromptDryRun": Rpc(pb.StreamUnifiedChatRequestWithTools, False),
    "/aiserver.v1.AiService/AvailableModels": Rpc(pb.AvailableModelsRequest, False),
    "/aiserver.v1.ServerConfigService/GetServerConfig": Rpc(None, False),
    "/aiserver.v1.AiService/CppConfig": Rpc(pb.CppConfigRequest, False),
    "/aiserver.v1.CppService/AvailableModels": Rpc(None, False),
    "/aiserver.v1.FileSyncService/FSUploadFile": Rpc(pb.FSUploadFileRequest, False),
    "/aiserver.v1.FileSyncService/FSSyncFile": Rpc(pb.FSSyncFileRequest, False),
    "/aiserver.v1.AiService/StreamCpp": Rpc(pb.StreamCppRequest, True),
}


class FakeCursor:
    """The request handler. Thread-safe enough for tests that read `received` from another thread."""

    def __init__(self, *, checksum_skew_seconds: float | None = 3 * 3600, tool_use: bool = False) -> None:
        self.checksum_skew_seconds = checksum_skew_seconds
        # Play a tool-using model when no `#fake:` line scripts the turn (fake/tool_play.py).
        self.tool_use_default = tool_use
        self.tool_use = tool_use
        self.received: list[Received] = []
        self.revoked_users: set[str] = set()
        self.revoked_tokens: set[tuple[str, str]] = set()  # (user id, randomness)
        self.cpp = cpp.FileStore()
        self.admin_api = admin_api.AdminApi()
        self.deep_logins = deep_login.DeepLogins()
        self.open_streams = 0
        self.cancelled_streams = 0
        self._lock = threading.Lock()

    # --- test helpers ----------------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self.revoked_users.clear()
            self.revoked_tokens.clear()
            self.cancelled_streams = 0
            self.tool_use = self.tool_use_default
        self.cpp.clear()
        self.admin_api.reset()
        self.deep_logins.reset()

    def revoke(self, token: str, *, just_this_token: bool = False) -> None:
        """Make a well-formed token fail from now on, as a logged-out account would.

        `just_this_token` ends only that session (as signing out one device does): the account's
        other tokens, its web token say, keep working.
        """
        parsed = jwt.parse(token)
        if just_this_token:
            self.revoked_tokens.add((parsed.user_id, parsed.randomness))
        else:
            self.revoked_users.add(parsed.user_id)

    def is_revoked(self, token: jwt.CursorToken) -> bool:
        return token.user_id in self.revoked_users or (token.user_id, token.randomness) in self.revoked_tokens

    def requests_to(self, path_suffix: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.endswith(path_suffix)]

    # --- dispatch --------------------------------------------------------------------------------

    async def __call__(self, request: Request, responder: Responder) -> None:
        if request.path.startswith("/__fake__/"):
            await self._control(request, responder)
            return
        record = Received(
            method=request.method,
            path=request.path,
            host=request.headers.get("host", ""),
            headers=dict(request.headers),
            body=request.body,
            http_version=request.http_version,
            query=request.query,
        )
        with self._lock:
            self.received.append(record)
        rpc = RPCS.get(request.path)
        if rpc is not None:
            await self._rpc(rpc, request, record, responder)
        elif request.path.startswith("/analytics/"):
            await self.admin_api.handle(request, responder)
        elif request.path in (deep_login.CONTROL_PATH, deep_login.POLL_PATH):
            await self._deep_login(request, record, responder)
        else:
            await dashboard.handle(self, request, record, responder)

    async def _rpc(self, rpc: Rpc, request: Request, record: Received, responder: Responder) -> None:
        try:
            if request.method != "POST":
                raise Rejected(
                    CursorError.from_enum(36, code="unimplemented", message="method not allowed"), 405
                )
            self._check_content_type(request, rpc.streaming)
            token = self.check_auth(request)
            self._check_identity(request)
            message = self._decode(rpc, request)
            record.message = message
        except Rejected as rejected:
            await self._reject(rejected, rpc.streaming, responder)
            return
        if rpc.streaming:
            self.open_streams += 1
            try:
                if request.path.endswith("StreamCpp"):
                    await cpp.stream(self, token, message, request, responder)  # type: ignore[arg-type]
                else:
                    await chat.stream(self, token, message, request, responder)  # type: ignore[arg-type]
            except asyncio.CancelledError:
                self.cancelled_streams += 1
                raise
            finally:
                self.open_streams -= 1
            return
        try:
            reply, headers = await self._unary(request.path, token, message, request)
        except Rejected as rejected:
            await self._reject(rejected, False, responder)
            return
        body = reply.SerializeToString()
        out_headers = [("content-type", "application/proto"), *headers]
        if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 1024:
            body = gzip.compress(body)
            out_headers.append(("content-encoding", "gzip"))
        await responder.respond(200, out_headers, body)

    async def _unary(
        self, path: str, token: jwt.CursorToken, message: Message | None, request: Request
    ) -> tuple[Message, list[tuple[str, str]]]:
        if path.endswith("GetPromptDryRun"):
            return chat.prompt_dry_run(message), []  # type: ignore[arg-type]
        if path.endswith("AiService/AvailableModels"):
            return chat.available_models(), []
        if path.endswith("GetServerConfig"):
            if not token.is_session:
                raise Rejected(CursorError.from_enum(4, message="server config needs a session token"))
            version = uuid.uuid5(uuid.NAMESPACE_URL, f"fake-cursor-config/{token.user_id}")
            return pb.GetServerConfigResponse(config_version=str(version)), []
        return cpp.unary(self, path, message, request)

    async def _deep_login(self, request: Request, record: Received, responder: Responder) -> None:
        if request.path == deep_login.CONTROL_PATH and request.method == "POST":
            with contextlib.suppress(ValueError):  # the handler answers a body that is not JSON
                record.json = json.loads(request.body)
            status, payload = self.deep_logins.control(self, request)
        elif request.path == deep_login.POLL_PATH and request.method == "GET":
            status, payload = self.deep_logins.poll(request)
        else:
            status, payload = 405, {"error": "Method Not Allowed"}
        body = json.dumps(payload).encode()
        await responder.respond(status, [("content-type", "application/json")], body)

    # --- checks the real servers make ------------------------------------------------------------

    def check_auth(self, request: Request) -> jwt.CursorToken:
        value = request.headers.get("authorization", "")
        if not value.startswith("Bearer "):
            raise Rejected(CursorError.from_enum(38, code="unauthenticated", message="missing bearer token"))
        try:
            token = jwt.parse(value[len("Bearer ") :])
        except jwt.TokenError as exc:
            raise Rejected(CursorError.from_enum(38, code="unauthenticated", message=str(exc))) from exc
        if token.expired():
            raise Rejected(CursorError.from_enum(12, code="unauthenticated", message="token expired"))
        if self.is_revoked(token):
            raise Rejected(CursorError.from_enum(2, code="unauthenticated", message="not logged in"))
        return token

    def _check_content_type(self, request: Request, streaming: bool) -> None:
        if request.headers.get("connect-protocol-version") != "1":
            raise Rejected(
                CursorError.from_enum(
                    36, code="invalid_argument", message="connect-protocol-version must be 1"
                ),
                400,
            )
        expected = "application/connect+proto" if streaming else "application/proto"
        if request.headers.get("content-type", "").split(";")[0].strip() != expected:
            # Connect answers an unsupported content type with a bare 415, before anything else.
            raise Rejected(
                CursorError.from_enum(36, code="unknown", message=f"content-type must be {expected}"), 415
            )

    def _check_identity(self, request: Request) -> None:
        h = request.headers
        problem = checksum.verify(h.get("x-cursor-checksum", ""), skew_seconds=self.checksum_skew_seconds)
        if problem is None and not _HEX64.match(h.get("x-client-key", "")):
            problem = "x-client-key must be 64 lowercase hex"
        if problem is None and not _UUID.match(h.get("x-session-id", "")):
            problem = "x-session-id must be a UUID"
        if problem is None and not _UUID.match(h.get("x-request-id", "")):
            problem = "x-request-id must be a UUID"
        if problem is None and not re.match(
            r"^\d{1,4}\.\d{1,4}\.\d{1,4}$", h.get("x-cursor-client-version", "")
        ):
            problem = "x-cursor-client-version is missing or malformed"
        if problem is not None:
            raise Rejected(CursorError.from_enum(36, code="invalid_argument", message=problem))

    def _decode(self, rpc: Rpc, request: Request) -> Message | None:
        body = request.body
        if request.headers.get("content-encoding") == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as exc:
                raise Rejected(
                    CursorError.from_enum(36, code="invalid_argument", message="bad gzip body")
                ) from exc
        if rpc.streaming:
            decoder = FrameDecoder()
            try:
                frames = decoder.feed(body)
            except Exception as exc:
                raise Rejected(
                    CursorError.from_enum(36, code="invalid_argument", message="bad request envelope")
                ) from exc
            messages = [f for f in frames if isinstance(f, FrameMessage)]
            if len(messages) != 1 or decoder.buffered:
                raise Rejected(
                    CursorError.from_enum(
                        36, code="invalid_argument", message="expected exactly one request message"
                    )
                )
            body = messages[0].payload
        if rpc.request_type is None:
            return None
        message = rpc.request_type()
        try:
            message.ParseFromString(body)
        except DecodeError as exc:
            raise Rejected(
                CursorError.from_enum(36, code="invalid_argument", message="request does not decode")
            ) from exc
        return message

    async def _reject(self, rejected: Rejected, streaming: bool, responder: Responder) -> None:
        error = rejected.error
        if streaming and rejected.http_status is None:
            # Connect streams report errors in the end-of-stream message of a 200 response.
            await responder.start(200, [("content-type", "application/connect+proto")])
            await responder.send(encode_end_stream(error))
            await responder.end()
            return
        status = rejected.http_status or _unary_status(error.code)
        body = json.dumps(error.to_unary_json()).encode()
        await responder.respond(status, [("content-type", "application/json")], body)

    # --- control endpoints, for tests and the benchmark running the fake in another process -------

    async def _control(self, request: Request, responder: Responder) -> None:
        if request.path == "/__fake__/requests" and request.method == "GET":
            with self._lock:
                items = [
                    {
                        "method": r.method,
                        "path": r.path,
                        "query": r.query,
                        "host": r.host,
                        "headers": r.headers,
                        "at": r.at,
                    }
                    for r in self.received
                ]
            body = json.dumps(items).encode()
        elif request.path == "/__fake__/clear" and request.method == "POST":
            self.clear()
            body = b"{}"
        elif request.path == "/__fake__/revoke" and request.method == "POST":
            params = json.loads(request.body)
            self.revoke(params["token"], just_this_token=bool(params.get("just_this_token")))
            body = b"{}"
        elif request.path == "/__fake__/mint" and request.method == "POST":
            params = json.loads(request.body or b"{}")
            lifetime = -3600 if params.get("expired") else 60 * 24 * 3600
            token_type = "web" if params.get("type") == "web" else "session"
            body = json.dumps({"token": jwt.mint(lifetime=lifetime, token_type=token_type)}).encode()
        elif request.path == "/__fake__/tool-use" and request.method == "POST":
            # {"on": true}: play a tool-using model (see fake/tool_play.py) until turned off or cleared.
            self.tool_use = bool(json.loads(request.body or b"{}").get("on", True))
            body = json.dumps({"on": self.tool_use}).encode()
        elif request.path == "/__fake__/deep-login" and request.method == "POST":
            # {"approve_after": N}: the first N polls of each login answer 404; null: they all do.
            after = json.loads(request.body or b"{}").get("approve_after", 0)
            self.deep_logins.approve_after = None if after is None else int(after)
            body = b"{}"
        else:
            await responder.respond(404, [("content-type", "application/json")], b'{"error":"not found"}')
            return
        await responder.respond(200, [("content-type", "application/json")], body)


_UNARY_STATUS = {
    "unauthenticated": 401,
    "permission_denied": 403,
    "not_found": 404,
    "invalid_argument": 400,
    "failed_precondition": 400,
    "resource_exhausted": 429,
    "deadline_exceeded": 504,
    "unavailable": 503,
    "unimplemented": 501,
    "already_exists": 409,
    "aborted": 409,
    "canceled": 499,
}


def _unary_status(code: str) -> int:
    return _UNARY_STATUS.get(code, 500)


def stable_digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
