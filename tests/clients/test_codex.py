"""The real Codex CLI (`codex exec`, pinned in versions.json) against our server on the fake upstream.

Codex speaks only the Responses API (`wire_api = "responses"`); the settings here are the ones
docs/agents.md gives users.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cursorapi.dialects import responses as responses_dialect
from tests.clients import npm_tools
from tests.clients.agents import Recorder, base_env, run
from tests.fixtures import AUTH

MODEL = "claude-4.5-sonnet"

CONFIG = """
model = "{model}"
model_provider = "cursorapi"

[model_providers.cursorapi]
name = "cursorapi"
base_url = "{url}/v1"
env_key = "CURSORAPI_KEY"
wire_api = "responses"
"""


@pytest.fixture
def codex(tmp_path: Path, live, pool_token, monkeypatch):
    bin_dir = npm_tools.install("@openai/codex")
    recorder = Recorder(monkeypatch, responses_dialect, "codex")
    home = tmp_path / "home"
    work = tmp_path / "work"
    (home / ".codex").mkdir(parents=True)
    work.mkdir()
    (home / ".codex" / "config.toml").write_text(CONFIG.format(model=MODEL, url=live.url))
    env = base_env(home)
    env.update({"CODEX_HOME": str(home / ".codex"), "CURSORAPI_KEY": AUTH})

    def ask(prompt: str, *flags: str):
        argv = [
            str(bin_dir / "codex"),
            "exec",
            "--skip-git-repo-check",  # the work folder is no git repository
            "--ephemeral",  # no session files to keep
            "--color",
            "never",
            "-C",
            str(work),
            *flags,
            prompt,
        ]
        return run(argv, env, work), recorder

    ask.work = work  # type: ignore[attr-defined]
    return ask


def test_a_plain_prompt_prints_the_fake_reply(codex, fake) -> None:
    done, recorder = codex("say hello")
    assert done.returncode == 0, done.stdout + done.stderr
    # `codex exec` prints the final message on stdout; its progress goes to stderr.
    assert done.stdout.strip() == "Fake Cursor reply to: say hello"
    (body,) = recorder.bodies
    assert body["stream"] is True and body["store"] is False
    assert body["input"][-1]["content"][0]["text"] == "say hello"
    (sent,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert sent.message.stream_unified_chat_request.conversation[-1].text == "say hello"


def test_a_shell_tool_round_trip(codex, tool_fake) -> None:
    done, recorder = codex(
        "Please run `echo round-trip-$((6*7))`", "--dangerously-bypass-approvals-and-sandbox"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "round-trip-42" in done.stdout and "tool returned:" in done.stdout, done.stdout + done.stderr
    outputs = [
        item
        for body in recorder.bodies
        for item in body["input"]
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]
    assert outputs, "Codex never sent a tool result back"
