"""R4's config.toml beside our JSON: /config/get and /config/set in TOML, and `manage.py import_config`."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

from tests.fixtures import AUTH

ADMIN = {"Authorization": f"Bearer {AUTH}"}
R4_FILE = """
# the original's example, filled in
share_token = "shared-from-r4"
slow_pool_enabled = false
long_context_enabled = true
vision_ability = "base64-http"
model_usage_checks = "default"
dynamic_key_secret = "r4-secret"
web_references_included = false
raw_model_fetch_mode = "append:truncate"
emulated_platform = "Windows"
cursor_client_version = "2.0.0"
"""


def test_get_and_set_in_toml(live, fake) -> None:
    got = httpx.post(f"{live.url}/config/get", headers={**ADMIN, "Accept": "application/toml"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/toml")
    values = tomllib.loads(got.text)
    assert values["raw_model_fetch_mode"] == "truncate" and "emulated_platform" in values
    headers = {**ADMIN, "Content-Type": "application/toml", "x-config-hash": got.headers["x-config-hash"]}
    changed = httpx.post(f"{live.url}/config/set", headers=headers, content=R4_FILE)
    assert changed.status_code == 204
    now = httpx.post(f"{live.url}/config/get", headers=ADMIN).json()["config"]
    assert now["share_token"] == "shared-from-r4" and now["vision_ability"] == "all"
    assert now["raw_model_fetch_mode"] == "append:truncate" and now["emulated_platform"] == "Windows"
    hash_ = httpx.post(f"{live.url}/config/get", headers=ADMIN).headers["x-config-hash"]
    bad = httpx.post(
        f"{live.url}/config/set",
        headers={**headers, "x-config-hash": hash_},
        content="share_token = ",
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_toml"
    unknown = httpx.post(
        f"{live.url}/config/set", headers={**headers, "x-config-hash": hash_}, content='frontend = "x"\n'
    )
    assert unknown.status_code == 400 and "frontend" in unknown.json()["message"]


def test_emulated_platform_reaches_cursor(live, pool_token, fake, settings) -> None:
    from tests.api.helpers import chat_request, post, user

    settings.EMULATED_PLATFORM = "Linux"
    post(live.url, "/v1/chat/completions", {"model": "gpt-5.1", "messages": user("hi")})
    assert chat_request(fake).environment_info.exthost_platform == "linux"


@pytest.mark.django_db
def test_import_config(tmp_path: Path) -> None:
    from runtime import config

    path = tmp_path / "config.toml"
    path.write_text(R4_FILE)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_config", str(path), stdout=out, stderr=err)
    assert "share_token = (set)" in out.getvalue() and "r4-secret" not in out.getvalue()
    assert "2.0.0 is older" in err.getvalue()
    values = config.load().values
    assert values["dynamic_key_secret"] == "r4-secret" and values["model_usage_checks"] == "default"
    assert values["cursor_client_version"] == "2.0.0" and values["long_context_enabled"] is True
    path.write_text('emulated_platform = "{DEFAULT_PLATFORM}"\n')
    with pytest.raises(CommandError, match="emulated_platform"):
        call_command("import_config", str(path), stdout=io.StringIO())
