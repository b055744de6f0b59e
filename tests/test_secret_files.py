"""Secret files are created 0600 in one step, the SQLite database is private, a token key kept
beside the database is warned about at start, and HTTPS=true secures the admin's cookies."""

from __future__ import annotations

import os
import runpy
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cursorapi import secret_files

ROOT = Path(__file__).resolve().parents[1]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_secret_file_is_created_private_and_shared_by_racing_creators(tmp_path: Path) -> None:
    old = os.umask(0)  # the most permissive umask: the file must be 0600 regardless
    try:
        path = tmp_path / "deep" / "secret_key"
        made = iter(range(100))
        with ThreadPoolExecutor(8) as pool:
            values = set(
                pool.map(lambda _: secret_files.read_or_create(path, lambda: f"key-{next(made)}"), range(8))
            )
    finally:
        os.umask(old)
    assert len(values) == 1 and path.read_text() == values.pop()
    assert _mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary left behind


def _settings(monkeypatch, data_dir: Path, **env: str) -> dict:
    """settings.py as it reads with this environment (run apart from the live settings)."""
    for name in ("DATABASE_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "TOKEN_ENCRYPTION_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "cursorapi" / "settings.py"))


def test_the_sqlite_database_is_private(tmp_path: Path, django_db_blocker) -> None:
    from django.db.backends.sqlite3.base import DatabaseWrapper
    from django.db.utils import ConnectionHandler

    old = os.umask(0o022)
    try:
        settings = ConnectionHandler(
            {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}}
        )
        wrapper: DatabaseWrapper = settings["default"]
        with django_db_blocker.unblock():
            wrapper.ensure_connection()
            with wrapper.cursor() as cursor:
                cursor.execute("CREATE TABLE t (x int)")
            wrapper.close()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "db.sqlite3") == 0o600


def _warning(values: dict) -> str | None:
    database = values["DATABASES"]["default"]
    return secret_files.key_beside_database(
        values["TOKEN_KEY_STORED_AT"], database["ENGINE"], str(database["NAME"])
    )


def test_a_token_key_beside_the_database_is_warned_about(tmp_path: Path, monkeypatch) -> None:
    beside = _settings(monkeypatch, tmp_path)
    assert "stored beside the database" in (_warning(beside) or "")
    assert _mode(tmp_path / "secret_key") == 0o600
    elsewhere = tmp_path.parent / f"{tmp_path.name}-keys"
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "token_key").write_text("a-key-kept-elsewhere")
    kept_away = _settings(monkeypatch, tmp_path, TOKEN_ENCRYPTION_KEY_FILE=str(elsewhere / "token_key"))
    assert kept_away["TOKEN_ENCRYPTION_KEYS"] == ["a-key-kept-elsewhere"] and _warning(kept_away) is None
    assert _warning(_settings(monkeypatch, tmp_path, TOKEN_ENCRYPTION_KEY="k")) is None
    assert _warning(_settings(monkeypatch, tmp_path, DATABASE_URL="postgres://u@h/db")) is None


def test_the_warning_is_a_system_check(monkeypatch) -> None:
    from django.core import checks

    from cursorapi import apps

    monkeypatch.setattr(apps, "key_beside_database_warning", lambda: "key beside the database")
    messages = checks.run_checks(tags=[checks.Tags.security])
    assert [m.msg for m in messages if m.id == "cursorapi.W001"] == ["key beside the database"]


def test_https_makes_admin_cookies_secure_and_sends_hsts(tmp_path: Path, monkeypatch) -> None:
    on = _settings(monkeypatch, tmp_path, HTTPS="true", HSTS_SECONDS="600")
    assert (on["SESSION_COOKIE_SECURE"], on["CSRF_COOKIE_SECURE"], on["SECURE_HSTS_SECONDS"]) == (
        True,
        True,
        600,
    )
    off = _settings(monkeypatch, tmp_path, HTTPS="false")
    assert (off["SESSION_COOKIE_SECURE"], off["CSRF_COOKIE_SECURE"], off["SECURE_HSTS_SECONDS"]) == (
        False,
        False,
        0,
    )
