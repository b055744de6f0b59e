from __future__ import annotations

import json
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
    with pytest.raises(CommandError, match="no row"):
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


def _r4_export(token: str, alias: str = "alice") -> dict:
    return {
        "status": "success",
        "tokens": [
            [
                0,
                alias,
                {
                    "primary_token": token,
                    "checksum": {"first": "a" * 64, "second": "b" * 64},
                    "client_key": "c" * 64,
                    "session_id": "6f1c2a0e-8d4b-4a53-9c57-0b7e6e0f2a11",
                    "config_version": "0a6b1b1c-2d3e-4f50-8a61-72839495a6b7",
                    "proxy": "corp",
                    "timezone": "Asia/Tokyo",
                    "gcpp_host": "US",
                    "status": {"enabled": False, "health": {"backoff_until": 0, "consecutive_failures": 0}},
                    "user": {"user_id": 7, "email": "alice@example.test", "is_enterprise_user": False},
                    "usage": {
                        "membership_type": "pro",
                        "individual_usage": {"plan": {"used": 5, "limit": 500}},
                    },
                },
            ],
            [1, "broken", {"primary_token": "nope"}],
            [2, "odd"],
        ],
        "tokens_count": 3,
    }


def test_json_export_of_the_original_imports_idempotently(tmp_path: Path) -> None:
    from proxies.models import Proxy

    Proxy.objects.create(name="corp", url="http://proxy.example:3128")
    token = jwt.mint()
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(_r4_export(token)))
    out, err = run(path)
    assert "added 1, updated 0, skipped 0, bad 2" in out
    assert "tokens[1]: token must be a JWT" in err and "tokens[2]: the token info must be an object" in err
    alice = Token.objects.get(alias="alice")
    assert (alice.primary_token, alice.client_key, alice.gcpp_host, alice.timezone) == (
        token,
        "c" * 64,
        "US",
        "Asia/Tokyo",
    )
    assert (
        not alice.enabled and alice.proxy.name == "corp" and str(alice.config_version).startswith("0a6b1b1c")
    )
    assert (alice.email, alice.membership_type, alice.usage_used, alice.usage_limit) == (
        "alice@example.test",
        "pro",
        5,
        500,
    )
    assert "added 0, updated 0, skipped 1, bad 2" in run(path)[0]
    changed = _r4_export(token)
    changed["tokens"][0][2]["timezone"] = "Europe/Paris"
    path.write_text(json.dumps(changed))
    assert "added 0, updated 1, skipped 0" in run(path)[0]
    assert Token.objects.get(alias="alice").timezone == "Europe/Paris" and Token.objects.count() == 1


def test_r3_json_export(tmp_path: Path) -> None:
    token = jwt.mint()
    export = {
        "status": "success",
        "tokens": [
            [
                0,
                "bob",
                {
                    "bundle": {
                        "primary_token": token,
                        "checksum": {"first": "1" * 64, "second": "2" * 64},
                        "session_id": "6f1c2a0e-8d4b-4a53-9c57-0b7e6e0f2a11",
                        "user": {"email": "bob@example.test", "name": "Bob"},
                    },
                    "status": "disabled",
                    "stripe": {"membership_type": "ultra"},
                },
            ]
        ],
    }
    path = tmp_path / "r3.json"
    path.write_text(json.dumps(export))
    assert "added 1" in run(path)[0]
    bob = Token.objects.get(alias="bob")
    assert not bob.enabled and bob.email == "bob@example.test" and bob.membership_type == "ultra"
    assert bob.checksum_first == "1" * 64


def test_csv_with_proxy_and_timezone(tmp_path: Path) -> None:
    from proxies.models import Proxy

    Proxy.objects.create(name="corp", url="socks5://127.0.0.1:1080")
    a, b = jwt.mint(), jwt.mint()
    path = tmp_path / "pool.csv"
    path.write_text(
        f"alias,token,proxy,timezone\nann,{a},corp,Europe/Oslo\nben,{b}\n\ncat,garbage\nbad,{jwt.mint()},,Mars/Base\nghost,{jwt.mint()},nowhere\n"
    )
    out, err = run(path)
    assert "added 3, updated 0, skipped 0, bad 2" in out
    assert "line 5: token must be a JWT" in err and "line 6: unknown timezone 'Mars/Base'" in err
    assert "line 7: warning: no proxy is named 'nowhere'" in err
    ann = Token.objects.get(alias="ann")
    assert (
        ann.proxy.name == "corp"
        and ann.timezone == "Europe/Oslo"
        and Token.objects.get(alias="ben").proxy is None
    )
    assert "added 0, updated 0, skipped 3, bad 2" in run(path)[0]


def test_progress_bar_on_request(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("".join(f"t{n},{jwt.mint()}\n" for n in range(20)))
    out, err = StringIO(), StringIO()
    call_command("import_tokens", str(path), "--progress", stdout=out, stderr=err)
    assert "added 20" in out.getvalue() and "20/20" in err.getvalue() and "[####" in err.getvalue()
    out, err = StringIO(), StringIO()
    call_command("import_tokens", str(path), stdout=out, stderr=err)
    assert err.getvalue() == ""  # not a TTY, not asked


def test_a_malformed_json_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{oops")
    with pytest.raises(CommandError, match="not JSON"):
        run(path)
    path.write_text('{"tokens": 3}')
    with pytest.raises(CommandError, match="/tokens/get"):
        run(path)


def test_import_proxies(tmp_path: Path) -> None:
    from proxies.models import Proxy

    path = tmp_path / "proxies.json"
    state = {
        "status": "success",
        "proxies": {
            "sys": "sys",
            "corp": "http://u:pw@proxy.example:3128",
            "old": "gopher://h:1",
            "hidden": "http://u:***@h:1",
        },
        "proxies_count": 4,
        "general_proxy": "corp",
    }
    path.write_text(json.dumps(state))
    out, err = StringIO(), StringIO()
    call_command("import_proxies", str(path), stdout=out, stderr=err)
    assert "added 2, updated 0, skipped 0, bad 2" in out.getvalue()
    assert "old: proxy must be" in err.getvalue() and "hidden: its password is masked" in err.getvalue()
    assert Proxy.objects.get(is_general=True).url == "http://u:pw@proxy.example:3128"
    out = StringIO()
    call_command("import_proxies", str(path), stdout=out, stderr=StringIO())
    assert "added 0, updated 0, skipped 2" in out.getvalue()
    path.write_text('{"nope": 1}')
    with pytest.raises(CommandError, match="/proxies/get"):
        call_command("import_proxies", str(path), stdout=StringIO(), stderr=StringIO())
