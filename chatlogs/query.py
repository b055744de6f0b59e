"""The original's log filters (`/logs/get` query), as a queryset; shared by the API and exports."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet

from tokens.models import Token

from .models import Chain, ChatLog, Status

MEMBERSHIPS = {"free", "free_trial", "pro", "pro_plus", "ultra", "enterprise"}
_USER_ID = re.compile(r"^(user_[0-9A-HJKMNP-TV-Z]{26}|[0-9a-f]{24})$")


class BadFilter(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _date(query: dict[str, Any], field: str) -> datetime | None:
    value = query.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadFilter(field, "must be an RFC 3339 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadFilter(field, f"{value!r} is not an RFC 3339 date-time") from exc
    if parsed.tzinfo is None:
        raise BadFilter(field, "needs a time zone offset, e.g. 2024-03-20T15:30:00+08:00")
    return parsed


def _number(query: dict[str, Any], field: str) -> float | None:
    value = query.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadFilter(field, "must be a number")
    return value


def _flag(query: dict[str, Any], field: str) -> bool | None:
    value = query.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadFilter(field, "must be true or false")
    return value


def _strings(query: dict[str, Any], field: str) -> list[str] | None:
    value = query.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadFilter(field, "must be a list of strings")
    return value


def _token_ids(**lookup: Any) -> list[int]:
    """Matching tokens, looked up first: the log's token index then serves the filter, not a join."""
    return list(Token.objects.filter(**lookup).values_list("pk", flat=True))


def filtered(query: dict[str, Any], base: QuerySet[ChatLog] | None = None) -> QuerySet[ChatLog]:
    """Records matching every given filter (ANDed); raises BadFilter naming the field."""
    if not isinstance(query, dict):
        raise BadFilter("query", "must be an object")
    qs = base if base is not None else ChatLog.objects.all()
    nothing = qs.none()
    if (start := _date(query, "from_date")) is not None:
        qs = qs.filter(created_at__gte=start)
    if (end := _date(query, "to_date")) is not None:
        qs = qs.filter(created_at__lte=end)
    if (user_id := query.get("user_id")) is not None:
        if not isinstance(user_id, str) or not _USER_ID.match(user_id):
            raise BadFilter("user_id", "must be user_<ULID> or 24 hex digits")
        qs = qs.filter(token_id__in=_token_ids(user_id=user_id))
    if isinstance(email := query.get("email"), str):
        qs = qs.filter(token_id__in=_token_ids(email__contains=email))
    if (membership := query.get("membership_type")) is not None:
        if membership not in MEMBERSHIPS:
            return nothing  # as the original: an unknown membership matches nothing
        qs = qs.filter(token_id__in=_token_ids(membership_type=membership))
    if (status := query.get("status")) is not None:
        if status not in Status.values:
            return nothing
        qs = qs.filter(status=status)
    if (dialect := query.get("dialect")) is not None:  # openai / anthropic / cpp (Copilot++, file sync)
        if not isinstance(dialect, str):
            raise BadFilter("dialect", "must be a string")
        qs = qs.filter(dialect=dialect)
    if isinstance(model := query.get("model"), str):
        qs = qs.filter(model__contains=model)
    if (include := _strings(query, "include_models")) is not None:
        qs = qs.filter(model__in=include)
    if (exclude := _strings(query, "exclude_models")) is not None:
        qs = qs.exclude(model__in=exclude)
    if isinstance(dialect := query.get("dialect"), str):  # openai / anthropic / responses
        qs = qs.filter(dialect=dialect)
    if (stream := _flag(query, "stream")) is not None:
        qs = qs.filter(stream=stream)
    if (has_usage := _flag(query, "has_usage")) is not None:
        qs = qs.filter(prompt_tokens__isnull=not has_usage)
    if (has_chain := _flag(query, "has_chain")) is not None:
        chain = Q(prompt_tokens__isnull=False) | Q(ttft_ms__isnull=False)
        qs = qs.filter(chain) if has_chain else qs.exclude(chain)
    if (has_error := _flag(query, "has_error")) is not None:
        qs = qs.exclude(error="") if has_error else qs.filter(error="")
    if isinstance(error := query.get("error"), str):
        qs = qs.filter(error__contains=error)
    if (low := _number(query, "min_total_time")) is not None:
        qs = qs.filter(total_ms__gte=low * 1000)
    if (high := _number(query, "max_total_time")) is not None:
        qs = qs.filter(total_ms__lte=high * 1000)
    tokens = F("prompt_tokens") + F("completion_tokens")
    if (low := _number(query, "min_tokens")) is not None:
        qs = qs.alias(tokens=tokens).filter(tokens__gte=low)
    if (high := _number(query, "max_tokens")) is not None:
        qs = qs.alias(tokens=tokens).filter(tokens__lte=high)
    return qs


# Below this many matches a page is cheaper found through the filter's own index and sorted.
FEW_MATCHES = 10_000


MAX_PAGE_BOUND = 2**53  # the largest integer a JSON client can send exactly


def page(query: dict[str, Any], qs: QuerySet[ChatLog], matching: int | None = None) -> QuerySet[ChatLog]:
    """One page in id order. `matching`, the filter's count when the caller has it, picks the plan."""
    reverse = _flag(query, "reverse") or False
    offset = _number(query, "offset") or 0
    limit = _number(query, "limit")
    for field, value in (("offset", offset), ("limit", limit)):
        # A bound the database can hold: 1e308 or an infinity would overflow its integer.
        if value is not None and not (0 <= value <= MAX_PAGE_BOUND):
            raise BadFilter(field, f"must be a number from 0 to {MAX_PAGE_BOUND}")
    if matching is not None and matching <= FEW_MATCHES:
        # Ordering by the bare id lets the planner walk the id index and test each row, which on a
        # selective filter means reading the whole table to find a handful; an expression it cannot
        # walk makes it use the filter's index and sort the few rows found.
        key = F("id") + 0
        ordered = qs.order_by(key.desc() if reverse else key.asc())
    else:
        ordered = qs.order_by("-id" if reverse else "id")
    end = None if limit is None else int(offset) + int(limit)
    return ordered[int(offset) : end]


def _delays(log: ChatLog) -> list[list[float]]:
    try:
        return log.chain.delays
    except Chain.DoesNotExist:
        return []


def with_chain(qs: QuerySet[ChatLog]) -> QuerySet[ChatLog]:
    """What `record` reads, joined in the same query."""
    return qs.select_related("token", "chain", "billed")


def _has_billed(log: ChatLog) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return log.billed is not None
    except ObjectDoesNotExist:
        return False


# Filters that name a pool account: an oracle on the pool's identities for anyone but the admin.
POOL_IDENTITY_FILTERS = ("user_id", "email", "membership_type")


def check_filters_for_key(query: Any) -> None:
    """A named key filters its own records, but never by pool identity (BadFilter names the field)."""
    if isinstance(query, dict):
        for field in POOL_IDENTITY_FILTERS:
            if query.get(field) is not None:
                raise BadFilter(field, "only the admin may filter by pool account")


def record(log: ChatLog, *, pool_identity: bool = True) -> dict[str, Any]:
    """One record in the original's shape; the token appears by alias and masked form, never in full.

    Without `pool_identity` (a named key reading its own records) the record names no pool account:
    no alias, masked token, user id, email or membership (`token_info` is null).
    """
    token = log.token
    token_info: dict[str, Any] | None = {"alias": log.token_alias or None}
    if not pool_identity:
        token_info = None
    elif token is not None:
        token_info.update(
            {
                "key": token.masked_token,
                "user_id": token.user_id,
                "email": token.email or None,
                "membership_type": token.membership_type or None,
            }
        )
    chain: dict[str, Any] = {}
    billed = getattr(log, "billed", None) if _has_billed(log) else None
    if billed is not None:  # what Cursor billed (REAL_USAGE), matched after the request
        chain["usage"] = billed.as_usage()
    elif log.prompt_tokens is not None:
        chain["usage"] = {"input": log.prompt_tokens, "output": log.completion_tokens or 0}
    if log.prompt:
        chain["prompt"] = log.prompt
    if log.reply:
        chain["reply"] = log.reply
    delays = _delays(log)
    if delays:
        # The original's shape: the reply text (empty unless LOG_CONTENT) and [chars, seconds] pairs.
        chain["delays"] = [log.reply, [[chars, ms / 1000] for chars, ms in delays]]
    if log.thinking:
        chain["think"] = log.thinking
    out: dict[str, Any] = {
        "id": log.pk,
        "timestamp": log.created_at.isoformat(),
        "request_id": log.request_id,
        "dialect": log.dialect,
        "model": log.model,
        "token_info": token_info,
        "timing": {
            "total": (log.total_ms or 0) / 1000,
            "first_token": None if log.ttft_ms is None else log.ttft_ms / 1000,
        },
        "stream": log.stream,
        "status": log.status,
        "http_status": log.http_status,
        "error": log.error or None,
        "attempts": log.attempts,
        "finish_reason": log.finish_reason or None,
    }
    if chain:
        out["chain"] = chain
    return out
