"""/file/upload and /file/sync against the fake: the whole flow into /cpp/stream, cookies both ways."""

from __future__ import annotations

import pytest

from cpp.tests.helpers import (
    CLIENT_KEY,
    OTHER_KEY,
    call,
    cookie_header,
    set_cookie_headers,
    sha,
    stream_request,
    text_of,
)
from tests.fixtures import AUTH, add_token

ORIGINAL = "def add(a, b):\n    return a\n"


def upload(live, contents: str = ORIGINAL, path: str = "m.py", **kwargs):
    body = {
        "uuid": "u1",
        "relative_workspace_path": path,
        "contents": contents,
        "model_version": 1,
        "sha256_hash": sha(contents),
    }
    return call(live, "/file/upload", body, **kwargs)


def insert(at: int, text: str, *, version: int, expected_length: int, path: str = "m.py") -> dict:
    return {
        "model_version": version,
        "relative_workspace_path": path,
        "updates": [
            {"start_position": at, "end_position": at, "change_length": len(text), "replaced_string": text}
        ],
        "expected_file_length": expected_length,
    }


def sync(live, updates: list[dict], result: str, *, version: int, path: str = "m.py", **kwargs):
    body = {
        "uuid": "u1",
        "relative_workspace_path": path,
        "model_version": version,
        "filesync_updates": updates,
        "sha256_hash": sha(result),
    }
    return call(live, "/file/sync", body, **kwargs)


def test_upload_sync_stream(live, pool_token, fake) -> None:
    uploaded = upload(live)
    assert uploaded.status_code == 200 and uploaded.json() == {"error": "unspecified"}

    edited = ORIGINAL.replace("return a", "return a + b")
    at = ORIGINAL.index("return a") + len("return a")
    synced = sync(live, [insert(at, " + b", version=2, expected_length=len(edited))], edited, version=2)
    assert synced.json() == {"error": "unspecified"}
    (seen_sync,) = fake.requests_to("FSSyncFile")
    update = seen_sync.message.filesync_updates[0]
    assert (update.model_version, update.expected_file_length) == (2, len(edited))
    assert update.updates[0].replaced_string == " + b" and update.updates[0].change_length == 4

    streamed = call(live, "/cpp/stream", stream_request(line=1, control_token="loud"))
    assert streamed.status_code == 200
    # The model saw the synced file, not the uploaded one, and not what the request carried.
    assert text_of(streamed) == "    return a + b  # completed line 2"
    (seen_stream,) = fake.requests_to("StreamCpp")
    assert seen_stream.message.current_file.rely_on_filesync is True
    assert seen_stream.message.control_token == 2  # CONTROL_TOKEN_LOUD


def test_stream_updates_apply_on_top_of_the_synced_file(live, pool_token, fake) -> None:
    upload(live)
    at = ORIGINAL.index("return a") + len("return a")
    request = stream_request(
        line=1, filesync_updates=[insert(at, " * 2", version=2, expected_length=len(ORIGINAL) + 4)]
    )
    assert text_of(call(live, "/cpp/stream", request)) == "    return a * 2  # completed line 2"


def test_hash_mismatch_and_unknown_files(live, pool_token, fake) -> None:
    bad_upload = call(
        live, "/file/upload", {"relative_workspace_path": "x.py", "contents": "a", "sha256_hash": "0" * 64}
    )
    assert bad_upload.json() == {"error": "hash_mismatch"}
    unknown = sync(live, [], "", version=1, path="nope.py")
    assert unknown.json() == {"error": "non_existant"}

    upload(live)
    wrong_length = sync(live, [insert(0, "#", version=2, expected_length=999)], "#" + ORIGINAL, version=2)
    assert wrong_length.json() == {"error": "hash_mismatch"}
    wrong_hash = call(
        live,
        "/file/sync",
        {
            "relative_workspace_path": "m.py",
            "model_version": 2,
            "filesync_updates": [insert(0, "#", version=2, expected_length=len(ORIGINAL) + 1)],
            "sha256_hash": sha("something else"),
        },
    )
    assert wrong_hash.json() == {"error": "hash_mismatch"}
    # A refused sync leaves the file as it was.
    request = stream_request(line=0)
    assert text_of(call(live, "/cpp/stream", request)) == "def add(a, b):  # completed line 1"


def test_offsets_count_utf16_code_units_like_editors(live, pool_token, fake) -> None:
    contents = "s = '😀'\nx = 1\n"  # the emoji is two UTF-16 code units
    upload(live, contents)
    at = len("s = '😀'\nx = 1".encode("utf-16-le")) // 2
    result = "s = '😀'\nx = 12\n"
    length = len(result.encode("utf-16-le")) // 2
    assert sync(live, [insert(at, "2", version=2, expected_length=length)], result, version=2).json() == {
        "error": "unspecified"
    }
    assert text_of(call(live, "/cpp/stream", stream_request(line=1))) == "x = 12  # completed line 2"


def test_file_sync_cookies_pass_both_ways(live, pool_token, fake) -> None:
    first = upload(live)
    set_cookies = set_cookie_headers(first)
    assert set(set_cookies) == {"FilesyncCookie", "AWSALBAPP-0"}
    # As Cursor set them: the load balancer's base64 value unquoted, its expiry kept.
    (seen_upload,) = fake.requests_to("FSUploadFile")
    assert "expires=" in set_cookies["AWSALBAPP-0"].lower() and "path=/" in set_cookies["AWSALBAPP-0"].lower()
    assert '"' not in set_cookies["AWSALBAPP-0"]
    assert "HttpOnly" in set_cookies["FilesyncCookie"]
    filesync = set_cookies["FilesyncCookie"].split(";")[0]
    assert len(filesync.split("=", 1)[1]) == 32  # 16 bytes, as hex
    assert "cookie" not in seen_upload.headers  # the first call had none to send

    editor_cookies = cookie_header(first)
    sync(live, [], ORIGINAL, version=1, cookie=f"sessionid=secret; {editor_cookies}; csrftoken=abc")
    (seen_sync,) = fake.requests_to("FSSyncFile")
    # Exactly the file sync cookies, byte for byte; the editor's other cookies stay here.
    assert seen_sync.headers["cookie"] == editor_cookies
    assert seen_sync.headers["x-fs-client-key"] == CLIENT_KEY

    call(live, "/cpp/stream", stream_request(line=0), cookie=editor_cookies)
    (seen_stream,) = fake.requests_to("StreamCpp")
    assert seen_stream.headers["cookie"] == editor_cookies
    assert seen_stream.headers["x-fs-client-key"] == CLIENT_KEY


def test_the_stream_passes_its_load_balancer_cookie_back(live, pool_token, fake) -> None:
    response = call(live, "/cpp/stream", stream_request(contents="x = 1\n", line=0))
    assert response.status_code == 200
    assert list(set_cookie_headers(response)) == ["AWSALBAPP-0"]


def test_files_are_kept_per_editor(live, pool_token, fake) -> None:
    upload(live)
    assert sync(live, [], ORIGINAL, version=1, key=OTHER_KEY).json() == {"error": "non_existant"}


def test_files_are_kept_per_account(live, fake) -> None:
    add_token("a")
    add_token("b")
    assert upload(live, auth=f"{AUTH}-a").json() == {"error": "unspecified"}
    assert sync(live, [], ORIGINAL, version=1, auth=f"{AUTH}-b").json() == {"error": "non_existant"}
    assert sync(live, [], ORIGINAL, version=1, auth=f"{AUTH}-a").json() == {"error": "unspecified"}


@pytest.mark.parametrize(
    ("region", "host"),
    [("Asia", "us-asia.gcpp.cursor.sh"), ("EU", "us-eu.gcpp.cursor.sh"), ("US", "us-only.gcpp.cursor.sh")],
)
def test_gcpp_host_follows_the_token(live, fake, region, host) -> None:
    add_token("t", gcpp_host=region)
    upload(live)
    sync(live, [], ORIGINAL, version=1)
    call(live, "/cpp/stream", stream_request(line=0))
    for path in ("FSUploadFile", "FSSyncFile", "StreamCpp"):
        (seen,) = fake.requests_to(path)
        assert seen.host == host, path
    call(live, "/cpp/config", {})
    call(live, "/cpp/models")
    assert fake.requests_to("CppConfig")[0].host == "api4.cursor.sh"
    assert fake.requests_to("CppService/AvailableModels")[0].host == "api2.cursor.sh"


def test_a_token_without_region_uses_the_general_gcpp_host(live, fake, settings) -> None:
    settings.GENERAL_GCPP_HOST = "EU"
    add_token("t")
    upload(live)
    assert fake.requests_to("FSUploadFile")[0].host == "us-eu.gcpp.cursor.sh"


def test_an_upstream_error_on_upload_is_a_status(live, pool_token, fake) -> None:
    response = upload(live, "#fake: status=429\n")
    assert response.status_code == 429
    assert response.json()["status"] == "error" and response.json()["code"] == 429
