"""Structured outputs: a reply that is JSON, valid against the caller's schema, whatever the dialect.

Cursor has no structured-output switch, so the model is told (the schema goes into the context
Cursor sends as instructions, and a one-line reminder ends the last user message: the two places
Cursor's models follow best), and the reply is checked here:

- a Markdown code fence around the JSON (which models add now and then) is stripped;
- the JSON is validated against the schema (`jsonschema`);
- not streaming, a reply that fails is retried once, with the model's reply and what was wrong put
  back into the conversation; if that fails too, the request fails (`ChatFailure`, 502
  `invalid_structured_output`) and the caller gets its dialect's error;
- streaming, text leaves as it comes (fence stripped on the fly) and a reply that fails the check
  ends the stream with the dialect's in-band error instead of its normal end.

A reply that stops at the token limit or with tool calls is passed on as it is: it was not meant to
be the final JSON. Any dialect that fills `ChatRequest.response_format` gets all of this.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import jsonschema
from jsonschema.exceptions import SchemaError

from .types import ChatInputError, ChatRequest, Event, Finish, TextDelta, ToolCallStart, Turn

if TYPE_CHECKING:
    from .service import ChatRun

log = logging.getLogger(__name__)

JSON_OBJECT = "json_object"
JSON_SCHEMA = "json_schema"
# How the instructions label the schema; the fake upstream reads it like a model would.
SCHEMA_HEADING = "JSON Schema the reply must be valid against:"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FENCE = re.compile(r"^```[A-Za-z0-9_-]*[ \t]*\n?(.*?)\n?[ \t]*```$", re.DOTALL)
_INNER_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL)
_FAILURE_CODE = "invalid_structured_output"


# --- building the format (the dialects call these) ----------------------------------------------


def json_object() -> dict[str, Any]:
    return {"type": JSON_OBJECT}


def json_schema(
    name: Any, schema: Any, *, strict: Any = False, description: Any = None, param: str
) -> dict[str, Any]:
    """The neutral format for a named schema; a ChatInputError naming `param` when it is unusable."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ChatInputError("name must be 1 to 64 letters, digits, _ or -", param=f"{param}.name")
    if schema is None:
        schema = {"type": "object"}
    if not isinstance(schema, dict):
        raise ChatInputError("schema must be a JSON Schema object", param=f"{param}.schema")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        message = f"schema is not a valid JSON Schema: {exc.message}"
        raise ChatInputError(message, param=f"{param}.schema") from exc
    if description is not None and not isinstance(description, str):
        raise ChatInputError("description must be a string", param=f"{param}.description")
    return {
        "type": JSON_SCHEMA,
        "name": name,
        "schema": schema,
        "strict": strict is True,
        "description": description or "",
    }


# --- telling the model ---------------------------------------------------------------------------


def instructions(fmt: dict[str, Any]) -> str:
    if fmt.get("type") == JSON_SCHEMA:
        about = f"The reply is a `{fmt.get('name', 'response')}` object"
        about += f": {fmt['description']}" if fmt.get("description") else "."
        schema = json.dumps(fmt.get("schema") or {}, indent=2)
        return (
            "# Output format\n"
            "Reply with one JSON value and nothing else: no prose before or after it, no Markdown "
            f"code fence. {about} Every property the schema requires must be present, with the "
            "type it gives; use only the properties it defines.\n\n"
            f"{SCHEMA_HEADING}\n```json\n{schema}\n```"
        )
    return (
        "# Output format\n"
        "Reply with one JSON object and nothing else: no prose before or after it, no Markdown code fence."
    )


REMINDER = "(Reply with the JSON only, as the output format in your instructions says.)"


def for_model(chat: ChatRequest) -> ChatRequest:
    """The chat as the model should see it: the format in the instructions, a reminder at the end."""
    fmt = chat.response_format
    if fmt is None:
        return chat
    system = f"{chat.system.rstrip()}\n\n{instructions(fmt)}" if chat.system.strip() else instructions(fmt)
    turns = list(chat.turns)
    if turns and turns[-1].role == "user":
        last = turns[-1]
        turns[-1] = dataclasses.replace(last, text=f"{last.text.rstrip()}\n\n{REMINDER}")
    return dataclasses.replace(chat, system=system, turns=turns)


# --- checking the reply --------------------------------------------------------------------------


def strip_fence(text: str) -> str:
    """The JSON inside a reply: without a surrounding code fence, or the fenced block amid prose."""
    stripped = text.strip()
    whole = _FENCE.match(stripped)
    if whole:
        return whole.group(1).strip()
    if stripped[:1] not in ("{", "[") and (inner := _INNER_FENCE.search(stripped)):
        return inner.group(1).strip()
    return stripped


def problem(fmt: dict[str, Any], text: str) -> str | None:
    """What is wrong with `text` as the reply `fmt` asks for; None when nothing is."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        return f"the reply is not valid JSON ({exc})"
    if fmt.get("type") != JSON_SCHEMA:
        return None if isinstance(value, dict) else "the reply is not a JSON object"
    schema = fmt.get("schema") or {}
    try:
        validator = jsonschema.validators.validator_for(schema)(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    except Exception:  # a schema we cannot apply (an unresolvable $ref, say): take the reply as it is
        log.warning("structured output: schema %r could not be applied", fmt.get("name"))
        return None
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"the reply does not match the schema at '/{where}': {error.message}"


def correction(reason: str) -> str:
    return (
        f"That reply cannot be used: {reason}. Reply again with only the JSON, valid against the "
        "schema in your instructions, and nothing else."
    )


def failure(reason: str):  # -> ChatFailure (imported late: service imports this module)
    from .service import ChatFailure

    message = f"The model's reply is not the structured output asked for: {reason}"
    return ChatFailure(502, "api_error", message, _FAILURE_CODE)


class FenceStripper:
    """Streamed text without a surrounding code fence: the opening line is dropped, and a tail that
    could be the closing fence is held back until more text shows it is not."""

    def __init__(self) -> None:
        self._head = ""  # text before we know whether the reply opens with a fence
        self._decided = False
        self._fenced = False
        self._held = ""

    def feed(self, text: str) -> str:
        if not self._decided:
            self._head += text
            start = self._head.lstrip()
            if not start or (len(start) < 3 and "```".startswith(start)):
                return ""
            if start.startswith("```"):
                if "\n" not in start:
                    return ""  # the fence's language tag may still be coming
                self._fenced = True
                text = start.split("\n", 1)[1]
            else:
                text = self._head
            self._decided = True
            self._head = ""
        if not self._fenced:
            return text
        text = self._held + text
        keep = len(text.rstrip(" \t\n`"))
        self._held = text[keep:]
        return text[:keep]

    def end(self) -> str:
        """What is left at the end of the reply (a held tail that was not a fence after all)."""
        if not self._decided:
            return self._head
        held, self._held = self._held, ""
        return "" if "```" in held else held


# --- the run ---------------------------------------------------------------------------------------


def _free_finish(events: list[Event]) -> Finish | None:
    """The Finish of a reply the format applies to: final text, not cut short, no tool calls."""
    finish = next((e for e in reversed(events) if isinstance(e, Finish)), None)
    if finish is None or finish.reason != "stop" or any(isinstance(e, ToolCallStart) for e in events):
        return None
    return finish


async def checked_events(run: ChatRun) -> AsyncIterator[list[Event]]:
    fmt = run.chat.response_format
    assert fmt is not None
    if run.chat.stream:
        async for batch in _streamed(run, fmt):
            yield batch
        return
    original = list(run.chat.turns)
    try:
        for attempt in (1, 2):
            collected: list[Event] = []
            async with contextlib.aclosing(run._events()) as events:
                async for batch in events:
                    collected.extend(batch)
            finish = _free_finish(collected)
            if finish is None:
                yield collected
                return
            raw = "".join(e.text for e in collected if isinstance(e, TextDelta))
            text = strip_fence(raw)
            reason = problem(fmt, text)
            if reason is None:
                rest = [e for e in collected if not isinstance(e, TextDelta | Finish)]
                yield [*rest, TextDelta(text), finish]
                return
            log.info("request %s: structured output attempt %d failed: %s", run.request_id, attempt, reason)
            if attempt == 2:
                run.failure = failure(reason)
                raise run.failure
            # The model sees its own reply and what was wrong with it, and answers again.
            run.chat.turns = [*original, Turn("assistant", raw), Turn("user", correction(reason))]
            run.restart()
    finally:
        run.chat.turns = original


async def _streamed(run: ChatRun, fmt: dict[str, Any]) -> AsyncIterator[list[Event]]:
    stripper = FenceStripper()
    parts: list[str] = []
    tools = False
    # Closed with this generator: a client that leaves cancels the upstream call at once.
    async with contextlib.aclosing(run._events()) as events:
        async for batch in events:
            out: list[Event] = []
            for event in batch:
                if isinstance(event, TextDelta):
                    text = stripper.feed(event.text)
                    if text:
                        parts.append(text)
                        out.append(TextDelta(text))
                    continue
                if isinstance(event, ToolCallStart):
                    tools = True
                elif isinstance(event, Finish):
                    if tail := stripper.end():
                        parts.append(tail)
                        out.append(TextDelta(tail))
                    if event.reason == "stop" and not tools:
                        reason = problem(fmt, "".join(parts))
                        if reason is not None:
                            if out:
                                yield out
                            run.finish = None
                            run.failure = failure(reason)
                            raise run.failure
                out.append(event)
            if out:
                yield out
