"""The chat settings one request runs under: the runtime config, overridden by a dynamic key's flags."""

from __future__ import annotations

from django.conf import settings

from cursorapi.auth import DYNAMIC, Caller
from runtime import config as runtime_config

from .types import ChatOptions


def for_caller(caller: Caller) -> ChatOptions:
    """A flag the key carries wins over the server's setting, as in the original; an absent one leaves it.

    `disable_vision: false` cannot allow images that VISION_ABILITY=none refuses: the original ends
    that path in the same refusal.
    """
    config = runtime_config.current()
    vision = config["vision_ability"]
    slow_pool = config["slow_pool_enabled"]
    web_references = config["web_references_included"]
    key = caller.key if caller.kind == DYNAMIC else None
    off_by_key = False
    if key is not None:
        if key.disable_vision and vision != "none":
            vision, off_by_key = "none", True
        if key.enable_slow_pool is not None:
            slow_pool = key.enable_slow_pool
        if key.include_web_references is not None:
            web_references = key.include_web_references
    return ChatOptions(
        vision=vision,
        slow_pool=slow_pool,
        long_context=config["long_context_enabled"],
        web_references=web_references,
        vision_off_by_key=off_by_key,
        context_fill=settings.CONTEXT_FILL_MODE & 7 or 1,
        platform=config["emulated_platform"],
    )
