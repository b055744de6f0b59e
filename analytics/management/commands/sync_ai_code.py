from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics import periodic, services
from analytics.client import AdminApiError
from analytics.query import MAX_PAGE_SIZE, BadParameter, parse_date, parse_user

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Copy AI code tracking metrics (commits and changes) from Cursor's Admin API into the database. "
        "Resumable: an interrupted run is continued by the next one, without gaps or duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            default=f"{services.DEFAULT_SINCE_DAYS}d",
            help="how far back to cover: relative days (30d), an ISO date, or 'now' (default: %(default)s)",
        )
        parser.add_argument("--user", default="", help="only this user (email, user_... id or numeric id)")
        parser.add_argument("--endpoint", choices=["commits", "changes", "all"], default="all")
        parser.add_argument(
            "--csv",
            action="store_true",
            help="read the .csv streams (one request per window) instead of pages",
        )
        parser.add_argument(
            "--page-size", type=int, default=MAX_PAGE_SIZE, help="rows per JSON page (1-1000)"
        )
        parser.add_argument("--every", type=float, default=0, help="keep running, syncing every SECONDS")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            since = parse_date(options["since"], now=timezone.now(), param="--since")
            if options["user"]:
                parse_user(options["user"])
        except BadParameter as exc:
            raise CommandError(f"invalid {exc.param}: {exc.message}") from None
        if not 1 <= options["page_size"] <= MAX_PAGE_SIZE:
            raise CommandError(f"--page-size must be between 1 and {MAX_PAGE_SIZE}")
        if options["every"] < 0:
            raise CommandError("--every must be a number of seconds, or 0 for a single run")
        days_back = timezone.now() - since
        if options["every"]:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())

            def once() -> None:
                # Each turn covers the same span back from its own now, so `--since 30d` keeps rolling.
                self._run_once(timezone.now() - days_back, options)

            try:
                periodic.run_forever(options["every"], once, stop)
            except KeyboardInterrupt:
                stop.set()
            return
        self._run_once(since, options)

    def _run_once(self, since: Any, options: dict[str, Any]) -> None:
        endpoints = ["commits", "changes"] if options["endpoint"] == "all" else [options["endpoint"]]
        show = not options["no_progress"]
        try:
            with services.client_from_settings() as client:
                report = services.sync(
                    client,
                    since=since,
                    user=options["user"],
                    endpoints=endpoints,
                    page_size=options["page_size"],
                    use_csv=options["csv"],
                    progress=self._progress if show else None,
                )
        except (services.SyncError, AdminApiError) as exc:
            if show and self.stderr.isatty():
                self.stderr.write("")
            raise CommandError(str(exc)) from None
        if show and self.stderr.isatty():
            self.stderr.write("")
        for name, part in report.endpoints.items():
            self.stdout.write(
                f"{name}: {part.fetched} rows ({part.created} new, {part.updated} updated) "
                f"in {part.requests} requests"
            )

    def _progress(self, step: services.Progress) -> None:
        if step.pages:
            done = min(step.page / step.pages, 1.0)
            filled = round(done * BAR_WIDTH)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            line = f"{step.endpoint:8} [{bar}] {done:4.0%} page {step.page}/{step.pages}, {step.fetched} rows"
        else:
            line = f"{step.endpoint:8} [csv] {step.fetched} rows"
        if self.stderr.isatty():
            # Redraw one line in a terminal; in logs every step gets its own line.
            self.stderr.write("\r" + line, ending="")
            self.stderr.flush()
        else:
            self.stderr.write(line)
