"""The real upstream client against the real fake server, over a socket."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from cursorapi.upstream import checksum, hosts, jwt
from cursorapi.upstream.client import ClientConfig, CursorClient, UpstreamTimeout, UpstreamUnavailable
from cursorapi.upstream.errors import CursorError
from cursorapi.upstream.fake.app import FakeCursor
from cursorapi.upstream.headers import Account
from cursorapi.upstream.proto import aiserver_pb2 as pb


@pytest.fixture
def fake_app(fake_server) -> FakeCursor:
    app: FakeCursor = fake_server.server.handler
    app.clear()
    return app


@pytest.fixture
def account() -> Account:
    return Account(
        token=jwt.mint(),
        checksum_first=checksum.random_hash(),
        checksum_second=checksum.random_hash(),
        client_key=checksum.random_hash(),
        session_id=str(uuid.uuid4()),
        config_version=str(uuid.uuid4()),
        timezone="Europe/Paris",
    )


@pytest.fixture
async def client(fake_server):
    c = CursorClient(ClientConfig(upstream=fake_server.url, read_timeout=2.0))
    yield c
    await c.aclose()


def chat_request(text: str) -> bytes:
    conversation = [pb.ConversationMessage(text=text, type=1, bubble_id=str(uuid.uuid4()))]
    request = pb.StreamUnifiedChatRequest(conversation=conversation, conversation_id=str(uuid.uuid4()))
    return pb.StreamUnifiedChatRequestWithTools(stream_unified_chat_request=request).SerializeToString()


async def collect(
    client: CursorClient, account: Account, text: str
) -> list[pb.StreamUnifiedChatResponseWithTools]:
    out = []
    async for batch in client.stream(account, hosts.CHAT, chat_request(text)):
        assert batch, "batches are never empty"
        out.extend(pb.StreamUnifiedChatResponseWithTools.FromString(payload) for payload in batch)
    return out


def texts(messages: list[pb.StreamUnifiedChatResponseWithTools]) -> str:
    return "".join(m.stream_unified_chat_response.text for m in messages)


async def test_streaming_chat_sends_the_full_header_set(client, account, fake_app) -> None:
    messages = await collect(client, account, "hello there")
    assert texts(messages) == "Fake Cursor reply to: hello there"

    (seen,) = fake_app.requests_to("StreamUnifiedChatWithTools")
    h = seen.headers
    assert seen.http_version == "2"
    assert seen.host == "api2.cursor.sh"
    assert h["authorization"] == f"Bearer {account.token}"
    assert h["content-type"] == "application/connect+proto"
    assert h["connect-protocol-version"] == "1"
    assert h["connect-accept-encoding"] == h["connect-content-encoding"] == "gzip"
    assert h["user-agent"] == "connect-es/1.6.1"
    assert h["x-client-key"] == account.client_key
    assert h["x-session-id"] == account.session_id
    assert h["x-cursor-config-version"] == account.config_version
    assert h["x-cursor-timezone"] == "Europe/Paris"
    assert h["x-cursor-client-version"] == "2.3.21"
    assert h["x-cursor-streaming"] == "true"
    assert h["x-ghost-mode"] == "true"
    assert h["x-new-onboarding-completed"] == "false"
    assert h["x-amzn-trace-id"] == f"Root={h['x-request-id']}"
    assert checksum.verify(h["x-cursor-checksum"]) is None
    assert h["x-cursor-checksum"].endswith(f"{account.checksum_first}/{account.checksum_second}")
    assert seen.message.stream_unified_chat_request.conversation[0].text == "hello there"


async def test_a_scripted_reply_arrives_split_gzipped_and_with_thinking(client, account, fake_app) -> None:
    messages = await collect(
        client, account, '#fake: reply="Hi\\nyou" chunks=2 thinking="hmm ok" split=1 gzip=1'
    )
    assert texts(messages) == "Hi\nyou"
    thinking = "".join(m.stream_unified_chat_response.thinking.text for m in messages)
    assert thinking == "hmm ok"


async def test_error_frames_raise_typed_errors(client, account, fake_app) -> None:
    with pytest.raises(CursorError) as info:
        await collect(client, account, "#fake: error=resource_exhausted")
    assert info.value.http_status == 429
    assert info.value.code == "resource_exhausted"


async def test_a_dropped_stream_is_a_transport_failure(client, account, fake_app) -> None:
    with pytest.raises(UpstreamUnavailable):
        await collect(client, account, "#fake: drop_after=1")


async def test_a_stall_past_the_read_timeout_is_a_timeout(client, account, fake_app) -> None:
    with pytest.raises(UpstreamTimeout):
        await collect(client, account, "#fake: stall_ms=3000")


async def test_http_status_errors_are_decoded(client, account, fake_app) -> None:
    with pytest.raises(CursorError) as info:
        await collect(client, account, "#fake: status=429")
    assert info.value.http_status == 429


async def test_the_fake_refuses_what_cursor_refuses(client, account, fake_app) -> None:
    expired = replace(account, token=jwt.mint(lifetime=-60))
    with pytest.raises(CursorError) as info:
        await collect(client, expired, "hi")
    assert info.value.code == "unauthenticated" and info.value.type == "auth_token_expired"

    fake_app.revoke(account.token)
    with pytest.raises(CursorError) as info:
        await collect(client, account, "hi")
    assert info.value.code == "unauthenticated"

    bad_key = replace(account, client_key="nothex", token=jwt.mint())
    with pytest.raises(CursorError) as info:
        await collect(client, bad_key, "hi")
    assert info.value.code == "invalid_argument" and "x-client-key" in info.value.message


async def test_unary_call_available_models(client, account, fake_app) -> None:
    response = await client.unary(
        account, hosts.AVAILABLE_MODELS, pb.AvailableModelsRequest().SerializeToString()
    )
    models = pb.AvailableModelsResponse.FromString(response.body).models
    assert "claude-4.5-sonnet" in [m.name for m in models]
    (seen,) = fake_app.requests_to("AiService/AvailableModels")
    assert seen.headers["content-type"] == "application/proto"
    assert seen.headers["accept-encoding"] == "gzip"
    assert "connect-content-encoding" not in seen.headers
    assert checksum.verify(seen.headers["x-cursor-checksum"]) is None


async def test_unary_errors_come_back_as_json(client, account, fake_app) -> None:
    web = replace(account, token=jwt.mint(token_type="web"))
    with pytest.raises(CursorError) as info:
        await client.unary(web, hosts.SERVER_CONFIG, b"")
    assert info.value.http_status == 403


async def test_gcpp_calls_go_to_the_accounts_region(client, account, fake_app) -> None:
    eu = replace(account, gcpp_host="EU")
    await client.unary(
        eu,
        hosts.FS_UPLOAD,
        pb.FSUploadFileRequest(relative_workspace_path="a.py").SerializeToString(),
        fs_client_key="f" * 64,
    )
    (seen,) = fake_app.requests_to("FSUploadFile")
    assert seen.host == "us-eu.gcpp.cursor.sh"
    assert seen.headers["x-fs-client-key"] == "f" * 64


async def test_json_calls_use_desktop_or_dashboard_headers(client, account, fake_app) -> None:
    profile = await client.json(account, hosts.STRIPE_PROFILE)
    assert profile["membershipType"] == "pro"
    me = await client.json(
        replace(account, user_id=jwt.parse(account.token).user_id),
        hosts.GET_ME,
        method="POST",
        payload={},
        kind="dashboard",
    )
    assert me["workosId"] == jwt.parse(account.token).user_id
    stripe, get_me = fake_app.received
    assert stripe.host == "api2.cursor.sh" and stripe.headers["authorization"].startswith("Bearer ")
    assert get_me.host == "cursor.com" and "WorkosCursorSessionToken=" in get_me.headers["cookie"]
