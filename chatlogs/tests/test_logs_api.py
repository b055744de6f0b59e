"""/logs/get with every filter, per-key visibility, /logs/tokens/get and /logs, over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from chatlogs.models import ChatLog
from cursorapi.auth import key_hash
from tests.fixtures import add_token
from tokens.models import ApiKey

# The views read through their own pool threads: data must be committed for them to see it.
pytestmark = pytest.mark.django_db(transaction=True)
ADMIN = "logs-admin"


@pytest.fixture
def api(settings) -> Client:
    settings.AUTH_TOKEN = ADMIN
    return Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}")


@pytest.fixture
def records() -> dict[str, ChatLog]:
    token = add_token("alpha")
    token.email, token.membership_type = "alice@example.com", "pro"
    token.save()
    key = ApiKey.objects.create(name="bob", prefix="sk-bob", key_hash=key_hash("sk-bob-key"))
    now = timezone.now()

    def log(name: str, **fields) -> ChatLog:
        base = dict(
            created_at=now, request_id=name, dialect="openai", model="claude-4.5-sonnet", status="success"
        )
        return ChatLog.objects.create(**{**base, **fields})

    return {
        "old": log("old", created_at=now - timedelta(days=3), token=token, token_alias="alpha", total_ms=500),
        "usage": log(
            "usage",
            token=token,
            token_alias="alpha",
            prompt_tokens=100,
            completion_tokens=20,
            ttft_ms=40,
            total_ms=1500,
            stream=True,
        ),
        "failed": log(
            "failed", status="failure", error="Cursor: Rate limited", model="gpt-5.1", total_ms=3000
        ),
        "pending": log("pending", status="pending", model="gemini-3-pro-preview", api_key=key),
    }


def get(api: Client, query: dict | None = None, **body) -> dict:
    response = api.post("/logs/get", {"query": query or {}, **body}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def ids(data: dict) -> list[str]:
    return [log["request_id"] for log in data["logs"]]


def test_all_records_oldest_first_with_counts(api: Client, records) -> None:
    data = get(api)
    assert data["status"] == "success" and data["total"] == 4
    assert ids(data) == ["old", "usage", "failed", "pending"]
    assert (data["active"], data["error"]) == (1, 1)
    usage = data["logs"][1]
    assert usage["token_info"]["alias"] == "alpha" and usage["token_info"]["email"] == "alice@example.com"
    assert usage["chain"] == {"usage": {"input": 100, "output": 20}}
    assert usage["timing"] == {"total": 1.5, "first_token": 0.04}
    assert records["usage"].token.primary_token not in str(data)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failure"}, ["failed"]),
        ({"status": "bogus"}, []),
        ({"model": "gpt"}, ["failed"]),
        ({"include_models": ["gpt-5.1", "gemini-3-pro-preview"]}, ["failed", "pending"]),
        ({"exclude_models": ["claude-4.5-sonnet"]}, ["failed", "pending"]),
        ({"stream": True}, ["usage"]),
        ({"has_usage": True}, ["usage"]),
        ({"has_usage": False}, ["old", "failed", "pending"]),
        ({"has_chain": True}, ["usage"]),
        ({"has_error": True}, ["failed"]),
        ({"error": "Rate"}, ["failed"]),
        ({"email": "alice@"}, ["old", "usage"]),
        ({"membership_type": "pro"}, ["old", "usage"]),
        ({"membership_type": "wizard"}, []),
        ({"min_total_time": 1, "max_total_time": 2}, ["usage"]),
        ({"min_tokens": 100}, ["usage"]),
        ({"max_tokens": 50}, []),
    ],
)
def test_each_filter(api: Client, records, query, expected) -> None:
    data = get(api, query)
    assert ids(data) == expected and data["total"] == len(expected)


def test_dates_user_id_and_paging(api: Client, records) -> None:
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(get(api, {"from_date": since})) == ["usage", "failed", "pending"]
    assert ids(get(api, {"to_date": since})) == ["old"]
    assert ids(get(api, {"user_id": records["usage"].token.user_id})) == ["old", "usage"]
    data = get(api, {"reverse": True, "offset": 1, "limit": 2})
    assert ids(data) == ["failed", "usage"] and data["total"] == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from_date": "yesterday"}, "from_date"),
        ({"to_date": "2024-03-20T15:30:00"}, "to_date"),
        ({"user_id": "bob"}, "user_id"),
        ({"stream": "yes"}, "stream"),
        ({"min_tokens": "many"}, "min_tokens"),
        ({"include_models": "gpt"}, "include_models"),
        ({"limit": -1}, "limit"),
    ],
)
def test_bad_filters_are_400s_naming_the_field(api: Client, records, query, field) -> None:
    response = api.post("/logs/get", {"query": query}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == f"invalid_{field}" and field in response.json()["message"]


def test_a_named_key_sees_only_its_records(records, settings) -> None:
    settings.AUTH_TOKEN = ADMIN
    bob = Client(HTTP_AUTHORIZATION="Bearer sk-bob-key")
    data = bob.post("/logs/get", {}, content_type="application/json").json()
    assert ids(data) == ["pending"] and "active" not in data
    assert Client().post("/logs/get", {}, content_type="application/json").status_code == 401
    wrong = Client(HTTP_AUTHORIZATION="Bearer nope").post("/logs/get", {}, content_type="application/json")
    assert wrong.status_code == 401
    bad_json = Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}").post(
        "/logs/get", "{", content_type="application/json"
    )
    assert bad_json.status_code == 400


def test_a_named_key_sees_no_pool_identity(records, settings) -> None:
    settings.AUTH_TOKEN = ADMIN
    records["usage"].api_key = ApiKey.objects.get(name="bob")
    records["usage"].save()
    bob = Client(HTTP_AUTHORIZATION="Bearer sk-bob-key")
    data = bob.post("/logs/get", {}, content_type="application/json").json()
    assert sorted(ids(data)) == ["pending", "usage"]
    text = str(data)
    for leak in (
        "alpha",
        "alice@example.com",
        "'pro'",
        records["usage"].token.user_id,
        records["usage"].token.masked_token,
    ):
        assert leak not in text
    assert all(log["token_info"] is None for log in data["logs"])
    # Nor can the key probe the pool through identity filters.
    for query in (
        {"email": "alice"},
        {"user_id": records["usage"].token.user_id},
        {"membership_type": "pro"},
    ):
        refused = bob.post("/logs/get", {"query": query}, content_type="application/json")
        assert refused.status_code == 400 and refused.json()["error"] == f"invalid_{next(iter(query))}"


def test_logs_tokens_get_is_for_the_admin(api: Client, records) -> None:
    data = api.post("/logs/tokens/get", ["alpha", "missing"], content_type="application/json").json()
    assert data["tokens"]["missing"] is None
    assert data["tokens"]["alpha"]["primary_token"] == records["usage"].token.primary_token
    bob = Client(HTTP_AUTHORIZATION="Bearer sk-bob-key")
    assert bob.post("/logs/tokens/get", ["alpha"], content_type="application/json").status_code == 401
    assert api.post("/logs/tokens/get", {"no": 1}, content_type="application/json").status_code == 400


def test_logs_page_leads_to_the_admin(api: Client) -> None:
    response = api.get("/logs")
    assert response.status_code == 302 and response["Location"] == "/admin/chatlogs/chatlog/"


@pytest.mark.parametrize("few", [True, False])
def test_both_paging_plans_give_the_same_pages(api: Client, records, monkeypatch, few: bool) -> None:
    from chatlogs import query as logquery

    # A filter matching few rows is paged through its own index (id + 0 sorts), a broad one by the id index.
    monkeypatch.setattr(logquery, "FEW_MATCHES", 10_000 if few else 0)
    sql = str(logquery.page({"reverse": True}, ChatLog.objects.all(), matching=4).query)
    assert ("+ 0" in sql) is few
    assert ids(get(api, {"reverse": True, "offset": 1, "limit": 2})) == ["failed", "usage"]
    assert ids(get(api, {"offset": 1, "limit": 2})) == ["usage", "failed"]
    assert ids(get(api, {"stream": False, "reverse": True})) == ["pending", "failed", "old"]
