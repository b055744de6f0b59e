"""A client for Cursor's Admin API AI-code endpoints (https://api.cursor.com), Django-free.

Cursor allows 5 requests per minute per endpoint and team. The client paces itself to that, and when
it is refused anyway (another process using the same key) it waits as long as `Retry-After` says and
asks again, so callers never see a 429 unless Cursor keeps refusing.

Transport failures and 5xx answers are not retried here: the sync saves its progress after every
page, so the next run picks up where this one stopped.
"""

from __future__ import annotations

import codecs
import csv
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from cursorapi.upstream.scrub import scrub

log = logging.getLogger(__name__)

HOST = "api.cursor.com"
COMMITS = "/analytics/ai-code/commits"
CHANGES = "/analytics/ai-code/changes"
_MAX_ERROR_TEXT = 300


class AdminApiError(Exception):
    """Cursor refused or failed a request. Never carries the API key."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RateLimited(AdminApiError):
    """Cursor kept answering 429 after every wait we were allowed."""


@dataclass(slots=True)
class Page:
    items: list[Any]
    total_count: int
    page: int
    page_size: int


class RateLimiter:
    """At most `limit` calls per `window` seconds for each key (sliding window), by sleeping first."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._calls: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def acquire(self, key: str) -> None:
        calls = self._calls.setdefault(key, deque())
        while True:
            now = self.clock()
            blocked = self._blocked_until.get(key, 0.0)
            if blocked > now:
                self.sleep(blocked - now)
                continue
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) < self.limit:
                calls.append(now)
                return
            self.sleep(calls[0] + self.window - now)

    def answered(self, key: str) -> None:
        """Move the last call's time to now, when its answer came back.

        Cursor counts a call from when it arrived, which is after we sent it: counting from the answer
        keeps our window from ending before Cursor's does.
        """
        calls = self._calls.get(key)
        if calls:
            calls[-1] = max(calls[-1], self.clock())

    def block(self, key: str, seconds: float) -> None:
        """Cursor said to wait: no call for this key before then."""
        self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), self.clock() + seconds)


def retry_after_seconds(value: str | None, default: float, *, now: float | None = None) -> float:
    """Retry-After as seconds (fractions accepted) or an HTTP date; `default` when absent or odd."""
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            return default
        seconds = when - (time.time() if now is None else now)
    if math.isnan(seconds) or seconds < 0:
        return 0.0
    return min(seconds, 3600.0)


class AdminApiClient:
    def __init__(
        self,
        api_key: str,
        *,
        upstream: str = "",
        timeout: float = 60.0,
        limit: int = 5,
        window: float = 60.0,
        max_waits: int = 10,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise AdminApiError("no Admin API key configured (CURSOR_ADMIN_API_KEY)")
        self.upstream = upstream.rstrip("/")
        self.max_waits = max_waits
        self.limiter = RateLimiter(limit, window, clock=clock, sleep=sleep)
        self.sleep = sleep
        self._http = httpx.Client(
            auth=httpx.BasicAuth(api_key, ""),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            follow_redirects=True,
            transport=transport,
            trust_env=True,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- requests ------------------------------------------------------------------------------------

    def _address(self, path: str) -> tuple[str, dict[str, str]]:
        # Like every upstream: with CURSOR_UPSTREAM set, call it on the real path with the real Host.
        if self.upstream:
            return self.upstream + path, {"host": HOST}
        return f"https://{HOST}{path}", {}

    def _send(self, path: str, params: Mapping[str, Any], *, stream: bool) -> httpx.Response:
        url, headers = self._address(path)
        query = {k: str(v) for k, v in params.items() if v is not None and v != ""}
        for _ in range(self.max_waits + 1):
            self.limiter.acquire(path)
            request = self._http.build_request("GET", url, params=query, headers=headers)
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TimeoutException as exc:
                raise AdminApiError(
                    f"Cursor's Admin API did not answer in time ({type(exc).__name__})"
                ) from None
            except httpx.TransportError as exc:
                raise AdminApiError(f"could not reach Cursor's Admin API ({type(exc).__name__})") from None
            finally:
                self.limiter.answered(path)
            if response.status_code != 429:
                if response.status_code != 200:
                    self._raise_for(response)
                return response
            wait = retry_after_seconds(response.headers.get("retry-after"), self.limiter.window)
            response.close()
            log.info("Admin API %s: rate limited, waiting %.1fs", path, wait)
            self.limiter.block(path, wait)
        raise RateLimited(f"Cursor's Admin API kept answering 429 for {path}", 429)

    def _raise_for(self, response: httpx.Response) -> None:
        status = response.status_code
        try:
            text = response.read().decode("utf-8", "replace")
        finally:
            response.close()
        if status in (401, 403):
            raise AdminApiError(f"Cursor rejected the Admin API key ({status})", status)
        detail = scrub(" ".join(text.split())[:_MAX_ERROR_TEXT])
        raise AdminApiError(f"Cursor's Admin API answered {status}: {detail}", status)

    def page(self, path: str, params: Mapping[str, Any]) -> Page:
        """One JSON page of `path` (COMMITS or CHANGES)."""
        response = self._send(path, params, stream=False)
        try:
            body = response.json()
        except ValueError:
            raise AdminApiError(f"Cursor's Admin API sent a page that is not JSON ({path})") from None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise AdminApiError(f"Cursor's Admin API sent a page without items ({path})")
        return Page(
            items=body["items"],
            total_count=int(body.get("totalCount") or 0),
            page=int(body.get("page") or params.get("page") or 1),
            page_size=int(body.get("pageSize") or params.get("pageSize") or len(body["items"])),
        )

    def commits(self, **params: Any) -> Page:
        return self.page(COMMITS, params)

    def changes(self, **params: Any) -> Page:
        return self.page(CHANGES, params)

    def csv_rows(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, str]]:
        """The records of `path + '.csv'`, parsed as they arrive (quoted line breaks included)."""
        response = self._send(path + ".csv", params, stream=True)
        try:
            yield from csv.DictReader(_lines(response.iter_bytes()))
        except httpx.HTTPError as exc:
            raise AdminApiError(f"the CSV stream from Cursor broke off ({type(exc).__name__})") from None
        except csv.Error as exc:
            raise AdminApiError(f"Cursor sent malformed CSV ({exc})") from None
        finally:
            response.close()


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Text lines ending in their `\n`, which csv needs to keep line breaks inside quoted fields.

    Only `\n` splits: str.splitlines would also split on U+2028 and friends, which the CSV writer
    does not quote, and so break a record in two.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    rest = ""
    for chunk in chunks:
        rest += decoder.decode(chunk)
        *lines, rest = rest.split("\n")
        for line in lines:
            yield line + "\n"
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest
