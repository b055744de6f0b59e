"""Syncing Cursor's AI code metrics into our tables, resumably and without duplicates.

For each endpoint (and optional user) a SyncState covers [synced_from, synced_until) of `createdAt`.
A run fetches only what is not covered yet, in closed windows ending at the run's start, so the pages
of a window do not shift while we read them. Each page's rows are upserted (by commit hash / change
id) in the same transaction that advances the window's next page: stop the process anywhere and the
next run asks for the first page it does not have, and nothing is stored twice.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .client import CHANGES, COMMITS, AdminApiClient, AdminApiError
from .fields import BadItem, from_csv_row, from_json_item
from .models import AiCodeUser, SyncLease, SyncState
from .query import MAX_PAGE_SIZE, UserFilter, parse_user
from .reading import ENDPOINTS, Endpoint

log = logging.getLogger(__name__)

DEFAULT_SINCE_DAYS = 30
# Re-read a little before the covered end: an item imported in the instant a window closed might
# carry a createdAt a hair earlier. Upserts make the re-read free of duplicates.
OVERLAP = timedelta(minutes=10)
LEASE_NAME = "ai-code-sync"
LEASE_SECONDS = 15 * 60
CSV_BATCH_ROWS = 1000
PATHS = {"commits": COMMITS, "changes": CHANGES}
KEYS = {"commits": "commit_hash", "changes": "change_id"}


class SyncError(Exception):
    """The sync stopped; what was stored so far stays, and the next run resumes from there."""


class SyncBusy(SyncError):
    """Another sync holds the lease."""


@dataclass(slots=True)
class EndpointReport:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    requests: int = 0


@dataclass(slots=True)
class Report:
    endpoints: dict[str, EndpointReport] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Progress:
    endpoint: str
    page: int
    pages: int  # 0 when unknown (CSV)
    fetched: int  # rows stored in this run for the endpoint


ProgressCallback = Callable[[Progress], None]


def client_from_settings() -> AdminApiClient:
    return AdminApiClient(
        settings.CURSOR_ADMIN_API_KEY,
        upstream=settings.CURSOR_UPSTREAM,
        limit=int(getattr(settings, "ANALYTICS_RATE_LIMIT", 5)),
        window=float(getattr(settings, "ANALYTICS_RATE_WINDOW", 60.0)),
    )


# --- storing -------------------------------------------------------------------------------------


def _upsert(endpoint: Endpoint, rows: list[dict[str, Any]], numeric_user: int | None) -> tuple[int, int]:
    """Insert or update rows by their natural key; returns (created, updated). Call inside atomic()."""
    if not rows:
        return 0, 0
    key = KEYS[endpoint.name]
    by_key = {row[key]: row for row in rows}  # a page repeating an item must not fail the upsert
    existing = set(endpoint.model.objects.filter(**{f"{key}__in": list(by_key)}).values_list(key, flat=True))
    objects = [endpoint.model(**row) for row in by_key.values()]
    endpoint.model.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=[key],
        update_fields=[*(c for c in endpoint.columns if c != key), "synced_at"],
    )
    _remember_users(by_key.values(), numeric_user)
    return len(by_key) - len(existing), len(existing)


def _remember_users(rows: Iterable[dict[str, Any]], numeric_user: int | None) -> None:
    people = {row["user_id"]: row["user_email"] for row in rows}
    if not people:
        return
    AiCodeUser.objects.bulk_create(
        [AiCodeUser(user_id=uid, email=email) for uid, email in people.items()],
        update_conflicts=True,
        unique_fields=["user_id"],
        update_fields=["email"],
    )
    if numeric_user is not None and len(people) == 1:
        # A sync filtered by numeric id returned one person only: that is whom the number names.
        (uid,) = people
        AiCodeUser.objects.filter(numeric_id=numeric_user).exclude(user_id=uid).update(numeric_id=None)
        AiCodeUser.objects.filter(user_id=uid).update(numeric_id=numeric_user)


# --- windows -------------------------------------------------------------------------------------


def _next_window(state: SyncState, since: datetime, now: datetime) -> tuple[datetime, datetime, int] | None:
    if state.pending_start is not None and state.pending_end is not None:
        return state.pending_start, state.pending_end, state.pending_page
    if state.synced_from is None or state.synced_until is None:
        return since, now, 1
    if since < state.synced_from:
        return since, state.synced_from, 1
    if state.synced_until < now:
        return max(since, state.synced_until - OVERLAP), now, 1
    return None


def _open_window(state: SyncState, start: datetime, end: datetime) -> None:
    state.pending_start, state.pending_end, state.pending_page = start, end, 1
    state.save(update_fields=["pending_start", "pending_end", "pending_page"])


def _close_window(state: SyncState) -> None:
    start, end = state.pending_start, state.pending_end
    assert start is not None and end is not None
    state.synced_from = start if state.synced_from is None else min(state.synced_from, start)
    state.synced_until = end if state.synced_until is None else max(state.synced_until, end)
    state.pending_start = state.pending_end = None
    state.pending_page = 1
    state.last_error = ""
    state.save()


def _params(start: datetime, end: datetime, user: str) -> dict[str, Any]:
    return {"startDate": start.isoformat(), "endDate": end.isoformat(), "user": user or None}


def _fetch_pages(
    client: AdminApiClient,
    endpoint: Endpoint,
    state: SyncState,
    numeric_user: int | None,
    page_size: int,
    report: EndpointReport,
    progress: ProgressCallback,
) -> None:
    assert state.pending_start is not None and state.pending_end is not None
    params = _params(state.pending_start, state.pending_end, state.user)
    while True:
        page = state.pending_page
        result = client.page(PATHS[endpoint.name], {**params, "page": page, "pageSize": page_size})
        report.requests += 1
        try:
            rows = [from_json_item(item, endpoint.fields) for item in result.items]
        except BadItem as exc:
            raise SyncError(f"{endpoint.name} page {page}: {exc}") from None
        pages = max(1, -(-result.total_count // page_size))
        last = not rows or page >= pages
        with transaction.atomic():
            created, updated = _upsert(endpoint, rows, numeric_user)
            if last:
                _close_window(state)
            else:
                state.pending_page = page + 1
                state.save(update_fields=["pending_page"])
        report.fetched += len(rows)
        report.created += created
        report.updated += updated
        progress(Progress(endpoint.name, page, pages, report.fetched))
        if last:
            return


def _fetch_csv(
    client: AdminApiClient,
    endpoint: Endpoint,
    state: SyncState,
    numeric_user: int | None,
    report: EndpointReport,
    progress: ProgressCallback,
) -> None:
    """One streamed request for the whole window; batches are stored as they arrive.

    The CSV cannot be resumed mid-way (it has no pages), so an interrupted window is read again from
    its start on the next run; the upserts keep that free of duplicates.
    """
    assert state.pending_start is not None and state.pending_end is not None
    rows = client.csv_rows(PATHS[endpoint.name], _params(state.pending_start, state.pending_end, state.user))
    report.requests += 1
    batch: list[dict[str, Any]] = []
    batches = 0

    def store(final: bool) -> None:
        nonlocal batches
        with transaction.atomic():
            created, updated = _upsert(endpoint, batch, numeric_user)
            if final:
                _close_window(state)
        report.fetched += len(batch)
        report.created += created
        report.updated += updated
        batches += 1
        batch.clear()
        progress(Progress(endpoint.name, batches, 0, report.fetched))

    try:
        for record in rows:
            batch.append(from_csv_row(record, endpoint.fields))
            if len(batch) >= CSV_BATCH_ROWS:
                store(final=False)
    except BadItem as exc:
        raise SyncError(f"{endpoint.name} CSV: {exc}") from None
    store(final=True)


# --- the run -------------------------------------------------------------------------------------


def _acquire_lease(holder: str, now: datetime) -> bool:
    try:
        with transaction.atomic():
            SyncLease.objects.get_or_create(name=LEASE_NAME)
    except IntegrityError:
        pass  # created by a concurrent run a moment ago
    with transaction.atomic():
        lease = SyncLease.objects.select_for_update().get(name=LEASE_NAME)
        if lease.holder and lease.holder != holder and lease.expires_at and lease.expires_at > now:
            return False
        lease.holder = holder
        lease.expires_at = now + timedelta(seconds=LEASE_SECONDS)
        lease.save()
    return True


def _renew_lease(holder: str) -> None:
    SyncLease.objects.filter(name=LEASE_NAME, holder=holder).update(
        expires_at=timezone.now() + timedelta(seconds=LEASE_SECONDS)
    )


def _release_lease(holder: str) -> None:
    SyncLease.objects.filter(name=LEASE_NAME, holder=holder).update(holder="", expires_at=None)


def sync(
    client: AdminApiClient,
    *,
    since: datetime | None = None,
    user: str = "",
    endpoints: Iterable[str] = ("commits", "changes"),
    page_size: int = MAX_PAGE_SIZE,
    use_csv: bool = False,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> Report:
    """Bring our tables up to date with Cursor for `since`..now. Raises SyncError (progress kept)."""
    now = now or timezone.now()
    since = since or now - timedelta(days=DEFAULT_SINCE_DAYS)
    if since > now:
        raise SyncError("--since is in the future")
    filter_: UserFilter | None = parse_user(user) if user else None
    numeric_user = int(filter_.value) if filter_ and filter_.kind == "numeric" else None
    holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
    if not _acquire_lease(holder, now):
        raise SyncBusy("another sync is running")
    report = Report()

    def tick(step: Progress) -> None:
        # A window at 5 pages a minute can outlast the lease: hold on to it page by page.
        _renew_lease(holder)
        if progress:
            progress(step)

    try:
        for name in endpoints:
            endpoint = ENDPOINTS[name]
            ep_report = report.endpoints.setdefault(name, EndpointReport())
            state, _ = SyncState.objects.get_or_create(endpoint=name, user=user)
            state.last_run_at = now
            state.save(update_fields=["last_run_at"])
            try:
                while (window := _next_window(state, since, now)) is not None:
                    start, end, _page = window
                    if state.pending_start is None:
                        _open_window(state, start, end)
                    if use_csv:
                        state.pending_page = 1  # a CSV window always starts over
                        _fetch_csv(client, endpoint, state, numeric_user, ep_report, tick)
                    else:
                        _fetch_pages(client, endpoint, state, numeric_user, page_size, ep_report, tick)
            except (AdminApiError, SyncError) as exc:
                SyncState.objects.filter(pk=state.pk).update(last_error=str(exc)[:500])
                raise SyncError(f"{name}: {exc}") from None
    finally:
        _release_lease(holder)
    return report
