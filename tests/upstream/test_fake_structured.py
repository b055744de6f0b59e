"""The fake's answers to a JSON schema are valid against it; the core's fence stripping, chunk by chunk."""

from __future__ import annotations

import itertools
import json
from enum import Enum
from typing import Literal

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from cursorapi.chat.structured import FenceStripper, strip_fence
from cursorapi.upstream.fake import structured as fake_structured


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str = Field(min_length=12)
    zip_code: str | None = None


class Person(BaseModel):
    name: str
    age: int = Field(ge=18, le=30)
    score: float = Field(gt=2)
    colour: Colour
    kind: Literal["a", "b"]
    addresses: list[Address] = Field(min_length=2)
    boss: Person | None = None
    email: str = Field(json_schema_extra={"format": "email"})


SCHEMAS = [
    Person.model_json_schema(),
    {
        "type": "object",
        "properties": {"when": {"type": "string", "format": "date-time"}},
        "required": ["when"],
    },
    {"type": "array", "items": {"type": "integer", "exclusiveMinimum": 5}, "minItems": 3, "maxItems": 3},
    {
        "allOf": [{"$ref": "#/$defs/base"}, {"required": ["b"], "properties": {"b": {"type": "boolean"}}}],
        "$defs": {"base": {"type": "object", "properties": {"a": {"const": 7}}, "required": ["a"]}},
    },
    {"type": ["null", "string"], "maxLength": 3},
    {"anyOf": [{"type": "null"}, {"type": "number", "maximum": -4}]},
    {
        "type": "object",
        "properties": {"pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}},
    },
    {},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_fakes_example_is_valid_against_the_schema(schema) -> None:
    value = fake_structured.example(schema, schema, "Fake Cursor reply to: hi")
    jsonschema.validate(value, schema)
    assert json.loads(json.dumps(value)) == value


def test_a_recursive_schema_ends() -> None:
    schema = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
            }
        },
        "$ref": "#/$defs/node",
    }
    jsonschema.validate(fake_structured.example(schema, schema, "x"), schema)


@pytest.mark.parametrize(
    ("reply", "json_text"),
    [
        ('{"a": 1}', '{"a": 1}'),
        ('```json\n{"a": 1}\n```', '{"a": 1}'),
        ('  ```\n{"a": 1}\n```  \n', '{"a": 1}'),
        ('Here it is:\n```json\n{"a": 1}\n```\nDone.', '{"a": 1}'),
        ('{"code": "```x```"}', '{"code": "```x```"}'),
    ],
)
def test_strip_fence(reply: str, json_text: str) -> None:
    assert strip_fence(reply) == json_text


@settings(max_examples=40, deadline=None)
@given(
    body=st.sampled_from(['{"a": "b `c`"}', "[1, 2]", '{\n  "x": "```"\n}']),
    fenced=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=8),
)
def test_streamed_fence_stripping_matches_whole_reply_stripping(body: str, fenced: bool, cuts) -> None:
    reply = f"```json\n{body}\n```\n" if fenced else body
    stripper = FenceStripper()
    points = sorted({c for c in cuts if c < len(reply)} | {0, len(reply)})
    out = "".join(stripper.feed(reply[a:b]) for a, b in itertools.pairwise(points)) + stripper.end()
    assert out.strip() == body
