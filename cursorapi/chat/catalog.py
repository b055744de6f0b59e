"""The models we offer: built-in defaults, refreshed from Cursor's AvailableModels, and name resolution."""

from __future__ import annotations

import time
from collections.abc import Iterable

from cursorapi.upstream.proto import aiserver_pb2 as pb

from .types import ChatInputError, Model, ResolvedModel

CREATED = 1706659200  # a fixed `created` for every model, as the original reports
REFRESH_SECONDS = 30 * 60


def _m(
    id: str,
    display: str,
    owner: str,
    *,
    server: str | None = None,
    think: bool = False,
    img: bool = True,
    max_: bool = True,
    non_max: bool = True,
) -> Model:
    return Model(id, display, server or id, owner, think, img, max_, non_max)


DEFAULT_MODELS: tuple[Model, ...] = (
    _m("default", "Auto", "cursor", max_=False),
    _m("claude-4.5-sonnet", "Sonnet 4.5", "anthropic"),
    _m("claude-4.5-sonnet-thinking", "Sonnet 4.5 Thinking", "anthropic", think=True),
    _m("claude-4.5-opus", "Opus 4.5", "anthropic"),
    _m("claude-4.5-opus-thinking", "Opus 4.5 Thinking", "anthropic", think=True),
    _m("claude-4.5-haiku", "Haiku 4.5", "anthropic"),
    _m("claude-4.5-haiku-thinking", "Haiku 4.5 Thinking", "anthropic", think=True),
    _m("claude-4-sonnet", "Sonnet 4", "anthropic"),
    _m("claude-4-sonnet-thinking", "Sonnet 4 Thinking", "anthropic", think=True),
    _m("claude-4-sonnet-1m", "Sonnet 4 1M", "anthropic", non_max=False),
    _m("claude-4-sonnet-1m-thinking", "Sonnet 4 1M Thinking", "anthropic", think=True, non_max=False),
    _m("composer-1", "Composer 1", "cursor", img=False, max_=False),
    _m("gemini-3-pro", "Gemini 3 Pro", "google", server="gemini-3-pro-preview", think=True),
    _m("gpt-5.1", "GPT-5.1", "openai", think=True),
    _m("gpt-5.1-codex", "GPT-5.1 Codex", "openai", think=True),
    _m("gpt-5.1-codex-max", "GPT-5.1 Codex Max", "openai", think=True),
    _m("gpt-5.1-codex-mini", "GPT-5.1 Codex Mini", "openai", think=True),
    _m("gpt-5-pro", "GPT-5 Pro", "openai", think=True, non_max=False),
    _m("grok-code-fast-1", "Grok Code", "xai", img=False, max_=False),
    _m("grok-4-fast-reasoning", "Grok 4 Fast Reasoning", "xai", think=True, max_=False),
    _m("grok-4-fast-non-reasoning", "Grok 4 Fast", "xai", max_=False),
)


def owner_of(server_id: str) -> str:
    """Cursor does not say who makes a model; guess from its name as the original did."""
    prefixes = (
        ("gp", "openai"),
        ("o1", "openai"),
        ("o3", "openai"),
        ("o4", "openai"),
        ("ge", "google"),
        ("gr", "xai"),
        ("cl", "anthropic"),
        ("cu", "cursor"),
        ("co", "cursor"),
        ("dee", "deepseek"),
        ("kimi", "moonshotai"),
    )
    for prefix, owner in prefixes:
        if server_id.startswith(prefix):
            return owner
    if server_id == "default":
        return "cursor"
    return "fireworks" if server_id.startswith("a") and len(server_id) > 26 else "unknown"


def from_upstream(response: pb.AvailableModelsResponse) -> list[Model]:
    models = []
    for m in response.models:
        server = m.server_model_name if m.HasField("server_model_name") and m.server_model_name else m.name
        display = (
            m.client_display_name if m.HasField("client_display_name") and m.client_display_name else m.name
        )
        models.append(
            Model(
                id=m.name,
                display_name=display,
                server_id=server,
                owned_by=owner_of(server),
                thinking=m.supports_thinking,
                images=m.supports_images or server == "default",
                max_mode=m.supports_max_mode,
                non_max=m.supports_non_max_mode if m.HasField("supports_non_max_mode") else True,
            )
        )
    return models


class Catalog:
    """Process-local: each worker keeps its own copy, refreshed at most every 30 minutes."""

    def __init__(self, models: Iterable[Model] = DEFAULT_MODELS) -> None:
        self._set(list(models))
        self.refreshed_at: float | None = None
        self.source = "builtin"

    def _set(self, models: list[Model]) -> None:
        self.models = models
        self._by_id = {m.id: m for m in models}

    def replace(self, models: list[Model]) -> None:
        if models:
            self._set(models)
            self.source = "upstream"
        self.refreshed_at = time.monotonic()

    def stale(self) -> bool:
        return self.refreshed_at is None or time.monotonic() - self.refreshed_at > REFRESH_SECONDS

    def mark_attempt(self) -> None:
        """A failed refresh waits like a successful one, so an unreachable upstream is not hammered."""
        self.refreshed_at = time.monotonic()

    def get(self, model_id: str) -> Model | None:
        return self._by_id.get(model_id)

    def resolve(self, name: str, *, thinking: bool = False) -> ResolvedModel:
        """`<id>`, `<id>-online` (web search), `<id>-max`, `<id>-max-online`; 404 for anything else."""
        if not isinstance(name, str) or not name:
            raise ChatInputError("`model` is required", param="model", code="invalid_request")
        base, web = (name[: -len("-online")], True) if name.endswith("-online") else (name, False)
        model = self._by_id.get(base)
        max_mode = False
        if model is None and base.endswith("-max"):
            model = self._by_id.get(base[: -len("-max")])
            if model is not None and not model.max_mode:
                model = None
            max_mode = True
        if model is None:
            raise ChatInputError(
                f"The model `{name}` does not exist or you do not have access to it.",
                param="model",
                code="model_not_found",
                status=404,
            )
        if thinking and not model.thinking:
            # Anthropic's `thinking` parameter picks the thinking twin when there is one.
            model = self._by_id.get(f"{model.id}-thinking", model)
        return ResolvedModel(model, max_mode=max_mode or not model.non_max, web=web, requested=name)


catalog = Catalog()
