"""The real Claude Code CLI (`claude -p`) against our server on the fake: a reply, then a tool round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from cursorapi.dialects import anthropic as anthropic_dialect
from tests.clients import npm_tools
from tests.clients.agents import Recorder, base_env, run
from tests.fixtures import AUTH

MODEL = "claude-4.5-sonnet"
# Top-level fields Claude Code 2.1 sends; each one is accepted (docs/agents.md). A new one fails here.
KNOWN_FIELDS = {
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "metadata",
    "max_tokens",
    "thinking",
    "context_management",
    "output_config",
    "stream",
    "temperature",
}


@pytest.fixture
def claude(tmp_path: Path, live, pool_token, monkeypatch):
    bin_dir = npm_tools.install("@anthropic-ai/claude-code")
    recorder = Recorder(monkeypatch, anthropic_dialect, "claude-code")
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = base_env(home)
    env.update(
        {
            "ANTHROPIC_BASE_URL": live.url,
            "ANTHROPIC_API_KEY": AUTH,
            "ANTHROPIC_MODEL": MODEL,
            "ANTHROPIC_DEFAULT_HAIKU_MODEL": MODEL,  # its background model, had it any work
            "CLAUDE_CODE_MAX_CONTEXT_TOKENS": "200000",  # the window it cannot know for our model ids
            "CLAUDE_CONFIG_DIR": str(home / ".claude"),
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }
    )

    def ask(prompt: str, *tools: str):
        argv = [str(bin_dir / "claude"), "-p", prompt, "--max-turns", "4"]
        if tools:
            argv += ["--allowedTools", ",".join(tools)]
        done = run(argv, env, work)
        return done, recorder

    ask.work = work  # type: ignore[attr-defined]
    return ask


def test_a_plain_prompt_prints_the_fake_reply(claude, fake) -> None:
    done, recorder = claude("say hello")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "Fake Cursor reply to: say hello"
    assert recorder.bodies, "Claude Code sent nothing to /v1/messages"
    for body in recorder.bodies:
        assert set(body) <= KNOWN_FIELDS, set(body) - KNOWN_FIELDS


def test_a_read_tool_round_trip(claude, tool_fake) -> None:
    (claude.work / "notes.txt").write_text("the secret word is pelican\n")
    done, recorder = claude("What does notes.txt say?", "Read")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The Read tool returned:" in done.stdout and "pelican" in done.stdout, done.stdout
    results = [
        block
        for body in recorder.bodies
        for message in body["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert results, "Claude Code never sent a tool result back"


def test_a_bash_tool_round_trip(claude, tool_fake) -> None:
    done, _ = claude("Please run `echo round-trip-$((6*7))`", "Bash")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The Bash tool returned:" in done.stdout and "round-trip-42" in done.stdout, done.stdout
