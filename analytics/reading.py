"""Serving the Admin API from our tables: the rows a query selects, as a JSON page or a CSV stream.

The CSV is read in keyset-paged chunks (newest first, `(created_at, id)` below the last row sent), so
memory stays flat however many rows match, and no database cursor has to live across the async
boundary between chunks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.db import models

from .fields import CHANGE_FIELDS, COMMIT_FIELDS, Field, csv_header, to_csv_values, to_json_item
from .models import AiChange, AiCodeUser, AiCommit
from .query import Query

CSV_CHUNK_ROWS = 2000


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str  # "commits" or "changes"
    model: type[models.Model]
    fields: tuple[Field, ...]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


COMMITS = Endpoint("commits", AiCommit, COMMIT_FIELDS)
CHANGES = Endpoint("changes", AiChange, CHANGE_FIELDS)
ENDPOINTS = {e.name: e for e in (COMMITS, CHANGES)}


def select(endpoint: Endpoint, query: Query, *, until: datetime | None = None) -> models.QuerySet[Any]:
    """Rows whose Cursor import time (`createdAt`) is in [start, end], for the user if one is given.

    `until` lowers the end bound. It must replace the bound, not be added beside it: given two upper
    bounds SQLite may take the looser one for the index range, and each CSV chunk would then scan
    from the newest row down.
    """
    end = query.end if until is None else min(query.end, until)
    qs = endpoint.model.objects.filter(created_at__gte=query.start, created_at__lte=end)
    user = query.user
    if user is None:
        return qs
    if user.kind == "email":
        return qs.filter(user_email=user.value)
    if user.kind == "encoded":
        return qs.filter(user_id=user.value)
    known = AiCodeUser.objects.filter(numeric_id=int(user.value)).values("user_id")
    return qs.filter(user_id__in=known)


def json_page(endpoint: Endpoint, query: Query) -> dict[str, Any]:
    qs = select(endpoint, query)
    total = qs.count()
    rows = qs.order_by("-created_at", "-id").values(*endpoint.columns)[
        query.offset : query.offset + query.page_size
    ]
    return {
        "items": [to_json_item(row, endpoint.fields) for row in rows],
        "totalCount": total,
        "page": query.page,
        "pageSize": query.page_size,
    }


# --- CSV ---------------------------------------------------------------------------------------------


class _Line:
    """A csv.writer target that hands back what was written since the last take."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def take(self) -> bytes:
        data = self.buffer.getvalue().encode("utf-8")
        self.buffer.seek(0)
        self.buffer.truncate()
        return data


class CsvExport:
    """The CSV of one query, produced chunk by chunk; iterate it sync (WSGI) or async (ASGI)."""

    def __init__(self, endpoint: Endpoint, query: Query, chunk_rows: int | None = None) -> None:
        self.endpoint = endpoint
        self.query = query
        self.chunk_rows = chunk_rows or CSV_CHUNK_ROWS
        self._out = _Line()
        # RFC 4180: CRLF records; fields with commas, quotes or line breaks are quoted, quotes doubled.
        self._writer = csv.writer(self._out.buffer, lineterminator="\r\n")
        self._after: tuple[Any, int] | None = None
        self._done = False

    def header(self) -> bytes:
        self._writer.writerow(csv_header(self.endpoint.fields))
        return self._out.take()

    def next_chunk(self) -> bytes | None:
        """The next rows as CSV bytes, or None at the end. One query each, bounded by chunk_rows."""
        if self._done:
            return None
        if self._after is None:
            qs = select(self.endpoint, self.query)
        else:
            created, pk = self._after
            # Rows after (created, pk) in (created_at DESC, id DESC) order; the `until` bound gives
            # the planner a range on the (created_at, id) index, the OR settles ties on created_at.
            qs = select(self.endpoint, self.query, until=created).filter(
                models.Q(created_at__lt=created) | models.Q(id__lt=pk)
            )
        rows = list(qs.order_by("-created_at", "-id").values("id", *self.endpoint.columns)[: self.chunk_rows])
        if len(rows) < self.chunk_rows:
            self._done = True
        if not rows:
            return None
        last = rows[-1]
        self._after = (last["created_at"], last["id"])
        fields = self.endpoint.fields
        self._writer.writerows(to_csv_values(row, fields) for row in rows)
        return self._out.take()

    def __iter__(self) -> Iterator[bytes]:
        yield self.header()
        while (chunk := self.next_chunk()) is not None:
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.header()
        # Each chunk is a self-contained query, so any pool thread may run it; the one thread-sensitive
        # thread stays free for everyone else during a long export.
        fetch = sync_to_async(self.next_chunk, thread_sensitive=False)
        while (chunk := await fetch()) is not None:
            yield chunk
