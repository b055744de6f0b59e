"""The OpenAI- and Anthropic-compatible routes. Thin: auth, parse, hand over to the chat core."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from google.protobuf.message import DecodeError, Message

from cursorapi import admission, auth, jsonbody, upstream_client
from cursorapi.chat import cursor_request
from cursorapi.chat import options as chat_options
from cursorapi.chat.catalog import catalog, listed_ids
from cursorapi.chat.service import ChatFailure, ChatRun, failure_from
from cursorapi.chat.types import ChatInputError
from cursorapi.dbwork import db
from cursorapi.dialects import anthropic, openai
from cursorapi.upstream import hosts
from cursorapi.upstream.errors import ProtocolError, UpstreamError
from cursorapi.upstream.proto import aiserver_pb2 as pb
from runtime import config as runtime_config
from tokens import services as pool
from tokens import spend_limit

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)


def _openai_error(status: int, message: str, kind: str, param: str | None = None, code: str | None = None):
    return JsonResponse(openai.error_body(message, kind, param=param, code=code), status=status)


def _anthropic_error(status: int, message: str, kind: str, param: str | None = None, code: str | None = None):
    return JsonResponse(anthropic.error_body(message, kind), status=status)


ErrorFn = Callable[..., JsonResponse]


def _read_json(request: HttpRequest, error: ErrorFn) -> tuple[Any, HttpResponse | None]:
    try:
        raw = request.body
    except RequestDataTooBig:
        return None, error(
            413, f"request body is larger than {settings.REQUEST_BODY_LIMIT} bytes", "request_too_large"
        )
    try:
        return jsonbody.loads(raw), None
    except jsonbody.BadJson as exc:
        return None, error(400, str(exc), "invalid_request_error")


def _headers(request: HttpRequest) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items() if k.lower().startswith("x-stainless-")}


def _unauthorized(error: ErrorFn, request: HttpRequest) -> JsonResponse:
    if not auth.credential(request):
        return error(
            401, "Missing API key: send Authorization: Bearer <key> or x-api-key.", "authentication_error"
        )
    message = getattr(request, "auth_problem", None) or "Invalid API key."
    return error(401, message, "authentication_error", code="invalid_api_key")


async def _caller_and_body(request: HttpRequest, error: ErrorFn) -> tuple[auth.Caller, Any] | HttpResponse:
    """Who is calling and what they sent, or the response that refuses them."""
    caller = await auth.authenticate(request)
    if caller is None:
        return _unauthorized(error, request)
    body, problem = _read_json(request, error)
    return problem if problem else (caller, body)


async def _refused(caller: auth.Caller, model_id: str) -> tuple[int, str, str] | None:
    """A named key's model list, spent budgets and monthly spend limit, reserving nothing (nothing
    to check for other callers)."""
    if admission.needs_checking(caller):
        refused = await db(admission.peek)(caller, model_id)
        if refused is not None:
            return refused.status, refused.kind, refused.message
    return await _over_spend(caller)


async def _over_spend(caller: auth.Caller) -> tuple[int, str, str] | None:
    """A named key's monthly spend limit (billed cents, REAL_USAGE)."""
    if caller.api_key_id is None or spend_limit.cached_unlimited(caller.api_key_id):
        return None
    return await db(spend_limit.monthly_refusal)(caller.api_key_id)


async def _admit(run: ChatRun) -> tuple[int, str, str] | None:
    """Admit a chat: a named key's model list and monthly spend, and a slot reserved in each of its
    daily budgets, held by the run (given back if it never reaches Cursor)."""
    if over := await _over_spend(run.caller):
        return over
    if not admission.needs_checking(run.caller):
        return None
    admitted = await db(admission.admit)(run.caller, run.chat.model.model.id)
    if isinstance(admitted, admission.Refusal):
        return admitted.status, admitted.kind, admitted.message
    run.admission = admitted
    return None


def _anthropic_input_error(exc: ChatInputError) -> JsonResponse:
    kind = "not_found_error" if exc.status == 404 else "invalid_request_error"
    return _anthropic_error(exc.status, f"{exc.param}: {exc.message}" if exc.param else exc.message, kind)


@csrf_exempt
@require_http_methods(["POST"])
async def chat_completions(request: HttpRequest) -> HttpResponse:
    got = await _caller_and_body(request, _openai_error)
    if isinstance(got, HttpResponse):
        return got
    caller, body = got
    try:
        options = chat_options.for_caller(caller)
        chat, include_usage = await openai.parse(body, catalog, _headers(request), options)
    except ChatInputError as exc:
        return _openai_error(exc.status, exc.message, "invalid_request_error", exc.param, exc.code)
    run = ChatRun(chat, caller, request.request_id, "openai")  # type: ignore[attr-defined]
    if refused := await _admit(run):
        status, kind, message = refused
        return _openai_error(status, message, kind)

    def error_body(failure: ChatFailure) -> dict[str, Any]:
        return openai.error_body(failure.message, failure.kind, code=failure.code)

    from .chat_http import serve

    return await serve(run, openai.Renderer(chat, include_usage), error_body, request)


@csrf_exempt
@require_http_methods(["POST"])
async def messages(request: HttpRequest) -> HttpResponse:
    got = await _caller_and_body(request, _anthropic_error)
    if isinstance(got, HttpResponse):
        return got
    caller, body = got
    try:
        chat = await anthropic.parse(body, catalog, _headers(request), chat_options.for_caller(caller))
    except ChatInputError as exc:
        return _anthropic_input_error(exc)
    run = ChatRun(chat, caller, request.request_id, "anthropic")  # type: ignore[attr-defined]
    if refused := await _admit(run):
        status, kind, message = refused
        return _anthropic_error(status, message, kind)

    def error_body(failure: ChatFailure) -> dict[str, Any]:
        return anthropic.error_body(failure.message, failure.kind)

    from .chat_http import serve

    return await serve(run, anthropic.Renderer(chat), error_body, request)


@csrf_exempt
@require_http_methods(["POST"])
async def count_tokens(request: HttpRequest) -> HttpResponse:
    got = await _caller_and_body(request, _anthropic_error)
    if isinstance(got, HttpResponse):
        return got
    caller, body = got
    try:
        chat = await anthropic.parse(
            body, catalog, _headers(request), chat_options.for_caller(caller), counting=True
        )
    except ChatInputError as exc:
        return _anthropic_input_error(exc)
    if refused := await _refused(caller, chat.model.model.id):
        status, kind, message = refused
        return _anthropic_error(status, message, kind)
    try:
        lease = await db(pool.lease_for)(caller)
        message = cursor_request.build(chat, client_version=runtime_config.current()["cursor_client_version"])
        reply = await upstream_client.get().unary(lease.account, hosts.PROMPT_DRY_RUN, message)
        counts = _decoded(pb.GetPromptDryRunResponse, reply.body)
    except (UpstreamError, pool.NoTokenAvailable) as exc:
        failure = failure_from(exc)
        response = _anthropic_error(failure.status, failure.message, failure.kind)
        if failure.retry_after is not None:
            response["Retry-After"] = str(failure.retry_after)
        return response
    for count in (counts.full_conversation_token_count, counts.user_message_token_count):
        if count.HasField("num_tokens"):
            return JsonResponse({"input_tokens": count.num_tokens})
    return JsonResponse({"input_tokens": 0})


def _decoded(message_type: type[M], body: bytes) -> M:
    """Cursor's unary reply, or ProtocolError (an upstream failure, 502) when it is not that message."""
    try:
        return message_type.FromString(body)
    except DecodeError:
        raise ProtocolError(f"Cursor's {message_type.__name__} does not decode") from None


@require_http_methods(["GET"])
async def models(request: HttpRequest) -> HttpResponse:
    caller = await auth.authenticate(request)
    if caller is None and auth.credential(request):
        return _unauthorized(_openai_error, request)
    # Cursor's list is merged in by the periodic refresh (runtime.model_refresh), not here.
    if "anthropic-version" in request.headers:
        data = [
            {
                "type": "model",
                "id": listed,
                "display_name": m.display_name,
                "created_at": "2024-01-31T00:00:00Z",
            }
            for m in catalog.models
            for listed in listed_ids(m)
        ]
        return JsonResponse(
            {
                "data": data,
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )
    return JsonResponse(
        {
            "object": "list",
            "data": [
                {
                    "id": listed,
                    "object": "model",
                    "type": "model",
                    "created": 1706659200,
                    "created_at": "2024-01-31T00:00:00Z",
                    "owned_by": m.owned_by,
                    "display_name": m.display_name,
                    "client_id": m.client_id,
                    "server_id": m.server_id,
                    "supports_thinking": m.thinking,
                    "supports_images": m.images,
                    "supports_max_mode": m.max_mode,
                    "supports_non_max_mode": m.non_max,
                }
                for m in catalog.models
                for listed in listed_ids(m)
            ],
        }
    )


@require_http_methods(["GET"])
async def raw_models(request: HttpRequest) -> HttpResponse:
    """Cursor's AvailableModels answer as last received by the periodic refresh (the original's route)."""
    from runtime import model_store

    record = await db(model_store.stored)()
    if record is None or record.raw is None or record.refreshed_at is None:
        return JsonResponse(
            {
                "status": "error",
                "error": "Models data not available",
                "message": "Cursor's model list has not been fetched yet: the server fetches it every "
                "MODEL_REFRESH_INTERVAL seconds, or run `manage.py refresh_models`",
            },
            status=404,
        )
    now = timezone.now()
    return JsonResponse(
        {
            "raw": record.raw,
            "dur": round((now - record.refreshed_at).total_seconds(), 3),
            "now": now.isoformat(),
            "fetch_mode": record.fetch_mode,
        }
    )
