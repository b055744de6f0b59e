"""Every dialect's structured-output field goes through one check: a schema that is no JSON Schema
is a 400 naming the field, in the dialect's shape."""

from __future__ import annotations

import pytest

from tests.api.helpers import post, user

BAD_SCHEMA = {"type": "object", "properties": {"a": {"type": 12}}}
CASES = {
    "/v1/chat/completions": (
        {
            "messages": user("hi"),
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": BAD_SCHEMA}},
        },
        "response_format.json_schema.schema",
    ),
    "/v1/responses": (
        {"input": "hi", "text": {"format": {"type": "json_schema", "name": "x", "schema": BAD_SCHEMA}}},
        "text.format.schema",
    ),
    "/v1/messages": (
        {
            "messages": user("hi"),
            "max_tokens": 5,
            "output_config": {"format": {"type": "json_schema", "schema": BAD_SCHEMA}},
        },
        "output_config.format.schema",
    ),
}


@pytest.mark.parametrize("route", list(CASES))
def test_a_schema_that_is_no_json_schema_is_a_400(live, pool_token, fake, route) -> None:
    body, param = CASES[route]
    response = post(live.url, route, {"model": "claude-4.5-sonnet", **body})
    assert response.status_code == 400, response.text[:300]
    assert param in response.text and "not a valid JSON Schema" in response.text
    assert fake.received == []  # refused before anything went upstream
