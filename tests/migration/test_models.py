"""Model ids as the original had them: its built-in table, Cursor's list merged in, the shared store."""

from __future__ import annotations

import io

import httpx
import pytest
from django.core.management import call_command

from cursorapi.chat import catalog as catalogs
from cursorapi.chat.builtin_models import BUILTIN_MODELS, R3_ONLY_IDS, R4_IDS
from cursorapi.chat.types import Model
from tests.api.helpers import chat_request, post, user


def _ids(url: str, **headers: str) -> list[str]:
    return [m["id"] for m in httpx.get(f"{url}/v1/models", headers=headers).json()["data"]]


def test_the_originals_tables_are_the_starting_list() -> None:
    assert len(R4_IDS) == 57 and len(set(R4_IDS)) == 57
    ids = {m.id for m in BUILTIN_MODELS}
    assert set(R4_IDS) <= ids and set(R3_ONLY_IDS) <= ids
    by_id = {m.id: m for m in BUILTIN_MODELS}
    assert by_id["grok-4"].server_id == "grok-4-0709"
    assert by_id["kimi-k2-instruct"].server_id == "accounts/fireworks/models/kimi-k2-instruct"
    assert by_id["claude-4-opus"].server_id == "claude-4.1-opus" and not by_id["claude-4-opus"].non_max
    assert by_id["gemini-2.5-pro-preview-05-06"].client_id == "Gemini 2.5 Pro"


def test_names_missing_before_answer_without_a_refresh(live, pool_token, fake) -> None:
    for name, server in [("o3", "o3"), ("grok-4", "grok-4-0709"), ("cursor-small", "cursor-small")]:
        reply = post(live.url, "/v1/chat/completions", {"model": name, "messages": user("hi")})
        assert reply.status_code == 200, reply.text
        assert chat_request(fake).model_details.model_name == server
        fake.received.clear()
    assert "kimi-k2-instruct" in _ids(live.url)


def _model(id: str) -> Model:
    return Model(id, id, id, "unknown")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("truncate", ["b", "c"]),
        ("append:truncate", ["a", "b", "c"]),
        ("append", ["a", "b", "c"]),
    ],
)
def test_fetch_modes_merge_as_the_original(mode: str, expected: list[str]) -> None:
    ours = [_model("a"), Model("b", "old", "b", "unknown")]
    cursor = [Model("b", "new", "b", "unknown"), _model("c")]
    merged = catalogs.merge(ours, cursor, mode)
    assert [m.id for m in merged] == expected
    b = next(m for m in merged if m.id == "b")
    assert b.display_name == ("old" if mode == "append" else "new")  # append keeps what we had


def test_refresh_stores_one_list_for_every_worker_and_serves_raw_models(live, pool_token, fake) -> None:
    assert httpx.get(f"{live.url}/raw/models").status_code == 404
    call_command("refresh_models", stdout=io.StringIO())
    raw = httpx.get(f"{live.url}/raw/models").json()
    assert any(m["name"] == "composer-2" for m in raw["raw"]["models"]) and raw["dur"] >= 0
    # Another worker (here: a fresh catalog) picks the stored list up from the database.
    other = catalogs.Catalog()
    from runtime import model_store

    model_store.sync(other)
    assert other.get("composer-2") is not None and other.get("o3") is None  # truncate: Cursor's list


def test_append_keeps_the_builtin_names(live, pool_token, fake, settings) -> None:
    settings.FETCH_RAW_MODELS = "append"
    call_command("refresh_models", stdout=io.StringIO())
    ids = _ids(live.url)
    assert "composer-2" in ids and "o3" in ids and ids.count("gpt-5.1") == 1


def test_bypass_model_validation(live, pool_token, fake, settings) -> None:
    body = {"model": "some-new-model-7", "messages": user("hi")}
    assert post(live.url, "/v1/chat/completions", body).status_code == 404
    settings.BYPASS_MODEL_VALIDATION = True
    assert post(live.url, "/v1/chat/completions", body).status_code == 200
    assert chat_request(fake).model_details.model_name == "some-new-model-7"


def test_model_id_source_server_id(live, pool_token, fake, settings) -> None:
    settings.MODEL_ID_SOURCE = "server_id"
    ids = _ids(live.url)
    assert "grok-4-0709" in ids and "grok-4" not in ids
    for name in ("grok-4-0709", "grok-4"):  # both spellings are accepted
        reply = post(live.url, "/v1/chat/completions", {"model": name, "messages": user("x")})
        assert reply.status_code == 200
    settings.MODEL_ID_SOURCE = "both"
    ids = _ids(live.url)
    assert "grok-4-0709" in ids and "grok-4" in ids


def test_the_stored_list_is_shown_read_only_in_the_admin(admin_client, live, pool_token, fake) -> None:
    call_command("refresh_models", stdout=io.StringIO())
    page = admin_client.get("/admin/runtime/modellist/")
    assert page.status_code == 200 and "models" in page.content.decode()
    assert admin_client.get("/admin/runtime/modellist/add/").status_code == 403
