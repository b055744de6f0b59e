"""The dialect-free chat: what a request says and what comes back, without OpenAI's or Anthropic's shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "tool"]


class ChatInputError(ValueError):
    """The request cannot be served as given: a 4xx in the caller's dialect."""

    def __init__(
        self, message: str, *, param: str | None = None, code: str = "invalid_request", status: int = 400
    ):
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status


@dataclass(slots=True)
class Image:
    data: bytes
    mime: str
    width: int | None = None
    height: int | None = None


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text


@dataclass(slots=True)
class Turn:
    role: Role
    text: str = ""
    images: list[Image] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)  # assistant turns
    tool_call_id: str = ""  # tool turns: which call this answers
    tool_is_error: bool = False
    thinking: str = ""  # assistant turns (Anthropic): replayed thinking
    thinking_signature: str = ""


@dataclass(slots=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(slots=True)
class Model:
    id: str
    display_name: str
    server_id: str
    owned_by: str
    thinking: bool = False
    images: bool = False
    max_mode: bool = False  # supports max mode
    non_max: bool = True  # usable without max mode
    client_id: str = ""  # Cursor's client name (the original's `client_id`); empty: the display name

    def __post_init__(self) -> None:
        if not self.client_id:
            self.client_id = self.display_name


@dataclass(slots=True)
class ResolvedModel:
    model: Model
    max_mode: bool = False
    web: bool = False
    requested: str = ""

    @property
    def server_id(self) -> str:
        return self.model.server_id


@dataclass(slots=True)
class ImageAllowance:
    """What one request's images have used so far (cursorapi.chat.images holds them to limits)."""

    count: int = 0
    fetched_bytes: int = 0


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """The server's chat settings as they apply to one caller (see cursorapi.chat.options)."""

    vision: str  # none / base64 / all
    slow_pool: bool
    long_context: bool
    web_references: bool
    vision_off_by_key: bool = False  # for the refusal's wording
    # Per request (options are made per request): images counted, bytes fetched.
    images: ImageAllowance = field(default_factory=ImageAllowance, compare=False)
    platform: str = ""  # emulated_platform: the OS Cursor is told, when the caller names none
    context_fill: int = 1  # CONTEXT_FILL_MODE bits: 1 context, 2 repo context, 4 mode-specific context


@dataclass(slots=True)
class ChatRequest:
    model: ResolvedModel
    system: str
    turns: list[Turn]
    options: ChatOptions
    tools: list[Tool] = field(default_factory=list)
    stream: bool = False
    max_tokens: int | None = None
    # Structured output the caller asked for, dialect-neutral: {"type": "json_object"} or
    # {"type": "json_schema", "name": str, "schema": dict, "strict": bool}; None for free text.
    response_format: dict[str, Any] | None = None
    platform: str = ""  # from x-stainless-os: the caller's OS, passed on as Cursor's client does
    arch: str = ""

    def prompt_chars(self) -> int:
        return len(self.system) + sum(len(t.text) for t in self.turns)


# --- events coming back ------------------------------------------------------------------------


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ThinkingDelta:
    text: str


@dataclass(slots=True)
class ThinkingSignature:
    signature: str


@dataclass(slots=True)
class ToolCallStart:
    index: int
    id: str
    name: str


@dataclass(slots=True)
class ToolCallDelta:
    index: int
    arguments: str


@dataclass(slots=True)
class ToolCallEnd:
    index: int


@dataclass(slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    cache_read_tokens: int = 0


@dataclass(slots=True)
class Finish:
    reason: Literal["stop", "length", "tool_calls"]
    usage: Usage | None = None


ContentEvent = TextDelta | ThinkingDelta | ThinkingSignature | ToolCallStart | ToolCallDelta | ToolCallEnd
Event = ContentEvent | Finish
