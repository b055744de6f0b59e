"""Property-based: generated bodies on every chat and management route never get a 500, and every
error is JSON in its route's shape. Bounded examples, so the run stays a few seconds."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures import AUTH

from .routes import CHAT_ROUTES, ROUTES, Route, analytics_shape, openai_shape, original_shape

MODEL = "claude-4.5-sonnet"
EXAMPLES = 80

# Text as clients send it, with now and then what breaks naive code: lone surrogates, NULs, #fake lines.
_odd_text = st.sampled_from(["\ud800", "a\udfffb", "\x00", "#fake: reply=x", "#fake: nonsense", "é" * 3])
texts = st.text(max_size=20) | _odd_text
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
# Mostly well-formed chats, so that the odd values reach the code past validation; a strategy
# listed several times in one_of is drawn that much more often.
blocks = st.lists(
    st.fixed_dictionaries({"type": st.sampled_from(["text", "image", "x"]), "text": texts}), max_size=2
)
content = st.one_of(texts, texts, texts, blocks, json_values)
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user"] * 4 + ["assistant", "system", "tool", "developer", "x"]),
            "content": content,
        }
    ),
    min_size=1,
    max_size=3,
)
chat_bodies = st.fixed_dictionaries(
    {
        "model": st.sampled_from([MODEL] * 6 + ["", "no-such-model", 1, None, [], {}]),
        "messages": st.one_of(messages, messages, messages, json_values),
    },
    optional={
        "stream": st.booleans() | json_values,
        "max_tokens": st.integers(-5, 50) | json_values,
        "system": texts | json_values,
        "tools": json_values,
        "tool_choice": json_values,
        "temperature": scalars,
        "stop": json_values,
        "thinking": json_values,
        "response_format": json_values,
        "stream_options": json_values,
    },
)
# Bodies in the management routes' own words, and anything else.
management_bodies = (
    json_values
    | st.fixed_dictionaries(
        {},
        optional={
            k: json_values
            for k in ("tokens", "proxies", "query", "name", "alias", "enabled", "aliases", "token", "model")
        },
    )
    | st.lists(st.lists(json_values, max_size=3), max_size=3)
)


def _encoded(body: Any) -> bytes:
    return json.dumps(body).encode()  # ASCII: lone surrogates travel as \u escapes, as in the wild


raw = st.binary(max_size=40)


def _check(route: Route, response: httpx.Response) -> None:
    assert response.status_code != 500, (route.path, response.text[:500])
    if response.status_code >= 400:
        assert response.headers.get("content-type", "").startswith("application/json"), (
            route.path,
            response.text[:300],
        )
        assert route.shape(response.json()), (route.path, response.text[:300])


_client = httpx.Client(timeout=30)  # one keep-alive connection for every example


def _send(live, route: Route, content: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {AUTH}", "Content-Type": "application/json", **dict(route.headers)}
    return _client.request(route.method, f"{live.url}{route.path}", content=content, headers=headers)


_quick = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_quick
@given(
    route=st.sampled_from(CHAT_ROUTES),
    body=st.one_of(*[chat_bodies.map(_encoded)] * 4, json_values.map(_encoded), raw),
)
def test_chat_routes_answer_generated_bodies_without_a_500(
    live, pool_token, route: Route, body: bytes
) -> None:
    _check(route, _send(live, route, body))


@_quick
@given(
    route=st.sampled_from([r for r in ROUTES if r not in CHAT_ROUTES]),
    body=management_bodies.map(_encoded) | raw,
)
def test_management_routes_answer_generated_bodies_without_a_500(
    live, pool_token, route: Route, body: bytes
) -> None:
    _check(route, _send(live, route, body))


QUERY_ROUTES = [
    Route("GET", "/analytics/ai-code/commits", analytics_shape),
    Route("GET", "/analytics/ai-code/changes.csv", analytics_shape),
    Route("GET", "/v1/sessions", openai_shape),
    Route("GET", "/gen-checksum", original_shape),
    Route("GET", "/gen-hash", original_shape),
]
_params = st.dictionaries(
    st.sampled_from(
        ["startDate", "endDate", "page", "pageSize", "user", "repo", "branch", "source", "model", "x"]
    ),
    texts.filter(lambda t: "\x00" not in t and not any(0xD800 <= ord(c) <= 0xDFFF for c in t))
    | st.integers(-(10**20), 10**20).map(str),
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(QUERY_ROUTES), params=_params)
def test_get_routes_answer_generated_queries_without_a_500(
    live, route: Route, params: dict[str, str]
) -> None:
    response = _client.get(
        f"{live.url}{route.path}", params=params, headers={"Authorization": f"Bearer {AUTH}"}
    )
    _check(route, response)
