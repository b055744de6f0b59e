"""The models we offer: built-in defaults, refreshed from Cursor's AvailableModels, and name resolution."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from cursorapi.upstream.proto import aiserver_pb2 as pb

from .builtin_models import BUILTIN_MODELS
from .types import ChatInputError, Model, ResolvedModel

CREATED = 1706659200  # a fixed `created` for every model, as the original reports
REFRESH_SECONDS = 30 * 60


# The original's built-in table (cursorapi.chat.builtin_models) until Cursor's list is merged in.
DEFAULT_MODELS: tuple[Model, ...] = BUILTIN_MODELS
FETCH_MODES = ("truncate", "append:truncate", "append")
ID_SOURCES = ("id", "server_id", "client_id", "both")


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
        ("co", "cursor"),  # composer
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
        models.append(  # client_id: the display name, as the original takes it
            Model(
                id=m.name,
                display_name=display,
                server_id=server,
                owned_by=owner_of(server),
                thinking=m.supports_thinking,
                images=m.supports_images or server == "default",
                max_mode=m.supports_max_mode,
                non_max=m.supports_non_max_mode if m.HasField("supports_non_max_mode") else True,
                client_id=display,
            )
        )
    return models


def merge(current: Iterable[Model], fetched: list[Model], mode: str) -> list[Model]:
    """The original's FETCH_RAW_MODELS: how Cursor's list combines with the one we have.

    truncate: Cursor's list alone; append:truncate: ours minus the ids Cursor sent, then Cursor's
    (its entries win); append: ours unchanged, then Cursor's ids we did not have.
    """
    current = list(current)
    if not fetched or mode == "truncate" or mode not in FETCH_MODES:
        return fetched or current
    if mode == "append:truncate":
        sent = {m.id for m in fetched}
        return [m for m in current if m.id not in sent] + fetched
    have = {m.id for m in current}
    return current + [m for m in fetched if m.id not in have]


def to_json(model: Model) -> dict[str, Any]:
    return {
        "id": model.id,
        "client_id": model.client_id,
        "display_name": model.display_name,
        "server_id": model.server_id,
        "owned_by": model.owned_by,
        "thinking": model.thinking,
        "images": model.images,
        "max_mode": model.max_mode,
        "non_max": model.non_max,
    }


def from_json(data: dict[str, Any]) -> Model:
    return Model(
        id=str(data["id"]),
        display_name=str(data.get("display_name") or data["id"]),
        server_id=str(data.get("server_id") or data["id"]),
        owned_by=str(data.get("owned_by") or "unknown"),
        thinking=bool(data.get("thinking")),
        images=bool(data.get("images")),
        max_mode=bool(data.get("max_mode")),
        non_max=bool(data.get("non_max", True)),
        client_id=str(data.get("client_id") or ""),
    )


_THINKING_GUESS = re.compile(r"-thinking|^o\d|^gemini-2\.5-|^deepseek-r1|^grok-4")


def _unvalidated(name: str) -> Model:
    """BYPASS_MODEL_VALIDATION: a name we do not know goes to Cursor as is, as the original sends it."""
    return Model(
        id=name,
        display_name=name,
        server_id=name,
        owned_by=owner_of(name),
        thinking=bool(_THINKING_GUESS.search(name)),
        images=True,
        max_mode=False,
        non_max=True,
    )


def id_source() -> str:
    source = str(getattr(settings, "MODEL_ID_SOURCE", "id")).strip().lower()
    return source if source in ID_SOURCES else "id"


def listed_ids(model: Model, source: str | None = None) -> list[str]:
    """The ids /v1/models shows for a model under MODEL_ID_SOURCE (R4's choice of which name is the id)."""
    source = source or id_source()
    if source == "server_id":
        return [model.server_id]
    if source == "client_id":
        return [model.client_id]
    if source == "both" and model.server_id != model.id:
        return [model.id, model.server_id]
    return [model.id]


class Catalog:
    """This worker's copy of the model list; the shared one lives in the database (runtime.model_store).

    `stamp` names the stored list this copy was loaded from ("" for the built-in table); workers
    compare it with the database's every few seconds and reload when it differs.
    """

    def __init__(self, models: Iterable[Model] = DEFAULT_MODELS) -> None:
        self._set(list(models))
        self.refreshed_at: float | None = None  # wall time Cursor's list was last merged in
        self.source = "builtin"
        self.stamp = ""

    def _set(self, models: list[Model]) -> None:
        self.models = models
        self._by_id = {m.id: m for m in models}
        self._by_server: dict[str, Model] = {}
        self._by_client: dict[str, Model] = {}
        for m in models:
            self._by_server.setdefault(m.server_id, m)
            self._by_client.setdefault(m.client_id, m)

    def replace(self, models: list[Model], *, stamp: str = "", refreshed_at: float | None = None) -> None:
        if models:
            self._set(models)
            self.source = "upstream"
        self.stamp = stamp
        self.refreshed_at = time.time() if refreshed_at is None else refreshed_at

    def get(self, model_id: str) -> Model | None:
        return self._lookup(model_id)

    def _lookup(self, name: str) -> Model | None:
        """The name as MODEL_ID_SOURCE lists it first, then our id, then Cursor's server id."""
        source = id_source()
        if source in ("server_id", "both") and name in self._by_server:
            found = self._by_server[name]
            if source == "server_id" or name not in self._by_id:
                return found
        if source == "client_id" and name in self._by_client:
            return self._by_client[name]
        return self._by_id.get(name) or self._by_server.get(name)

    def resolve(self, name: str, *, thinking: bool = False) -> ResolvedModel:
        """`<id>`, `<id>-online` (web search), `<id>-max`, `<id>-max-online`; 404 for anything else."""
        if not isinstance(name, str) or not name:
            raise ChatInputError("`model` is required", param="model", code="invalid_request")
        base, web = (name[: -len("-online")], True) if name.endswith("-online") else (name, False)
        model = self._lookup(base)
        max_mode = False
        if model is None and base.endswith("-max"):
            model = self._lookup(base[: -len("-max")])
            if model is not None and not model.max_mode:
                model = None
            max_mode = True
        if model is None and base and getattr(settings, "BYPASS_MODEL_VALIDATION", False):
            return ResolvedModel(_unvalidated(base), max_mode=False, web=web, requested=name)
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
