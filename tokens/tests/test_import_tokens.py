from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cursorapi.upstream import jwt
from tokens.models import Token

pytestmark = pytest.mark.django_db


def run(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_tokens", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_legacy_file_keeps_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    good, other = jwt.mint(), jwt.mint()
    checksum = "a" * 64 + "/" + "b" * 64
    user_id = jwt.parse(other).user_id
    path = tmp_path / ".tokens"
    path.write_text(
        f"# my pool\n{good}\n\nnot-a-token\n{user_id}%3A%3A{other},{checksum}\n{jwt.mint(provider='evil')}\n"
    )
    out, err = run(path)
    assert "added 2, updated 0, skipped 0, bad 2" in out
    assert "line 4: token must be a JWT" in err
    assert "line 6: token provider 'evil' is not allowed" in err
    assert good not in out + err and other not in out + err

    imported = Token.objects.get(user_id=user_id)
    assert imported.primary_token == other
    assert (imported.checksum_first, imported.checksum_second) == ("a" * 64, "b" * 64)
    assert len(imported.client_key) == 64 and imported.alias.startswith("unnamed-")
    assert imported.token_type == "session" and imported.expires_at is not None


def test_import_is_idempotent_and_updates_checksums(tmp_path: Path) -> None:
    token = jwt.mint()
    path = tmp_path / "t"
    path.write_text(token + "\n")
    run(path)
    out, _ = run(path)
    assert "added 0, updated 0, skipped 1" in out
    path.write_text(f"{token},{'c' * 64}/{'d' * 64}\n")
    out, _ = run(path)
    assert "updated 1" in out
    assert Token.objects.get().checksum_first == "c" * 64


def test_tokens_are_encrypted_at_rest(tmp_path: Path) -> None:
    token = jwt.mint()
    path = tmp_path / "t"
    path.write_text(token + "\n")
    run(path)
    with connection.cursor() as cursor:
        cursor.execute("SELECT primary_token FROM tokens_token")
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1:") and token not in stored
    assert Token.objects.get().primary_token == token


def test_a_file_with_nothing_usable_fails(tmp_path: Path) -> None:
    path = tmp_path / "t"
    path.write_text("nope\n")
    with pytest.raises(CommandError, match="no line"):
        run(path)
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing")


def test_rotating_the_encryption_key_keeps_tokens_readable(tmp_path: Path, settings) -> None:
    token = jwt.mint()
    path = tmp_path / "t"
    path.write_text(token + "\n")
    settings.TOKEN_ENCRYPTION_KEYS = ["old-key"]
    run(path)
    settings.TOKEN_ENCRYPTION_KEYS = ["new-key", "old-key"]
    call_command("rotate_token_key", stdout=StringIO())
    settings.TOKEN_ENCRYPTION_KEYS = ["new-key"]
    assert Token.objects.get().primary_token == token
    settings.TOKEN_ENCRYPTION_KEYS = ["old-key"]
    with pytest.raises(ValueError, match="TOKEN_ENCRYPTION_KEY does not match"):
        Token.objects.get()
