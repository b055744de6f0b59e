"""The real opencode CLI (`opencode run`) against our server on the fake, as an OpenAI-compatible provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cursorapi.dialects import openai as openai_dialect
from tests.clients import npm_tools
from tests.clients.agents import Recorder, base_env, run
from tests.fixtures import AUTH

MODEL = "claude-4.5-sonnet"
# Top-level fields opencode 1.18 sends to /v1/chat/completions; each one is accepted. A new one fails here.
KNOWN_FIELDS = {
    "model",
    "messages",
    "max_tokens",
    "stream",
    "stream_options",
    "tool_choice",
    "tools",
    "temperature",
}


def opencode_config(url: str, key: str) -> dict:
    """The provider block docs/agents.md shows: our server as an OpenAI-compatible provider."""
    return {
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            "cursorapi": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "cursorapi",
                "options": {"baseURL": f"{url}/v1", "apiKey": key},
                "models": {MODEL: {"name": "Claude 4.5 Sonnet via Cursor", "tool_call": True}},
            }
        },
        "model": f"cursorapi/{MODEL}",
        "autoupdate": False,
        "share": "disabled",
    }


@pytest.fixture
def opencode(tmp_path: Path, live, pool_token, monkeypatch):
    bin_dir = npm_tools.install("opencode-ai")
    recorder = Recorder(monkeypatch, openai_dialect, "opencode")
    home = tmp_path / "home"
    work = tmp_path / "work"
    (home / ".config" / "opencode").mkdir(parents=True)
    work.mkdir()
    (home / ".config" / "opencode" / "opencode.json").write_text(json.dumps(opencode_config(live.url, AUTH)))
    env = base_env(home)
    # Nothing from the network or the machine's other agents: a quicker start, the same every run.
    for name in (
        "AUTOUPDATE",
        "MODELS_FETCH",
        "DEFAULT_PLUGINS",
        "LSP_DOWNLOAD",
        "SHARE",
        "CLAUDE_CODE",
        "EXTERNAL_SKILLS",
    ):
        env[f"OPENCODE_DISABLE_{name}"] = "1"
    env["OPENCODE_EXPERIMENTAL_DISABLE_FILEWATCHER"] = "1"
    env["OPENCODE_DISABLE_FFF"] = "1"

    def ask(prompt: str):
        # One word per argument: opencode quotes an argument holding spaces when it joins the message.
        argv = [str(bin_dir / "opencode"), "run", "--pure", "--auto", *prompt.split()]
        return run(argv, env, work, timeout=120), recorder

    ask.work = work  # type: ignore[attr-defined]
    return ask


def test_a_plain_prompt_prints_the_fake_reply(opencode, fake) -> None:
    done, recorder = opencode("say hello")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "Fake Cursor reply to: say hello", done.stdout + done.stderr
    assert {b["model"] for b in recorder.bodies} == {MODEL}
    for body in recorder.bodies:
        assert set(body) <= KNOWN_FIELDS, set(body) - KNOWN_FIELDS


def test_a_read_tool_round_trip(opencode, tool_fake) -> None:
    (opencode.work / "notes.txt").write_text("the secret word is pelican\n")
    done, recorder = opencode("What does notes.txt say?")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The read tool returned:" in done.stdout and "pelican" in done.stdout, done.stdout + done.stderr
    assert any(m["role"] == "tool" for body in recorder.bodies for m in body["messages"])
