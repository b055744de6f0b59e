"""The real Codex CLI (`codex exec`, pinned in versions.json) against our server on the fake upstream."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.clients.npm_tools import install
from tests.fixtures import AUTH

MODEL = "claude-4.5-sonnet"


def _codex(live_url: str, home: Path, workdir: Path, prompt: str, *extra: str) -> subprocess.CompletedProcess:
    """`codex exec` with a CODEX_HOME of its own: a model provider pointing at our server."""
    codex = install("@openai/codex") / "codex"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(
        f"""
model = "{MODEL}"
model_provider = "cursorapi"

[model_providers.cursorapi]
name = "cursorapi"
base_url = "{live_url}/v1"
env_key = "CURSORAPI_KEY"
wire_api = "responses"
"""
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CODEX_HOME": str(home),
        "CURSORAPI_KEY": AUTH,
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [
            str(codex),
            "exec",
            "--skip-git-repo-check",
            "--ephemeral",
            "--color",
            "never",
            "-C",
            str(workdir),
            *extra,
            prompt,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_codex_prints_the_fakes_reply(live, pool_token, fake, tmp_path) -> None:
    done = _codex(live.url, tmp_path / "home", tmp_path, "say hello")
    assert done.returncode == 0, done.stderr[-2000:]
    # `codex exec` prints the final message on stdout (its progress goes to stderr).
    assert done.stdout.strip().endswith("Fake Cursor reply to: say hello")
    (sent,) = fake.requests_to("StreamUnifiedChatWithTools")
    conversation = sent.message.stream_unified_chat_request.conversation
    assert conversation[-1].text == "say hello"
