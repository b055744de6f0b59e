"""Running a real agent CLI against our live server, and recording what it sent us."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

_numbers = itertools.count(1)  # capture files of one run never overwrite each other


class Recorder:
    """Wraps a dialect's `parse` to keep each request body a client sent (for asserting on its shape).

    With CURSORAPI_CAPTURE_DIR set, the bodies are also written there, one JSON file per request, so a
    run shows exactly what the client sends (`docs/agents.md` was written from such a run).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.name = name
        original = module.parse

        async def recording(body, catalog, headers, options, **kwargs):
            if isinstance(body, dict):
                self.bodies.append(body)
                self.headers.append(dict(headers))
                self._save(body, headers)
            return await original(body, catalog, headers, options, **kwargs)

        monkeypatch.setattr(module, "parse", recording)

    def _save(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        folder = os.environ.get("CURSORAPI_CAPTURE_DIR")
        if folder:
            path = Path(folder) / f"{self.name}-{next(_numbers):03d}.json"
            safe = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "x-api-key")}
            path.write_text(json.dumps({"headers": safe, "body": body}, indent=1))


def run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The CLI run to completion in its own process group, its output kept for the assertion message."""
    return subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def base_env(home: Path) -> dict[str, str]:
    """A clean environment: a fresh HOME, no proxies, nothing of the developer's own agent setup."""
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "NO_COLOR": "1"})
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    env["XDG_STATE_HOME"] = str(home / ".local" / "state")
    return env
