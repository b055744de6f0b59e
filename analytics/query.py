"""The Admin API's query parameters, parsed and checked: startDate, endDate, page, pageSize, user.

Django-free so that the sync command can read `--since` with the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
DEFAULT_LOOKBACK_DAYS = 7
_MAX_DAYS = 36_500  # a century: beyond that a relative date is a typo, not a query

_RELATIVE = re.compile(r"^(\d{1,6})d$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_ENCODED_ID = re.compile(r"^user_[A-Za-z0-9_\-]+$")
_NUMERIC_ID = re.compile(r"^\d{1,18}$")


class BadParameter(ValueError):
    """A query parameter that cannot be used; `param` names it for the 400 answer."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


@dataclass(frozen=True, slots=True)
class UserFilter:
    kind: str  # "email", "encoded" or "numeric"
    value: str


@dataclass(frozen=True, slots=True)
class Query:
    start: datetime
    end: datetime  # inclusive
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    user: UserFilter | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def parse_date(value: str, *, now: datetime, param: str, end_of_day: bool = False) -> datetime:
    """`now`, `<N>d` (N days before now), or an ISO date or date-time (UTC unless it says otherwise).

    A bare date as an end bound means the whole of that day, so `endDate=2025-06-30` includes June 30.
    """
    text = value.strip()
    if text.lower() == "now":
        return now
    relative = _RELATIVE.match(text)
    if relative:
        days = int(relative.group(1))
        if days > _MAX_DAYS:
            raise BadParameter(param, f"relative days must be at most {_MAX_DAYS}")
        return now - timedelta(days=days)
    try:
        if _DATE_ONLY.match(text):
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
            return moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter(
            param,
            "must be an ISO date (2025-06-01 or 2025-06-01T00:00:00Z), 'now', or relative days like '7d'",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _positive_int(value: str, param: str, maximum: int | None = None) -> int:
    text = value.strip()
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        limit = f" between 1 and {maximum}" if maximum else " of at least 1"
        raise BadParameter(param, f"must be a whole number{limit}")
    number = int(text)
    if maximum is not None and number > maximum:
        raise BadParameter(param, f"must be a whole number between 1 and {maximum}")
    return number


def parse_user(value: str) -> UserFilter:
    text = value.strip()
    if _NUMERIC_ID.match(text):
        return UserFilter("numeric", text)
    if _ENCODED_ID.match(text):
        return UserFilter("encoded", text)
    if _EMAIL.match(text) and len(text) <= 254:
        return UserFilter("email", text)
    raise BadParameter("user", "must be an email, an encoded id (user_...) or a numeric id")


def parse_query(params: Mapping[str, str], *, now: datetime) -> Query:
    """Read the parameters; an empty value counts as not given. Raises BadParameter."""

    def given(name: str) -> str | None:
        value = params.get(name)
        return value if value is not None and value.strip() != "" else None

    raw_start, raw_end = given("startDate"), given("endDate")
    start = (
        parse_date(raw_start, now=now, param="startDate")
        if raw_start is not None
        else now - timedelta(days=DEFAULT_LOOKBACK_DAYS)
    )
    end = parse_date(raw_end, now=now, param="endDate", end_of_day=True) if raw_end is not None else now
    if start > end:
        raise BadParameter("startDate", "must not be after endDate")
    raw_page, raw_size, raw_user = given("page"), given("pageSize"), given("user")
    return Query(
        start=start,
        end=end,
        page=_positive_int(raw_page, "page") if raw_page is not None else 1,
        page_size=_positive_int(raw_size, "pageSize", MAX_PAGE_SIZE)
        if raw_size is not None
        else DEFAULT_PAGE_SIZE,
        user=parse_user(raw_user) if raw_user is not None else None,
    )
