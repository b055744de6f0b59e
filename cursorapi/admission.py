"""Admitting a named key's request: its model list, then its budgets, each reserved atomically.

A budget is held by reserving its slot when the request is admitted (one conditional upsert, so
ten parallel requests on a key limited to three admit exactly three), and giving the slot back
if the request never reaches Cursor (no account free, session busy, client gone first).

Each budget is a `Budget` in `BUDGETS`: a further one (a monthly spend limit, say) is one more
entry with its own reserve/release; a refusal by a later budget gives back the earlier ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.utils import timezone

from cursorapi.auth import Caller
from cursorapi.dbwork import one_writer


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Budget:
    applies: Callable[[Caller], bool]
    # Reserve one slot; the token to give it back with, or a Refusal when the budget is spent.
    reserve: Callable[[Caller], object]
    release: Callable[[Caller, object], None]


@dataclass
class Admission:
    """The slots one admitted request holds; `release` gives back those not yet given back."""

    caller: Caller
    held: list[tuple[Budget, object]] = field(default_factory=list)

    def release(self) -> None:
        held, self.held = self.held, []
        for budget, token in reversed(held):
            budget.release(self.caller, token)


# --- the daily request budget ------------------------------------------------------------------


def _table() -> str:
    from tokens.models import ApiKeyDailyUse

    return connection.ops.quote_name(ApiKeyDailyUse._meta.db_table)


def _reserve_daily(caller: Caller) -> object:
    limit = caller.daily_limit
    assert limit is not None and caller.api_key_id is not None
    message = f"this API key has used its {limit} requests for today"
    if limit <= 0:
        return Refusal(429, "rate_limit_error", message)
    day = timezone.now().date()
    table = _table()
    # One statement: the first request of the day inserts the counter at 1; later ones bump it
    # only while it is under the limit, and a row comes back only when the slot was taken.
    sql = (
        f"INSERT INTO {table} (api_key_id, day, requests) VALUES (%s, %s, 1) "
        f"ON CONFLICT (api_key_id, day) DO UPDATE SET requests = {table}.requests + 1 "
        f"WHERE {table}.requests < %s RETURNING requests"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [caller.api_key_id, day, limit])
        taken = cursor.fetchone()
    if taken is None:
        return Refusal(429, "rate_limit_error", message)
    return day


def _release_daily(caller: Caller, day: object) -> None:
    from django.db.models import F

    from tokens.models import ApiKeyDailyUse

    assert isinstance(day, date)
    ApiKeyDailyUse.objects.filter(api_key_id=caller.api_key_id, day=day, requests__gt=0).update(
        requests=F("requests") - 1
    )


DAILY = Budget(
    applies=lambda caller: caller.api_key_id is not None and caller.daily_limit is not None,
    reserve=one_writer(_reserve_daily),
    release=one_writer(_release_daily),
)
BUDGETS: list[Budget] = [DAILY]


# --- admission ------------------------------------------------------------------------------------


def needs_checking(caller: Caller) -> bool:
    """Whether admission has anything to do (so that other callers skip the thread hop)."""
    return bool(caller.allowed_models) or any(budget.applies(caller) for budget in BUDGETS)


def model_refusal(caller: Caller, model_id: str) -> Refusal | None:
    if caller.allowed_models and model_id not in caller.allowed_models:
        return Refusal(403, "permission_error", f"this API key may not use the model {model_id!r}")
    return None


def admit(caller: Caller, model_id: str) -> Admission | Refusal:
    """Check the model list, then reserve a slot in every budget that applies. A sync call (from
    async code go through dbwork.db)."""
    if refused := model_refusal(caller, model_id):
        return refused
    admission = Admission(caller)
    for budget in BUDGETS:
        if not budget.applies(caller):
            continue
        token = budget.reserve(caller)
        if isinstance(token, Refusal):
            admission.release()
            return token
        admission.held.append((budget, token))
    return admission


def peek(caller: Caller, model_id: str) -> Refusal | None:
    """Whether a request would be refused, reserving nothing (for calls that do not spend a
    request, such as token counting): the model list, and budgets already spent."""
    if refused := model_refusal(caller, model_id):
        return refused
    if DAILY.applies(caller):
        from tokens.models import ApiKeyDailyUse

        used = (
            ApiKeyDailyUse.objects.filter(api_key_id=caller.api_key_id, day=timezone.now().date())
            .values_list("requests", flat=True)
            .first()
        )
        if (used or 0) >= (caller.daily_limit or 0):
            return Refusal(
                429, "rate_limit_error", f"this API key has used its {caller.daily_limit} requests for today"
            )
    return None
