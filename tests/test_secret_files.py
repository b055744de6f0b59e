"""Secret files are created 0600 in one step, the SQLite database is private, and a token key kept
beside the database is warned about at start."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
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


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY")
    }
    return {**env, "DATA_DIR": str(data_dir), **extra}


def test_the_sqlite_database_and_secret_key_file_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=_env(tmp_path), check=True
        )
    finally:
        os.umask(old)
    assert _mode(tmp_path / "db.sqlite3") == 0o600
    assert _mode(tmp_path / "secret_key") == 0o600


def test_a_token_key_beside_the_database_is_warned_about(tmp_path: Path) -> None:
    check = [sys.executable, "manage.py", "check", "--tag", "security"]
    beside = subprocess.run(check, cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True)
    assert "cursorapi.W001" in beside.stderr and "stored beside the database" in beside.stderr
    elsewhere = tmp_path.parent / f"{tmp_path.name}-keys"
    elsewhere.mkdir()
    (elsewhere / "token_key").write_text("a-key-kept-elsewhere")
    kept_away = subprocess.run(
        check,
        cwd=ROOT,
        env=_env(tmp_path, TOKEN_ENCRYPTION_KEY_FILE=str(elsewhere / "token_key")),
        capture_output=True,
        text=True,
    )
    assert "cursorapi.W001" not in kept_away.stderr + kept_away.stdout
    in_env = subprocess.run(
        check, cwd=ROOT, env=_env(tmp_path, TOKEN_ENCRYPTION_KEY="k"), capture_output=True, text=True
    )
    assert "cursorapi.W001" not in in_env.stderr + in_env.stdout
