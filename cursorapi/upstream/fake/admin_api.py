"""The fake's Cursor Admin API: AI code tracking analytics (commits and changes, JSON pages and CSV).

Generated data is deterministic for a seed and consistent (non-AI lines = max(0, total - AI lines);
changes of a privacy-mode user have no fileName). Basic auth with `api_key` as user name, and the real
limit of `limit` requests per `window_seconds` per endpoint, answered with 429 and Retry-After.
Tests change the attributes (or call `add_commit` / `add_change`); `reset()` restores the defaults.

Written independently of our own copy of the API (analytics/), so the two can disagree in tests.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import math
import random
import re
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from .server import Request, Responder

DEFAULT_KEY = "fake-admin-key"
COMMITS_PATH = "/analytics/ai-code/commits"
CHANGES_PATH = "/analytics/ai-code/changes"
CSV_ROWS_PER_SEND = 500

COMMIT_COLUMNS = [
    ("commit_hash", "commitHash"),
    ("user_id", "userId"),
    ("user_email", "userEmail"),
    ("repo_name", "repoName"),
    ("branch_name", "branchName"),
    ("is_primary_branch", "isPrimaryBranch"),
    ("total_lines_added", "totalLinesAdded"),
    ("total_lines_deleted", "totalLinesDeleted"),
    ("tab_lines_added", "tabLinesAdded"),
    ("tab_lines_deleted", "tabLinesDeleted"),
    ("composer_lines_added", "composerLinesAdded"),
    ("composer_lines_deleted", "composerLinesDeleted"),
    ("non_ai_lines_added", "nonAiLinesAdded"),
    ("non_ai_lines_deleted", "nonAiLinesDeleted"),
    ("message", "message"),
    ("commit_ts", "commitTs"),
    ("created_at", "createdAt"),
]
CHANGE_COLUMNS = [
    ("change_id", "changeId"),
    ("user_id", "userId"),
    ("user_email", "userEmail"),
    ("source", "source"),
    ("model", "model"),
    ("total_lines_added", "totalLinesAdded"),
    ("total_lines_deleted", "totalLinesDeleted"),
    ("created_at", "createdAt"),
    ("metadata_json", "metadata"),
]

# (numeric id, email, privacy mode)
USERS = [
    (101, "ada@acme.test", False),
    (102, "brian@acme.test", False),
    (103, "chen@acme.test", True),
    (104, "dana@acme.test", False),
]
REPOS = ["acme/web", "acme/api", "acme/infra", None]  # None: the client could not tell
BRANCHES = ["main", "feature/search", "fix/login", "release/2.0"]
MESSAGES = [
    "Refactor: extract analytics client",
    "Add error handling",
    'Fix "quoted" title, and a comma',
    'Multi-line message\n\nWith a body, commas, and "quotes"',
    "Bump deps",
    "",
]
MODELS = ["gpt-4o", "claude-4-sonnet", None]
EXTENSIONS = ["ts", "tsx", "py", "go", "md"]


def encoded_id(numeric: int) -> str:
    digest = hashlib.sha256(f"fake-cursor-user/{numeric}".encode()).digest()
    return "user_" + base64.b32encode(digest[:10]).decode().lower().rstrip("=")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class BadParam(Exception):
    pass


class AdminApi:
    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        window_seconds: float = 60.0,
        limit: int = 5,
        commit_count: int = 2000,
        change_count: int = 3000,
        days: int = 90,
        seed: int = 7,
    ) -> None:
        self._defaults = {
            "api_key": api_key,
            "window_seconds": window_seconds,
            "limit": limit,
            "commit_count": commit_count,
            "change_count": change_count,
            "days": days,
            "seed": seed,
        }
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        for name, value in self._defaults.items():
            setattr(self, name, value)
        self.drop_after_requests: int | None = None  # cut every data response after this many
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, params) of each accepted request
        self.throttled = 0
        self._calls: dict[str, deque[float]] = {}
        self._data: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None
        self._extra_commits: list[dict[str, Any]] = []
        self._extra_changes: list[dict[str, Any]] = []

    # --- data ------------------------------------------------------------------------------------

    @property
    def commits(self) -> list[dict[str, Any]]:
        """Every commit item, newest first (generated on first use)."""
        return self._generated()[0]

    @property
    def changes(self) -> list[dict[str, Any]]:
        return self._generated()[1]

    def user(self, index: int) -> dict[str, Any]:
        numeric, email, privacy = USERS[index]
        return {"numericId": numeric, "userId": encoded_id(numeric), "userEmail": email, "privacy": privacy}

    def add_commit(self, **fields: Any) -> dict[str, Any]:
        """A commit imported now (or at `createdAt`), on top of the generated ones."""
        user = self.user(0)
        item = {
            "commitHash": hashlib.sha1(
                f"extra-{len(self._extra_commits)}-{time.time()}".encode()
            ).hexdigest(),
            "userId": user["userId"],
            "userEmail": user["userEmail"],
            "repoName": "acme/web",
            "branchName": "main",
            "isPrimaryBranch": True,
            "totalLinesAdded": 10,
            "totalLinesDeleted": 2,
            "tabLinesAdded": 4,
            "tabLinesDeleted": 1,
            "composerLinesAdded": 3,
            "composerLinesDeleted": 0,
            "nonAiLinesAdded": 3,
            "nonAiLinesDeleted": 1,
            "message": "extra commit",
            "commitTs": iso(datetime.now(UTC)),
            "createdAt": iso(datetime.now(UTC)),
        }
        item.update(fields)
        with self._lock:
            self._extra_commits.append(item)
            self._data = None
        return item

    def add_change(self, **fields: Any) -> dict[str, Any]:
        user = self.user(0)
        item = {
            "changeId": str(900_000_000 + len(self._extra_changes)),
            "userId": user["userId"],
            "userEmail": user["userEmail"],
            "source": "TAB",
            "model": None,
            "totalLinesAdded": 3,
            "totalLinesDeleted": 1,
            "createdAt": iso(datetime.now(UTC)),
            "metadata": [{"fileName": "src/a.ts", "fileExtension": "ts", "linesAdded": 3, "linesDeleted": 1}],
        }
        item.update(fields)
        with self._lock:
            self._extra_changes.append(item)
            self._data = None
        return item

    def _generated(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with self._lock:
            if self._data is None:
                if not hasattr(self, "_anchor") or self._anchor_key != (self.seed, self.days):
                    self._anchor = datetime.now(UTC).replace(microsecond=0)
                    self._anchor_key = (self.seed, self.days)
                commits, changes = _generate(
                    random.Random(self.seed), self._anchor, self.days, self.commit_count, self.change_count
                )
                commits += self._extra_commits
                changes += self._extra_changes
                commits.sort(key=lambda c: (c["createdAt"], c["commitHash"]), reverse=True)
                changes.sort(key=lambda c: (c["createdAt"], c["changeId"]), reverse=True)
                self._data = (commits, changes)
            return self._data

    # --- HTTP ------------------------------------------------------------------------------------

    async def handle(self, request: Request, responder: Responder) -> None:
        path = request.path
        csv_form = path.endswith(".csv")
        base = path.removesuffix(".csv")
        if base not in (COMMITS_PATH, CHANGES_PATH):
            await _json(responder, 404, {"error": "Not Found"})
            return
        if request.method != "GET":
            await _json(responder, 405, {"error": "Method Not Allowed"})
            return
        if not self._authorized(request.headers.get("authorization", "")):
            await _json(
                responder, 401, {"error": "Unauthorized"}, [("www-authenticate", 'Basic realm="Cursor"')]
            )
            return
        retry_after = self._admit(path)
        if retry_after is not None:
            self.throttled += 1
            await _json(
                responder,
                429,
                {"error": "Too Many Requests"},
                [("retry-after", _format_retry_after(retry_after))],
            )
            return
        params = {k: v[-1] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        try:
            start, end, page, page_size, user = _parse_params(params)
        except BadParam as exc:
            await _json(responder, 400, {"error": str(exc)})
            return
        self.requests.append((path, params))
        items = self._select(base, start, end, user)
        if self.drop_after_requests is not None and len(self.requests) > self.drop_after_requests:
            responder.drop()
            return
        if csv_form:
            columns = COMMIT_COLUMNS if base == COMMITS_PATH else CHANGE_COLUMNS
            await _send_csv(responder, columns, items)
            return
        offset = (page - 1) * page_size
        body = {
            "items": items[offset : offset + page_size],
            "totalCount": len(items),
            "page": page,
            "pageSize": page_size,
        }
        await _json(responder, 200, body)

    def _authorized(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            user, _, _ = base64.b64decode(header[len("Basic ") :], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return bool(self.api_key) and user == self.api_key

    def _admit(self, path: str) -> float | None:
        """None when the call may go ahead; else the seconds until it could."""
        with self._lock:
            now = time.monotonic()
            calls = self._calls.setdefault(path, deque())
            while calls and calls[0] <= now - self.window_seconds:
                calls.popleft()
            if len(calls) >= self.limit:
                return calls[0] + self.window_seconds - now if calls else self.window_seconds
            calls.append(now)
            return None

    def _select(self, base: str, start: datetime, end: datetime, user: str | None) -> list[dict[str, Any]]:
        items = self.commits if base == COMMITS_PATH else self.changes
        low, high = iso(start), iso(end)
        chosen = [i for i in items if low <= i["createdAt"] <= high]
        if user is None:
            return chosen
        if user.isdigit():
            user = encoded_id(int(user))
        key = "userEmail" if "@" in user else "userId"
        return [i for i in chosen if i[key] == user]


# --- generation ----------------------------------------------------------------------------------


def _generate(
    rng: random.Random, anchor: datetime, days: int, commit_count: int, change_count: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    span = days * 86400
    commits = []
    for n in range(commit_count):
        numeric, email, _ = USERS[rng.randrange(len(USERS))]
        repo = REPOS[rng.randrange(len(REPOS))]
        branch = BRANCHES[rng.randrange(len(BRANCHES))] if repo else None
        committed = anchor - timedelta(seconds=rng.randrange(span), milliseconds=rng.randrange(1000))
        created = committed + timedelta(seconds=rng.randrange(5, 120))
        tab_a, comp_a = rng.randrange(0, 60), rng.randrange(0, 80)
        total_a = tab_a + comp_a + rng.randrange(0, 100)
        tab_d, comp_d = rng.randrange(0, 10), rng.randrange(0, 20)
        total_d = tab_d + comp_d + rng.randrange(0, 30)
        unknown_split = rng.random() < 0.02
        commits.append(
            {
                "commitHash": hashlib.sha1(f"commit-{n}".encode()).hexdigest(),
                "userId": encoded_id(numeric),
                "userEmail": email,
                "repoName": repo,
                "branchName": branch,
                "isPrimaryBranch": (branch == "main") if repo else None,
                "totalLinesAdded": total_a,
                "totalLinesDeleted": total_d,
                "tabLinesAdded": tab_a,
                "tabLinesDeleted": tab_d,
                "composerLinesAdded": comp_a,
                "composerLinesDeleted": comp_d,
                "nonAiLinesAdded": None if unknown_split else max(0, total_a - tab_a - comp_a),
                "nonAiLinesDeleted": None if unknown_split else max(0, total_d - tab_d - comp_d),
                "message": MESSAGES[rng.randrange(len(MESSAGES))] if rng.random() > 0.03 else None,
                "commitTs": iso(committed) if rng.random() > 0.01 else None,
                "createdAt": iso(created),
            }
        )
    changes = []
    for n in range(change_count):
        numeric, email, privacy = USERS[rng.randrange(len(USERS))]
        source = "TAB" if rng.random() < 0.6 else "COMPOSER"
        files = []
        for _ in range(1 if source == "TAB" else rng.randrange(1, 4)):
            ext = EXTENSIONS[rng.randrange(len(EXTENSIONS))]
            entry: dict[str, Any] = {} if privacy else {"fileName": f"src/mod{rng.randrange(50)}.{ext}"}
            entry.update(
                {"fileExtension": ext, "linesAdded": rng.randrange(1, 30), "linesDeleted": rng.randrange(8)}
            )
            files.append(entry)
        created = anchor - timedelta(seconds=rng.randrange(span), milliseconds=rng.randrange(1000))
        changes.append(
            {
                "changeId": str(700_000_000 + n),
                "userId": encoded_id(numeric),
                "userEmail": email,
                "source": source,
                "model": None if source == "TAB" else MODELS[rng.randrange(len(MODELS))],
                "totalLinesAdded": sum(f["linesAdded"] for f in files),
                "totalLinesDeleted": sum(f["linesDeleted"] for f in files),
                "createdAt": iso(created),
                "metadata": files,
            }
        )
    return commits, changes


# --- parameters (the doc's rules, kept separate from our server's parser on purpose) --------------

_RELATIVE = re.compile(r"^(\d+)d$")


def _when(value: str, now: datetime, name: str, end: bool) -> datetime:
    if value == "now":
        return now
    match = _RELATIVE.match(value)
    if match:
        return now - timedelta(days=int(match.group(1)))
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            day = datetime.fromisoformat(value).replace(tzinfo=UTC)
            return day + timedelta(days=1, microseconds=-1) if end else day
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadParam(f"Invalid {name}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _number(value: str | None, name: str, default: int, maximum: int | None = None) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1 or (maximum is not None and int(value) > maximum):
        raise BadParam(f"Invalid {name}")
    return int(value)


def _parse_params(params: dict[str, str]) -> tuple[datetime, datetime, int, int, str | None]:
    now = datetime.now(UTC)
    start = (
        _when(params["startDate"], now, "startDate", False) if params.get("startDate") else now - timedelta(7)
    )
    end = _when(params["endDate"], now, "endDate", True) if params.get("endDate") else now
    if start > end:
        raise BadParam("Invalid startDate: after endDate")
    page = _number(params.get("page"), "page", 1)
    page_size = _number(params.get("pageSize"), "pageSize", 100, 1000)
    user = params.get("user") or None
    if user is not None and not (user.isdigit() or user.startswith("user_") or "@" in user):
        raise BadParam("Invalid user")
    return start, end, page, page_size, user


# --- answers ---------------------------------------------------------------------------------------


def _format_retry_after(seconds: float) -> str:
    # Whole seconds as HTTP says; a sub-second window (tests) keeps its fraction so tests stay fast.
    return f"{max(seconds, 0.001):.3f}" if seconds < 1 else str(math.ceil(seconds))


async def _json(
    responder: Responder, status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> None:
    body = json.dumps(payload).encode()
    await responder.respond(status, [("content-type", "application/json"), *(headers or [])], body)


async def _send_csv(
    responder: Responder, columns: list[tuple[str, str]], items: list[dict[str, Any]]
) -> None:
    await responder.start(200, [("content-type", "text/csv; charset=utf-8")])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c for c, _ in columns])
    for n, item in enumerate(items, 1):
        row = []
        for column, key in columns:
            value = item.get(key)
            if column == "metadata_json":
                value = json.dumps(value, separators=(",", ":"))
            elif isinstance(value, bool):
                value = "true" if value else "false"
            row.append("" if value is None else value)
        writer.writerow(row)
        if n % CSV_ROWS_PER_SEND == 0:
            await responder.send(out.getvalue().encode())
            out.seek(0)
            out.truncate()
    if out.getvalue():
        await responder.send(out.getvalue().encode())
    await responder.end()
