"""Copilot++ and file sync: JSON in, Cursor's protobuf calls through the pool, JSON or SSE out."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from google.protobuf.message import DecodeError, Message

from cursorapi import auth, upstream_client
from cursorapi.dbwork import db
from cursorapi.upstream import hosts
from cursorapi.upstream.errors import CursorError, UpstreamError
from cursorapi.upstream.hosts import Endpoint
from cursorapi.upstream.proto import aiserver_pb2 as pb
from tokens.services import NoTokenAvailable, UnknownAlias

from . import convert
from .services import lease_for_client

_CLIENT_KEY = re.compile(r"^[0-9a-fA-F]{64}$")
# Only the editor's file sync session travels: the load balancer's stickiness and the sync cookie.
_PASSED_COOKIES = re.compile(r"^(FilesyncCookie|AWSALBAPP-\d+)$")


def _error(status: int, kind: str, message: str) -> JsonResponse:
    return JsonResponse({"status": "error", "code": status, "error": kind, "message": message}, status=status)


def _upstream_error(exc: Exception) -> JsonResponse:
    if isinstance(exc, UnknownAlias):
        return _error(404, "alias_not_found", "No pool token has that alias")
    if isinstance(exc, NoTokenAvailable):
        return _error(503, "no_tokens", "No Cursor account is available right now")
    if isinstance(exc, CursorError):
        return _error(exc.http_status, exc.type or exc.code, exc.title or exc.message or exc.code)
    assert isinstance(exc, UpstreamError)
    return _error(exc.http_status, "upstream_error", str(exc))


def _cookies(request: HttpRequest) -> str:
    return "; ".join(f"{k}={v}" for k, v in request.COOKIES.items() if _PASSED_COOKIES.match(k))


async def _prepare(
    request: HttpRequest, message_type: type[Message] | None
) -> tuple[Any, ...] | HttpResponse:
    caller = await auth.authenticate(request)
    if caller is None:
        return _error(401, "unauthorized", "Invalid authorization token")
    client_key = request.headers.get("x-client-key", "")
    if not _CLIENT_KEY.match(client_key):
        return _error(400, "bad_request", "x-client-key must be 32 bytes as 64 hex digits")
    message = None
    if message_type is not None:
        try:
            body = json.loads(request.body or b"{}")
            message = convert.parse(message_type, body)
        except ValueError as exc:
            return _error(400, "bad_request", f"invalid request body: {exc}")
    try:
        lease = await db(lease_for_client)(caller, client_key.lower())
    except NoTokenAvailable as exc:
        return _upstream_error(exc)
    return lease, client_key.lower(), message


async def _unary(
    request: HttpRequest, endpoint: Endpoint, request_type: type[Message] | None, reply_type: type[Message]
) -> HttpResponse:
    prepared = await _prepare(request, request_type)
    if isinstance(prepared, HttpResponse):
        return prepared
    lease, client_key, message = prepared
    body = message.SerializeToString() if message is not None else b""
    try:
        reply = await upstream_client.get().unary(
            lease.account, endpoint, body, cookie=_cookies(request), fs_client_key=client_key
        )
        decoded = reply_type.FromString(reply.body)
    except (UpstreamError, DecodeError) as exc:
        if isinstance(exc, DecodeError):
            return _error(502, "upstream_error", "Cursor's answer does not decode")
        return _upstream_error(exc)
    response = JsonResponse(convert.to_json(decoded))
    for cookie in reply.set_cookies:
        # Passed back as Cursor set them, so the editor keeps its file sync session.
        name, _, rest = cookie.partition("=")
        if _PASSED_COOKIES.match(name.strip()):
            response.cookies[name.strip()] = rest.split(";", 1)[0]
            response.cookies[name.strip()]["path"] = "/"
    return response


@csrf_exempt
@require_POST
async def cpp_config(request: HttpRequest) -> HttpResponse:
    return await _unary(request, hosts.CPP_CONFIG, pb.CppConfigRequest, pb.CppConfigResponse)


@csrf_exempt
@require_POST
async def cpp_models(request: HttpRequest) -> HttpResponse:
    return await _unary(request, hosts.CPP_MODELS, None, pb.AvailableCppModelsResponse)


@csrf_exempt
@require_POST
async def file_upload(request: HttpRequest) -> HttpResponse:
    return await _unary(request, hosts.FS_UPLOAD, pb.FSUploadFileRequest, pb.FSUploadFileResponse)


@csrf_exempt
@require_POST
async def file_sync(request: HttpRequest) -> HttpResponse:
    return await _unary(request, hosts.FS_SYNC, pb.FSSyncFileRequest, pb.FSSyncFileResponse)


def _error_event(exc: Exception) -> bytes:
    if isinstance(exc, CursorError):
        error: dict[str, Any] = {"code": exc.http_status, "type": exc.type or exc.code}
        if exc.title or exc.detail:
            error["details"] = {"title": exc.title, "detail": exc.detail}
            if exc.additional_info:
                error["details"]["additional_info"] = exc.additional_info
    else:
        error = {"code": getattr(exc, "http_status", 502), "type": "upstream_error"}
    return convert.sse("error", {"error": error})


@csrf_exempt
@require_POST
async def cpp_stream(request: HttpRequest) -> HttpResponse:
    prepared = await _prepare(request, pb.StreamCppRequest)
    if isinstance(prepared, HttpResponse):
        return prepared
    lease, client_key, message = prepared
    upstream = upstream_client.get().stream(
        lease.account,
        hosts.CPP_STREAM,
        message.SerializeToString(),
        cookie=_cookies(request),
        fs_client_key=client_key,
    )
    try:
        first = await anext(upstream)
    except StopAsyncIteration:
        first = []
    except UpstreamError as exc:
        await upstream.aclose()
        return _upstream_error(exc)
    response = StreamingHttpResponse(_events(first, upstream), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _events(first: list[bytes], upstream: AsyncIterator[list[bytes]]) -> AsyncIterator[bytes]:
    try:
        batch: list[bytes] | None = first
        while batch is not None:
            chunk = b"".join(convert.events(pb.StreamCppResponse.FromString(p)) for p in batch)
            if chunk:
                yield chunk
            try:
                batch = await anext(upstream)
            except StopAsyncIteration:
                batch = None
            except UpstreamError as exc:
                yield _error_event(exc)
                break
        yield convert.sse("stream_end", {})
    finally:
        # Closing the upstream generator resets its HTTP/2 stream: a disconnect cancels the call.
        with contextlib.suppress(RuntimeError):
            await upstream.aclose()  # type: ignore[attr-defined]
