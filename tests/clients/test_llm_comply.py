"""The outside Anthropic spec checker (`llm-comply --format anthropic`, PyPI) against our server on the fake.

It sends what the published spec allows and validates every answer against the spec's schemas. The
fake runs in tool-use mode so that it behaves like a model (calls the offered tool, thinks when the
model is a thinking one). No check needs a real model's judgement in llm-comply 0.5's Anthropic set
(docs/agents.md); a check that did would be listed here with why, and only its judgement excused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures import AUTH

MODEL = "claude-4.5-sonnet"


def test_llm_comply_anthropic_passes(live, pool_token, tool_fake) -> None:
    command = Path(sys.executable).with_name("llm-comply")
    argv = [str(command), "--format", "anthropic", "-u", f"{live.url}/v1", "-k", AUTH, "-m", MODEL]
    done = subprocess.run([*argv, "--json", "--timeout", "20"], capture_output=True, text=True, timeout=240)
    report = json.loads(done.stdout)
    results = {r["id"]: r for r in report["results"]}
    assert len(results) >= 9, report  # the 0.5 set: a shorter list means checks did not run
    failed = {i: r for i, r in results.items() if r["status"] != "passed" or r.get("warnings")}
    assert not failed, json.dumps(failed, indent=1)
    assert report["summary"]["failed"] == 0 and report["summary"]["skipped"] == 0
