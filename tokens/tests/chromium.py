"""Headless Chromium driven over its DevTools pipe (fds 3 and 4): no driver, no extra package.

Just enough of the DevTools protocol to set a cookie, open a page and read what it shows.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--remote-debugging-pipe",
]


class Browser:
    def __init__(self, to_browser: int, from_browser: int) -> None:
        self._out, self._in = to_browser, from_browser
        self._buffer = b""
        self._next_id = 0

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 15,
    ) -> dict:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def page_text(self, url: str, cookies: list[dict[str, str]], wait_for: str, timeout: float = 15) -> str:
        """Open `url` with `cookies` set; the page's visible text once it contains `wait_for`."""
        return self.visit(url, cookies, wait_for, timeout=timeout)[0]

    def visit(
        self,
        url: str,
        cookies: list[dict[str, str]],
        wait_for: str,
        *,
        width: int = 1366,
        height: int = 900,
        screenshot: str | os.PathLike[str] | None = None,
        timeout: float = 15,
    ) -> tuple[str, str]:
        """Open `url` in a `width` x `height` window; its visible text once it contains `wait_for`,
        and the DevTools session for `evaluate`. With `screenshot`, the whole page is saved there as PNG.
        """
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        for cookie in cookies:
            self.send("Network.setCookie", {**cookie, "url": url}, session)
        self.send("Page.navigate", {"url": url}, session)
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            state, _, text = self.evaluate(
                session, "document.readyState + '\\n' + document.body.innerText"
            ).partition("\n")
            if state == "complete" and wait_for in text:
                break
            time.sleep(0.1)
        if screenshot is not None:
            shot = self.send(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session
            )
            with open(screenshot, "wb") as out:
                out.write(base64.b64decode(shot["data"]))
        return text, session

    def evaluate(self, session: str, expression: str) -> str:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        return str(result.get("result", {}).get("value", ""))


_TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


def _high(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


def executable() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def launch() -> Iterator[Browser]:
    binary = executable()
    if binary is None:
        raise RuntimeError("chromium is not installed (.ci/run installs Debian's chromium package)")
    to_read, to_write = os.pipe()  # our commands: Chromium reads them on fd 3
    from_read, from_write = os.pipe()  # its replies: Chromium writes them on fd 4
    # Move Chromium's ends above 3 and 4, so that placing one cannot overwrite the other.
    to_read, from_write = (_high(to_read), _high(from_write))
    with tempfile.TemporaryDirectory() as profile:
        # A tiny Python puts the two pipe ends on the fds Chromium expects, then becomes Chromium.
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _TRAMPOLINE,
                str(to_read),
                str(from_write),
                binary,
                *ARGS,
                f"--user-data-dir={profile}",
            ],
            pass_fds=(to_read, from_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_read)
        os.close(from_write)
        try:
            yield Browser(to_write, from_read)
        finally:
            with contextlib.suppress(OSError):
                os.close(to_write)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            os.close(from_read)
