"""`manage.py sync_ai_code` against the fake Admin API: full, incremental, interrupted and resumed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from analytics import services
from analytics.fields import CHANGE_FIELDS, COMMIT_FIELDS, to_json_item
from analytics.models import AiChange, AiCodeUser, AiCommit, SyncLease, SyncState
from cursorapi.upstream.fake.admin_api import AdminApi

pytestmark = pytest.mark.django_db


def sync(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("sync_ai_code", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def ours(model: Any) -> dict[str, dict[str, Any]]:
    fields = COMMIT_FIELDS if model is AiCommit else CHANGE_FIELDS
    rows = model.objects.values(*(f.name for f in fields))
    items = [to_json_item(r, fields) for r in rows]
    key = fields[0].json_name
    return {i[key]: i for i in items}


def theirs(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {i[key]: i for i in items}


def assert_same_as_fake(api: AdminApi) -> None:
    assert AiCommit.objects.count() == len(api.commits)
    assert AiChange.objects.count() == len(api.changes)
    assert ours(AiCommit) == theirs(api.commits, "commitHash")
    assert ours(AiChange) == theirs(api.changes, "changeId")


def test_full_sync_copies_everything_exactly(admin_api: AdminApi) -> None:
    out, err = sync("--since", "365d")
    assert_same_as_fake(admin_api)
    assert "commits: 2000 rows (2000 new, 0 updated) in 2 requests" in out
    assert "changes: 3000 rows (3000 new, 0 updated) in 3 requests" in out
    assert "page 2/2" in err and "page 3/3" in err  # the progress bar
    # Every user seen is remembered for filters.
    assert AiCodeUser.objects.count() == 4
    # Privacy mode: file names left out by Cursor stay left out.
    assert any("fileName" not in f for c in AiChange.objects.all()[:500] for f in c.metadata)


def test_a_second_run_fetches_only_the_recent_window_and_duplicates_nothing(admin_api: AdminApi) -> None:
    sync("--since", "365d")
    admin_api.requests.clear()
    added = admin_api.add_commit(message="fresh")
    out, _ = sync("--since", "365d")
    assert "commits: 1 rows (1 new, 0 updated)" in out
    assert "changes: 0 rows (0 new, 0 updated)" in out
    assert len(admin_api.requests) == 2  # one page per endpoint: only what is not covered yet
    assert AiCommit.objects.get(commit_hash=added["commitHash"]).message == "fresh"
    assert_same_as_fake(admin_api)


def test_a_longer_since_backfills_only_the_missing_older_part(admin_api: AdminApi) -> None:
    sync("--since", "30d", "--endpoint", "commits")
    recent = AiCommit.objects.count()
    assert 0 < recent < len(admin_api.commits)
    admin_api.requests.clear()
    sync("--since", "365d", "--endpoint", "commits")
    starts = {params["startDate"] for _, params in admin_api.requests}
    assert len(starts) == 2  # the older part, then the short tail since the first run
    assert AiCommit.objects.count() == len(admin_api.commits)


@pytest.mark.parametrize("how", ["connection dropped", "database write failed"])
def test_an_interrupted_sync_resumes_without_loss_or_duplicates(
    admin_api: AdminApi, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "connection dropped":
        admin_api.drop_after_requests = 3  # pages 1-3 arrive, page 4 is cut off
    else:
        real = services._remember_users
        calls = {"n": 0}

        def flaky(rows: Any, numeric: int | None) -> None:
            calls["n"] += 1
            if calls["n"] == 4:  # inside page 4's transaction, after its rows were written
                raise RuntimeError("disk full")
            real(rows, numeric)

        monkeypatch.setattr(services, "_remember_users", flaky)
    with pytest.raises((CommandError, RuntimeError)):
        sync("--since", "365d", "--page-size", "200", "--endpoint", "commits")
    assert AiCommit.objects.count() == 600  # exactly the three pages that were committed
    state = SyncState.objects.get(endpoint="commits")
    assert state.pending_page == 4 and state.synced_until is None
    first_window = (state.pending_start, state.pending_end)

    admin_api.drop_after_requests = None
    monkeypatch.undo()
    admin_api.requests.clear()
    out, _ = sync("--since", "365d", "--page-size", "200", "--endpoint", "commits")
    pages = [params["page"] for _, params in admin_api.requests]
    assert pages[:7] == ["4", "5", "6", "7", "8", "9", "10"]  # picked up where it stopped
    assert "(1400 new, 0 updated)" in out
    state.refresh_from_db()
    assert (state.synced_from, state.pending_start) == (first_window[0], None)
    assert AiCommit.objects.count() == len(admin_api.commits)
    assert ours(AiCommit) == theirs(admin_api.commits, "commitHash")


def test_csv_mode_copies_the_same_content(admin_api: AdminApi) -> None:
    admin_api.commit_count, admin_api.change_count = 300, 300
    admin_api.add_commit(message='comma, "quotes"\nand a\r\nnew line \u2028 too')
    out, _ = sync("--since", "365d", "--csv")
    assert "commits: 301 rows (301 new, 0 updated) in 1 requests" in out
    assert AiChange.objects.count() == 300

    def normalized(items: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        # CSV has no null: an empty message reads back as null.
        return {
            k: {**v, "message": v.get("message") or None} if "message" in v else v for k, v in items.items()
        }

    assert normalized(ours(AiCommit)) == normalized(theirs(admin_api.commits, "commitHash"))
    assert ours(AiChange) == theirs(admin_api.changes, "changeId")
    assert [p for p, _ in admin_api.requests] == [
        "/analytics/ai-code/commits.csv",
        "/analytics/ai-code/changes.csv",
    ]


def test_sync_of_one_user(admin_api: AdminApi) -> None:
    chen = admin_api.user(2)
    sync("--since", "365d", "--user", chen["userEmail"])
    emails = set(AiCommit.objects.values_list("user_email", flat=True)) | set(
        AiChange.objects.values_list("user_email", flat=True)
    )
    assert emails == {chen["userEmail"]}
    assert AiCommit.objects.count() == sum(c["userEmail"] == chen["userEmail"] for c in admin_api.commits)
    assert SyncState.objects.filter(user=chen["userEmail"]).count() == 2
    assert all(params["user"] == chen["userEmail"] for _, params in admin_api.requests)


def test_sync_by_numeric_id_teaches_us_the_number(admin_api: AdminApi, api: Any) -> None:
    brian = admin_api.user(1)
    sync("--since", "365d", "--user", str(brian["numericId"]), "--endpoint", "commits")
    assert AiCodeUser.objects.get(user_id=brian["userId"]).numeric_id == brian["numericId"]
    body = api.get(
        "/analytics/ai-code/commits", {"user": str(brian["numericId"]), "startDate": "365d"}
    ).json()
    assert body["totalCount"] == AiCommit.objects.count() > 0


def test_a_wrong_key_fails_clearly_without_showing_it(admin_api: AdminApi, settings: Any) -> None:
    settings.CURSOR_ADMIN_API_KEY = "sk-secret-wrong-key"
    with pytest.raises(CommandError) as info:
        sync("--since", "365d")
    assert "rejected the Admin API key (401)" in str(info.value)
    assert "sk-secret" not in str(info.value)
    assert "sk-secret" not in SyncState.objects.get(endpoint="commits").last_error
    assert AiCommit.objects.count() == 0


def test_no_key_configured(admin_api: AdminApi, settings: Any) -> None:
    settings.CURSOR_ADMIN_API_KEY = ""
    with pytest.raises(CommandError, match="CURSOR_ADMIN_API_KEY"):
        sync()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "lately"], "--since"),
        (["--user", "nobody"], "user"),
        (["--page-size", "0"], "--page-size"),
        (["--page-size", "1001"], "--page-size"),
        (["--every", "-1"], "--every"),
    ],
)
def test_bad_options(admin_api: AdminApi, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        sync(*args)


def test_one_sync_at_a_time(admin_api: AdminApi) -> None:
    from django.utils import timezone

    SyncLease.objects.create(
        name=services.LEASE_NAME,
        holder="other-host:1",
        expires_at=timezone.now() + timezone.timedelta(minutes=5),
    )
    with pytest.raises(CommandError, match="another sync is running"):
        sync("--since", "365d")
    assert admin_api.requests == []
    # An expired lease (its holder died) does not block.
    SyncLease.objects.update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    sync("--since", "365d", "--endpoint", "commits")
    assert AiCommit.objects.count() == len(admin_api.commits)
    assert SyncLease.objects.get().holder == ""  # released


def test_cursor_upstream_is_followed_with_the_real_host(admin_api: AdminApi, fake: Any) -> None:
    sync("--since", "1d", "--endpoint", "changes")
    seen = fake.requests_to("/analytics/ai-code/changes")
    assert seen and seen[-1].host == "api.cursor.com"
    assert seen[-1].headers["authorization"].startswith("Basic ")
