"""The outside spec checker `llm-comply` (PyPI, pinned in requirements-dev) against our server.

It validates every response and stream event against the published Open Responses spec. The fake
runs in tool-use mode, so the tool-calling check gets the function call a real model would make.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures import AUTH

# A thinking model by name, so that the reasoning-summary check runs instead of being skipped.
MODEL = "gpt-5.1"


def _comply(url: str, fmt: str) -> dict:
    cli = Path(sys.executable).with_name("llm-comply")
    argv = [
        str(cli),
        "--format",
        fmt,
        "-u",
        f"{url}/v1",
        "-k",
        AUTH,
        "-m",
        MODEL,
        "--json",
        "--timeout",
        "30",
    ]
    # llm-comply 0.5's table of event names has `response.reasoning_summary.delta`/`.done`, while the
    # spec it ships (and OpenAI's SDK) name them `response.reasoning_summary_text.delta`/`.done`, as
    # we send them: that one complaint is the checker's bug (docs/responses.md), and only it is excused.
    argv += ["-i", "unknown SSE event type: response.reasoning_summary_text."]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip(), done.stderr[-3000:]
    return json.loads(done.stdout)


def test_open_responses_passes_every_check(live, pool_token, tool_fake) -> None:
    report = _comply(live.url, "open-responses")
    problems = {
        r["id"]: r.get("errors") or r.get("warnings") for r in report["results"] if r["status"] != "passed"
    }
    assert report["summary"]["total"] >= 13
    assert report["summary"]["passed"] == report["summary"]["total"], problems
