"""/cpp/config and /cpp/models over HTTP: the protobuf call on the right host, the documented JSON back."""

from __future__ import annotations

from cpp.tests.helpers import call
from tokens.models import Token


def test_config_is_the_documented_shape(live, pool_token, fake) -> None:
    response = call(live, "/cpp/config", {"model": "fast", "is_nightly": False, "supports_cpt": True})
    assert response.status_code == 200
    data = response.json()
    assert data["heuristics"] == [
        "lots_of_added_text",
        "duplicating_line_after_suggestion",
        "duplicating_multiple_lines_after_suggestion",
        "reverting_user_change",
        "output_extends_beyond_range_and_is_repeated",
        "suggesting_recently_rejected_edit",
    ]
    assert data["merge_behavior"] == {"type": "merge", "limit": 3, "radius": 10}
    assert data["import_prediction_config"] == {
        "is_disabled_by_backend": False,
        "should_turn_on_automatically": True,
        "python_enabled": True,
    }
    # A float32 prints as the client wrote it, not as 0.004999999888241291.
    assert data["check_filesync_hash_percent"] == 0.005
    # Optional fields Cursor left out are there, as null, the way the original prints them.
    assert data["recently_rejected_edit_thresholds"] is None
    assert data["max_number_of_cleared_suggestions_since_last_accept"] is None
    assert data["suggestion_hint_config"] is None
    assert data["should_let_user_enable_cpp_even_if_not_pro"] is False
    assert data["above_radius"] == 1 and data["is_on"] is True and data["cpp_url"] == "https://api4.cursor.sh"

    (seen,) = fake.requests_to("AiService/CppConfig")
    assert seen.host == "api4.cursor.sh"
    assert seen.message.model == "fast"
    assert seen.message.HasField("is_nightly") and seen.message.is_nightly is False
    assert seen.message.supports_cpt is True


def test_models_call_api2_with_an_empty_body(live, pool_token, fake) -> None:
    response = call(live, "/cpp/models", {"ignored": True})
    assert response.status_code == 200
    assert response.json() == {"models": ["fast", "fast-2"], "default_model": "fast-2"}
    (seen,) = fake.requests_to("CppService/AvailableModels")
    assert seen.host == "api2.cursor.sh" and seen.body == b""
    assert seen.headers["x-fs-client-key"] == "ab" * 32


def test_an_upstream_error_is_a_status_in_the_generic_shape(live, pool_token, fake) -> None:
    response = call(live, "/cpp/config", {"model": "#fake: error=pro_user_only"})
    assert response.status_code == 403
    assert response.json() == {
        "status": "error",
        "code": 403,
        "error": "pro_user_only",
        "message": "Cursor: Pro user only: fake",
    }
    unavailable = call(live, "/cpp/config", {"model": "#fake: status=503"})
    assert unavailable.status_code == 503 and unavailable.json()["error"] == "resource_exhausted"


def test_a_refused_pool_account_is_our_failure_and_the_token_is_marked(live, pool_token, fake) -> None:
    fake.revoke(pool_token.primary_token)
    response = call(live, "/cpp/models")
    # Not 401: the editor's credentials are fine, the pool's account is not.
    assert response.status_code == 502
    assert response.json()["error"] == "not_logged_in"
    pool_token.refresh_from_db()
    assert pool_token.health == "invalid"
    # With no usable token left the next call says so.
    again = call(live, "/cpp/models")
    assert again.status_code == 503 and again.json()["error"] == "no_tokens"


def test_a_refused_account_is_retried_on_another_token(live, fake) -> None:
    from tests.fixtures import add_token

    first, second = add_token("first"), add_token("second")
    fake.revoke(first.primary_token)
    Token.objects.filter(pk=second.pk).update(last_used_at="2000-01-01T00:00:00Z")
    Token.objects.filter(pk=first.pk).update(last_used_at=None)  # the least recently used: tried first
    response = call(live, "/cpp/models")
    assert response.status_code == 200
    bearers = [r.headers["authorization"] for r in fake.requests_to("CppService/AvailableModels")]
    assert bearers == [f"Bearer {first.primary_token}", f"Bearer {second.primary_token}"]


def test_pinned_callers_get_no_stand_in(live, fake) -> None:
    from tests.fixtures import AUTH, add_token

    pinned = add_token("pinned")
    add_token("spare")
    fake.revoke(pinned.primary_token)
    response = call(live, "/cpp/models", auth=f"{AUTH}-pinned")
    assert response.status_code == 502
    assert len(fake.requests_to("CppService/AvailableModels")) == 1
    unknown = call(live, "/cpp/models", auth=f"{AUTH}-nobody")
    assert unknown.status_code == 404 and unknown.json()["error"] == "alias_not_found"
