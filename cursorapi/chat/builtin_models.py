"""The model table we start from: the original's built-in tables, before Cursor's list is merged in.

Facts (ids, the id Cursor is sent, display names, capabilities) come from the original's 0.4 table
(57 ids) and, for names only 0.3 knew, its 0.3 table; a few newer ids of ours follow. Cursor's
AvailableModels answer is merged over this list by cursorapi.chat.model_merge.
"""

from __future__ import annotations

from .types import Model

# Capability flags, one letter each: T thinking, I images, M max mode and non-max, X max mode only.
_R4: tuple[tuple[str, str, str, str, str], ...] = (
    # (id, client id (display name), server id or "", owner, flags)
    ("default", "Auto", "", "cursor", "IM"),
    ("composer-1", "Composer 1", "", "cursor", "IM"),
    ("cursor-small", "Cursor Small", "", "cursor", ""),
    ("cursor-fast", "Cursor Fast", "", "cursor", ""),
    ("claude-4.5-opus-high", "Opus 4.5", "", "anthropic", "IM"),
    ("claude-4.5-opus-high-thinking", "Opus 4.5", "", "anthropic", "TIM"),
    ("claude-4.5-sonnet", "Sonnet 4.5", "", "anthropic", "IM"),
    ("claude-4.5-sonnet-thinking", "Sonnet 4.5", "", "anthropic", "TIM"),
    ("claude-4.5-haiku", "Haiku 4.5", "", "anthropic", "IM"),
    ("claude-4.5-haiku-thinking", "Haiku 4.5", "", "anthropic", "TIM"),
    ("claude-4-opus", "Opus 4.1", "claude-4.1-opus", "anthropic", "IX"),
    ("claude-4-opus-thinking", "Opus 4.1", "claude-4.1-opus-thinking", "anthropic", "TIX"),
    ("claude-4-opus-legacy", "Opus 4", "claude-4-opus", "anthropic", "IX"),
    ("claude-4-opus-thinking-legacy", "Opus 4", "claude-4-opus-thinking", "anthropic", "TIX"),
    ("claude-4-sonnet", "Sonnet 4", "", "anthropic", "IM"),
    ("claude-4-sonnet-thinking", "Sonnet 4", "", "anthropic", "TIM"),
    ("claude-4-sonnet-1m", "Sonnet 4 1M", "", "anthropic", "IX"),
    ("claude-4-sonnet-1m-thinking", "Sonnet 4 1M", "", "anthropic", "TIX"),
    ("gemini-3-pro", "Gemini 3 Pro", "gemini-3-pro-preview", "google", "TIM"),
    ("gemini-2.5-pro-preview-05-06", "Gemini 2.5 Pro", "gemini-2.5-pro", "google", "TIM"),
    ("gemini-2.5-flash-preview-05-20", "Gemini 2.5 Flash", "gemini-2.5-flash", "google", "TIM"),
    ("gpt-5.1-codex-max", "GPT-5.1 Codex Max", "", "openai", "TIM"),
    ("gpt-5.1-codex-max-high", "GPT-5.1 Codex Max High", "", "openai", "TIM"),
    ("gpt-5.1-codex-max-low", "GPT-5.1 Codex Max Low", "", "openai", "TIM"),
    ("gpt-5.1-codex-max-xhigh", "GPT-5.1 Codex Max Extra High", "", "openai", "TIM"),
    ("gpt-5.1-codex-max-medium-fast", "GPT-5.1 Codex Max Medium Fast", "", "openai", "TIM"),
    ("gpt-5.1-codex-max-high-fast", "GPT-5.1 Codex Max High Fast", "", "openai", "TIM"),
    ("gpt-5.1-codex-max-low-fast", "GPT-5.1 Codex Max Low Fast", "", "openai", "TIM"),
    ("gpt-5.1-codex-max-xhigh-fast", "GPT-5.1 Codex Max Extra High Fast", "", "openai", "TIM"),
    ("gpt-5.1-codex", "GPT-5.1 Codex", "", "openai", "TIM"),
    ("gpt-5.1-codex-high", "GPT-5.1 Codex High", "", "openai", "TIM"),
    ("gpt-5.1-codex-fast", "GPT-5.1 Codex Fast", "", "openai", "TIM"),
    ("gpt-5.1-codex-high-fast", "GPT-5.1 Codex High Fast", "", "openai", "TIM"),
    ("gpt-5.1-codex-low", "GPT-5.1 Codex Low", "", "openai", "TIM"),
    ("gpt-5.1-codex-low-fast", "GPT-5.1 Codex Low Fast", "", "openai", "TIM"),
    ("gpt-5.1", "GPT-5.1", "", "openai", "TIM"),
    ("gpt-5.1-fast", "GPT-5.1 Fast", "", "openai", "TIM"),
    ("gpt-5.1-high", "GPT-5.1 High", "", "openai", "TIM"),
    ("gpt-5.1-high-fast", "GPT-5.1 High Fast", "", "openai", "TIM"),
    ("gpt-5.1-low", "GPT-5.1 Low", "", "openai", "TIM"),
    ("gpt-5.1-low-fast", "GPT-5.1 Low Fast", "", "openai", "TIM"),
    ("gpt-5.1-codex-mini", "GPT-5.1 Codex Mini", "", "openai", "TIM"),
    ("gpt-5.1-codex-mini-high", "GPT-5.1 Codex Mini High", "", "openai", "TIM"),
    ("gpt-5.1-codex-mini-low", "GPT-5.1 Codex Mini Low", "", "openai", "TIM"),
    ("o3", "o3", "", "openai", "TIM"),
    ("gpt-4.1", "GPT-4.1", "", "openai", "IM"),
    ("gpt-5-mini", "GPT-5 Mini", "", "openai", "TIM"),
    ("gpt-5-nano", "GPT-5 Nano", "", "openai", "TIM"),
    ("o3-pro", "o3 Pro", "", "openai", "TIX"),
    ("gpt-5-pro", "GPT-5 Pro", "", "openai", "TIX"),
    ("deepseek-r1-0528", "DeepSeek R1", "", "deepseek", "TM"),
    ("deepseek-v3.1", "DeepSeek V3.1", "", "deepseek", "M"),
    ("grok-code-fast-1", "Grok Code", "", "xai", "TM"),
    ("grok-4", "Grok 4", "grok-4-0709", "xai", "TIM"),
    ("grok-4-fast-reasoning", "Grok 4 Fast", "", "xai", "TIM"),
    ("grok-4-fast-non-reasoning", "Grok 4 Fast", "", "xai", "IM"),
    ("kimi-k2-instruct", "Kimi K2", "accounts/fireworks/models/kimi-k2-instruct", "fireworks", "M"),
)

# Names only 0.3 knew (its client id is the id, except grok-3-beta). Cursor may no longer serve
# some of them; they stay accepted so that a 0.3 client's names reach Cursor as they did before.
_R3_ONLY: tuple[tuple[str, str, str, str, str], ...] = (
    ("claude-3.5-sonnet", "claude-3.5-sonnet", "", "anthropic", "IM"),
    ("claude-3.7-sonnet", "claude-3.7-sonnet", "", "anthropic", "IM"),
    ("claude-3.7-sonnet-thinking", "claude-3.7-sonnet-thinking", "", "anthropic", "TIM"),
    ("claude-3.5-haiku", "claude-3.5-haiku", "", "anthropic", "I"),
    ("claude-3-opus", "claude-3-opus", "", "anthropic", ""),
    ("claude-3-haiku-200k", "claude-3-haiku-200k", "", "anthropic", ""),
    ("claude-3.5-sonnet-200k", "claude-3.5-sonnet-200k", "", "anthropic", ""),
    ("gemini-2.5-pro", "gemini-2.5-pro", "", "google", ""),
    ("gemini-2.5-pro-latest", "gemini-2.5-pro-latest", "", "google", ""),
    ("gemini-2.5-flash", "gemini-2.5-flash", "", "google", ""),
    ("gemini-2.5-flash-latest", "gemini-2.5-flash-latest", "", "google", ""),
    ("gemini-2.5-pro-exp-03-25", "gemini-2.5-pro-exp-03-25", "", "google", "IM"),
    ("gemini-2.5-flash-preview-04-17", "gemini-2.5-flash-preview-04-17", "", "google", ""),
    ("gemini-2.5-pro-max", "gemini-2.5-pro-max", "", "google", ""),
    ("gemini-2.0-flash-thinking-exp", "gemini-2.0-flash-thinking-exp", "", "google", ""),
    ("gemini-2.0-flash", "gemini-2.0-flash", "", "google", ""),
    ("gemini-1.5-flash-500k", "gemini-1.5-flash-500k", "", "google", ""),
    ("gpt-5", "gpt-5", "", "openai", "TIM"),
    ("gpt-5-high", "gpt-5-high", "", "openai", "TIM"),
    ("gpt-5-low", "gpt-5-low", "", "openai", "TIM"),
    ("gpt-5-fast", "gpt-5-fast", "", "openai", "TIM"),
    ("gpt-5-high-fast", "gpt-5-high-fast", "", "openai", "TIM"),
    ("gpt-5-low-fast", "gpt-5-low-fast", "", "openai", "TIM"),
    ("gpt-4o", "gpt-4o", "", "openai", "I"),
    ("o4-mini", "o4-mini", "", "openai", "TIM"),
    ("gpt-4", "gpt-4", "", "openai", ""),
    ("gpt-4.5-preview", "gpt-4.5-preview", "", "openai", ""),
    ("gpt-4-turbo-2024-04-09", "gpt-4-turbo-2024-04-09", "", "openai", ""),
    ("gpt-4o-mini", "gpt-4o-mini", "", "openai", ""),
    ("o1-mini", "o1-mini", "", "openai", ""),
    ("o1-preview", "o1-preview", "", "openai", ""),
    ("o1", "o1", "", "openai", ""),
    ("o3-mini", "o3-mini", "", "openai", ""),
    ("gpt-4o-128k", "gpt-4o-128k", "", "openai", ""),
    ("deepseek-r1", "deepseek-r1", "", "deepseek", ""),
    ("deepseek-v3", "deepseek-v3", "", "deepseek", ""),
    ("grok-3-beta", "grok-3", "", "xai", "M"),
    ("grok-3", "grok-3", "", "xai", ""),
    ("grok-3-mini", "grok-3-mini", "", "xai", ""),
    ("grok-2", "grok-2", "", "xai", ""),
    ("sonic", "sonic", "", "unknown", "TM"),
)

# Ours, newer than either table (Cursor lists them today).
_OURS: tuple[tuple[str, str, str, str, str], ...] = (
    ("claude-4.5-opus", "Opus 4.5", "", "anthropic", "IM"),
    ("claude-4.5-opus-thinking", "Opus 4.5", "", "anthropic", "TIM"),
)


def _model(id: str, client_id: str, server: str, owner: str, flags: str) -> Model:
    display = f"{client_id} Thinking" if id.endswith("-thinking") and client_id != id else client_id
    return Model(
        id=id,
        display_name=display,
        server_id=server or id,
        owned_by=owner,
        thinking="T" in flags,
        images="I" in flags,
        max_mode="M" in flags or "X" in flags,
        non_max="X" not in flags,
        client_id=client_id,
    )


def _table() -> tuple[Model, ...]:
    seen: set[str] = set()
    models = []
    for row in (*_R4, *_OURS, *_R3_ONLY):
        if row[0] not in seen:
            seen.add(row[0])
            models.append(_model(*row))
    return tuple(models)


BUILTIN_MODELS: tuple[Model, ...] = _table()
R4_IDS: tuple[str, ...] = tuple(row[0] for row in _R4)
R3_ONLY_IDS: tuple[str, ...] = tuple(row[0] for row in _R3_ONLY)
