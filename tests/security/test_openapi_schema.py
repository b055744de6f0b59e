"""The management API's OpenAPI schema (/api/schema/), its browsable pages, and schemathesis run
against it on a live server over the fake: no 500, responses as documented, errors in the
original's shape. Bounded examples per operation."""

from __future__ import annotations

import re

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures import AUTH

from .routes import original_shape

EXAMPLES = 6  # per operation


def test_the_schema_is_served_and_names_the_management_routes(live) -> None:
    response = httpx.get(f"{live.url}/api/schema/", params={"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {"/tokens/get", "/tokens/add", "/proxies/set", "/build-key", "/token-profile/get"} <= paths
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"status", "code", "error", "message"}


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_browsable_pages_load_their_assets_from_this_server(live, page: str) -> None:
    response = httpx.get(f"{live.url}{page}")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', response.text)
    assert assets, response.text[:500]
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by this server"
        assert httpx.get(f"{live.url}{asset}").status_code == 200, asset


def _check(case, response) -> None:
    assert response.status_code != 500, (case.path, response.text[:500])
    case.validate_response(
        response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance]
    )
    if response.status_code >= 400:
        assert original_shape(response.json()), (case.path, response.text[:300])


def test_the_management_api_keeps_to_its_schema(live, pool_token, settings) -> None:
    settings.DEEP_LOGIN_POLL_INTERVAL = 0  # /tokens/refresh polls the fake: no waiting between polls
    schema = schemathesis.openapi.from_url(f"{live.url}/api/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    session = requests.Session()  # one keep-alive connection for every case
    headers = {"Authorization": f"Bearer {AUTH}"}
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case) -> None:
            response = case.call(base_url=live.url, session=session, headers=headers, timeout=30)
            statuses.append(response.status_code)
            _check(case, response)

        run()
    assert len(statuses) >= 2 * len(operations)  # every operation was called, most more than once
    assert any(s == 200 for s in statuses) and any(400 <= s < 500 for s in statuses)
