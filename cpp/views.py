"""Copilot++ and file sync routes: JSON in, Cursor's protobuf calls through the pool, JSON or SSE out."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from google.protobuf.message import DecodeError, Message

from cursorapi import auth
from cursorapi.upstream import hosts
from cursorapi.upstream.errors import UpstreamError
from cursorapi.upstream.hosts import Endpoint
from cursorapi.upstream.proto import aiserver_pb2 as pb
from tokens.services import NoTokenAvailable

from . import calls, convert, cookies, failures, requestlog

_CLIENT_KEY = re.compile(r"[0-9a-fA-F]{64}")


def _error(status: int, kind: str, message: str) -> JsonResponse:
    return JsonResponse(failures.body(failures.Failure(status, kind, message)), status=status)


def _failed(exc: Exception) -> JsonResponse:
    failure = failures.failure_from(exc)
    response = JsonResponse(failures.body(failure), status=failure.status)
    if failure.retry_after is not None:
        response["Retry-After"] = str(failure.retry_after)
    return response


async def _record(
    request: HttpRequest, editor: calls.Editor, stream: bool
) -> requestlog.CallRecord | HttpResponse:
    """Admit the call (a named key's model list and budgets) and start its log record."""
    admitted = await requestlog.admit(editor.caller)
    if isinstance(admitted, requestlog.admission.Refusal):
        return _error(admitted.status, admitted.kind, admitted.message)
    return requestlog.CallRecord(
        editor.caller,
        request.path.lstrip("/"),
        request.request_id,  # type: ignore[attr-defined]
        stream,
        held=admitted,
    )


async def _editor(request: HttpRequest) -> calls.Editor | HttpResponse:
    caller = await auth.authenticate(request)
    if caller is None:
        return _error(401, "unauthorized", "Invalid authorization token")
    key = request.headers.get("x-client-key", "")
    # No key: like the original, the pool token's own client key stands in (cpp.calls).
    if key and not _CLIENT_KEY.fullmatch(key):
        return _error(400, "bad_request", "x-client-key must be 32 bytes written as 64 hex digits")
    return calls.Editor(caller, key.lower(), cookies.forwarded(request.headers.get("cookie", "")))


def _message(request: HttpRequest, message_type: type[Message]) -> Message | HttpResponse:
    try:
        raw = request.body
    except RequestDataTooBig:
        limit = settings.REQUEST_BODY_LIMIT
        return _error(413, "request_too_large", f"the request body is larger than {limit} bytes")
    try:
        return convert.read(raw, message_type)
    except convert.BadRequest as exc:
        return _error(400, "bad_request", str(exc))


async def _unary(
    request: HttpRequest,
    endpoint: Endpoint,
    request_type: type[Message] | None,
    reply_type: type[Message],
) -> HttpResponse:
    editor = await _editor(request)
    if isinstance(editor, HttpResponse):
        return editor
    body = b""
    if request_type is not None:  # /cpp/models sends Cursor an empty body, whatever it got
        message = _message(request, request_type)
        if isinstance(message, HttpResponse):
            return message
        body = message.SerializeToString()
    record = await _record(request, editor, stream=False)
    if isinstance(record, HttpResponse):
        return record
    try:
        reply = await calls.unary(editor, endpoint, body, record.leased)
        decoded = reply_type.FromString(reply.body)
    except (UpstreamError, NoTokenAvailable) as exc:
        response = _failed(exc)
        await record.finish(response.status_code, failures.failure_from(exc).message)
        return response
    except DecodeError:
        await record.finish(502, "Cursor's answer does not decode")
        return _error(502, "upstream_error", "Cursor's answer does not decode")
    except asyncio.CancelledError:
        await record.finish(499, cancelled=True)
        raise
    await record.finish(200)
    response = JsonResponse(convert.answer(decoded))
    cookies.pass_back(response, reply.set_cookies)
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


@csrf_exempt
@require_POST
async def cpp_stream(request: HttpRequest) -> HttpResponse:
    editor = await _editor(request)
    if isinstance(editor, HttpResponse):
        return editor
    message = _message(request, pb.StreamCppRequest)
    if isinstance(message, HttpResponse):
        return message
    record = await _record(request, editor, stream=True)
    if isinstance(record, HttpResponse):
        return record
    try:
        opened = await calls.open_stream(editor, message.SerializeToString(), record.leased)
    except (UpstreamError, NoTokenAvailable) as exc:
        await record.finish(failures.failure_from(exc).status, failures.failure_from(exc).message)
        return _failed(exc)
    except asyncio.CancelledError:
        await record.finish(499, cancelled=True)
        raise
    record.first_event_at = time.perf_counter()
    response = StreamingHttpResponse(_events(opened, record), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    cookies.pass_back(response, opened.set_cookies)
    return response


async def _events(opened: calls.OpenStream, record: requestlog.CallRecord) -> AsyncIterator[bytes]:
    """Each read's events as soon as they are decoded; an upstream failure becomes an `error` event."""
    status, error = 200, ""
    try:
        if opened.first:
            yield opened.first
        while True:
            try:
                batch = await anext(opened.rest)
            except StopAsyncIteration:
                break
            except UpstreamError as exc:
                await calls.report(opened.lease, exc, after_first_byte=True)
                failure = failures.failure_from(exc)
                status, error = failure.status, failure.message
                yield convert.sse("error", failures.event(failure))
                break
            chunk = convert.encode_events(batch)
            if chunk:
                yield chunk
        yield convert.sse("stream_end")
    except asyncio.CancelledError:
        await opened.close()
        await record.finish(499, cancelled=True)
        raise
    finally:
        await opened.close()
        await record.finish(status, error)
