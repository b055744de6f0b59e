"""An editor (by x-client-key) stays on one pool token while it is usable; its files live there."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cpp.models import Affinity
from cpp.services import key_hash
from cpp.tests.helpers import CLIENT_KEY, OTHER_KEY, call, sha, stream_request, text_of
from tests.fixtures import add_token
from tokens.models import Token


def _bearers(fake, path: str = "CppService/AvailableModels") -> list[str]:
    return [r.headers["authorization"] for r in fake.requests_to(path)]


def _token_of(bearer: str) -> Token:
    return next(t for t in Token.objects.all() if f"Bearer {t.primary_token}" == bearer)


def test_one_editor_one_token_others_spread(live, fake) -> None:
    for alias in ("t1", "t2", "t3"):
        add_token(alias)
    for _ in range(4):
        assert call(live, "/cpp/models").status_code == 200
    assert len(set(_bearers(fake))) == 1
    (row,) = Affinity.objects.all()
    assert row.key_hash == key_hash(CLIENT_KEY) and CLIENT_KEY not in row.key_hash
    # The same editor in upper case is the same editor.
    call(live, "/cpp/models", key=CLIENT_KEY.upper())
    assert len(set(_bearers(fake))) == 1
    # Another editor gets the pool's next token.
    call(live, "/cpp/models", key=OTHER_KEY)
    assert len(set(_bearers(fake))) == 2 and Affinity.objects.count() == 2


def test_the_whole_flow_works_with_a_busy_pool(live, fake) -> None:
    for alias in ("t1", "t2", "t3"):
        add_token(alias)
    contents = "x = 1\n"
    body = {"relative_workspace_path": "a.py", "contents": contents, "sha256_hash": sha(contents)}
    assert call(live, "/file/upload", body).json() == {"error": "unspecified"}
    call(live, "/cpp/models", key=OTHER_KEY)  # other editors move the pool's rotation along
    sync = {"relative_workspace_path": "a.py", "model_version": 1, "sha256_hash": sha(contents)}
    assert call(live, "/file/sync", sync).json() == {"error": "unspecified"}
    streamed = call(live, "/cpp/stream", stream_request(path="a.py", line=0))
    assert text_of(streamed) == "x = 1  # completed line 1"


def test_an_unusable_token_hands_the_editor_to_another(live, fake) -> None:
    for alias in ("t1", "t2"):
        add_token(alias)
    call(live, "/cpp/models")
    first = _token_of(_bearers(fake)[0])
    first.enabled = False
    first.save()
    fake.clear()
    call(live, "/cpp/models")
    (moved,) = _bearers(fake)
    assert moved != f"Bearer {first.primary_token}"
    assert Affinity.objects.get().token_id == _token_of(moved).pk


def test_a_refused_token_is_replaced_within_the_call(live, fake) -> None:
    for alias in ("t1", "t2"):
        add_token(alias)
    call(live, "/cpp/models")
    bound = _token_of(_bearers(fake)[0])
    fake.clear()
    fake.revoke(bound.primary_token)
    response = call(live, "/cpp/stream", stream_request(contents="x = 1\n", line=0))
    assert response.status_code == 200
    first, second = _bearers(fake, "StreamCpp")
    assert first == f"Bearer {bound.primary_token}" and second != first
    bound.refresh_from_db()
    assert bound.health == "invalid"
    assert Affinity.objects.get().token_id == _token_of(second).pk


def test_a_forgotten_mapping_is_chosen_again_and_old_ones_are_pruned(live, fake, settings) -> None:
    add_token("t1")
    add_token("t2")
    call(live, "/cpp/models")
    old = timezone.now() - timedelta(days=30)
    Affinity.objects.update(last_used_at=old)
    settings.CPP_AFFINITY_TTL = 24 * 3600
    call(live, "/cpp/models")  # too old: picked afresh (the row is reused)
    assert Affinity.objects.get().last_used_at > old
    Affinity.objects.update(last_used_at=old)
    call(live, "/cpp/models", key=OTHER_KEY)  # a new editor clears out the stale ones
    assert list(Affinity.objects.values_list("key_hash", flat=True)) == [key_hash(OTHER_KEY)]


def test_use_refreshes_the_mapping_at_most_once_a_minute(live, fake) -> None:
    add_token("t1")
    call(live, "/cpp/models")
    recent = timezone.now() - timedelta(seconds=10)
    Affinity.objects.update(last_used_at=recent)
    call(live, "/cpp/models")
    assert Affinity.objects.get().last_used_at == recent
    stale = timezone.now() - timedelta(minutes=5)
    Affinity.objects.update(last_used_at=stale)
    call(live, "/cpp/models")
    assert Affinity.objects.get().last_used_at > stale


def test_pinned_callers_skip_the_mapping(live, fake) -> None:
    from tests.fixtures import AUTH

    add_token("t1")
    pinned = add_token("pinned")
    call(live, "/cpp/models", auth=f"{AUTH}-pinned")
    assert _bearers(fake) == [f"Bearer {pinned.primary_token}"]
    assert not Affinity.objects.exists()
