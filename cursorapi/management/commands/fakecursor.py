from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the fake Cursor upstream (HTTP/2 cleartext and HTTP/1.1 on one port), or print a token it "
        "accepts. Point the proxy at it with CURSOR_UPSTREAM=http://HOST:PORT. See docs/fakecursor.md."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument("--mint-token", action="store_true", help="print a session token and exit")
        parser.add_argument("--expired", action="store_true", help="with --mint-token: an expired one")
        parser.add_argument(
            "--web", action="store_true", help="with --mint-token: a web token (the browser cookie's kind)"
        )
        parser.add_argument(
            "--no-clock-check",
            action="store_true",
            help="accept checksums whatever time their prefix encodes",
        )
        parser.add_argument(
            "--tool-use",
            action="store_true",
            help="play a tool-using model: call the offered tool that fits, then quote its result",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from cursorapi.upstream import jwt

        if opts["mint_token"]:
            lifetime = -3600 if opts["expired"] else 60 * 24 * 3600
            self.stdout.write(jwt.mint(lifetime=lifetime, token_type="web" if opts["web"] else "session"))
            return
        from cursorapi.upstream.fake.app import FakeCursor
        from cursorapi.upstream.fake.server import FakeServer

        fake = FakeCursor(
            checksum_skew_seconds=None if opts["no_clock_check"] else 3 * 3600, tool_use=opts["tool_use"]
        )
        server = FakeServer(fake, opts["host"], opts["port"])

        async def main() -> None:
            await server.start()
            self.stdout.write(f"fake Cursor listening on {server.url}")
            self.stdout.flush()
            await server.serve_forever()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
