"""Our aiserver.v1 and key schemas against the byte vectors in the protocol notes.

Hex vectors come from cursor-protocol-facts.md sections 8 and 10.9. Where a vector is a whole
Connect frame, the 5-byte envelope is checked and stripped first.
"""

import base64
import gzip

from cursorapi.upstream.proto import aiserver_pb2 as pb
from cursorapi.upstream.proto import key_pb2
from tests import captures

Response = pb.StreamUnifiedChatResponse
WithTools = pb.StreamUnifiedChatResponseWithTools
Request = pb.StreamUnifiedChatRequest
Message = pb.ConversationMessage


def _unframe(hex_frame: str) -> bytes:
    frame = bytes.fromhex(hex_frame)
    assert frame[0] == 0x00, "vector should be an uncompressed message frame"
    assert int.from_bytes(frame[1:5], "big") == len(frame) - 5
    return frame[5:]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _wire_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs in wire order, like `protoc --decode_raw` one level deep."""
    fields: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        value: int | bytes
        if wire_type == 0:
            value, pos = _varint(data, pos)
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire_type == 1:
            value, pos = data[pos : pos + 8], pos + 8
        else:
            raise AssertionError(f"unexpected wire type {wire_type} for field {number}")
        fields.append((number, value))
    return fields


# --- Chat response frames -------------------------------------------------------------------


def test_text_chunk_hi_matches_reference_bytes():
    payload = _unframe("00 00000006 12 04 0a 02 48 69")
    msg = WithTools(stream_unified_chat_response=Response(text="Hi"))

    assert msg.SerializeToString() == payload
    parsed = WithTools.FromString(payload)
    assert parsed.WhichOneof("response") == "stream_unified_chat_response"
    assert parsed.stream_unified_chat_response.text == "Hi"


def test_thinking_chunk_uses_two_byte_tag_for_field_25():
    payload = _unframe("00 00000008 12 06 ca01 03 0a 01 78")
    msg = WithTools(stream_unified_chat_response=Response(thinking=Message.Thinking(text="x")))

    assert msg.SerializeToString() == payload
    parsed = WithTools.FromString(payload).stream_unified_chat_response
    assert parsed.text == ""
    assert parsed.HasField("thinking")
    assert parsed.thinking.text == "x"


def test_thinking_signature_vector():
    payload = _unframe("00 0000000a 12 08 ca01 05 12 03 736967")

    thinking = WithTools.FromString(payload).stream_unified_chat_response.thinking
    assert thinking.signature == "sig"
    assert thinking.text == ""
    assert thinking.redacted_thinking == ""
    rebuilt = WithTools(stream_unified_chat_response=Response(thinking=Message.Thinking(signature="sig")))
    assert rebuilt.SerializeToString() == payload


def test_context_window_frame_decodes_to_field_30():
    payload = _unframe("00 0000000e 12 0c f201 09 08 5b 10 9456 18 c8d007")

    response = WithTools.FromString(payload).stream_unified_chat_response
    assert response.HasField("context_window_status")
    status = response.context_window_status
    assert (status.percent_remaining, status.tokens_used, status.window_size) == (91, 11028, 125000)
    # Nothing leaks into the unknown-field set: field 30 is fully described by our schema.
    assert response.SerializeToString() == bytes.fromhex("f201 09 08 5b 10 9456 18 c8d007")
    assert WithTools(stream_unified_chat_response=response).SerializeToString() == payload


def test_keep_alive_frame_is_an_empty_response():
    payload = _unframe("00 00000002 12 00")

    parsed = WithTools.FromString(payload)
    assert parsed.WhichOneof("response") == "stream_unified_chat_response"
    assert parsed.stream_unified_chat_response.ListFields() == []


def test_non_streaming_mcp_tool_call_vector():
    payload = _unframe(
        "00 0000003f 0a 3d 08 13 1a 06 63616c6c5f31 52 11 7b2263697479223a20225061726973227d"
        " da01 17 0a 15 0a 0b 6765745f77656174686572 22 06 637573746f6d 8a03 03 6d6331"
    )

    parsed = WithTools.FromString(payload)
    assert parsed.WhichOneof("response") == "client_side_tool_v2_call"
    call = parsed.client_side_tool_v2_call
    assert call.tool == pb.CLIENT_SIDE_TOOL_V2_MCP == 19
    assert call.tool_call_id == "call_1"
    assert call.raw_args == '{"city": "Paris"}'
    assert call.WhichOneof("params") == "mcp_params"
    [tool] = call.mcp_params.tools
    assert (tool.name, tool.server_name) == ("get_weather", "custom")
    assert call.HasField("model_call_id")
    assert call.model_call_id == "mc1"
    assert not call.is_streaming
    assert not call.HasField("tool_index")

    rebuilt = WithTools(
        client_side_tool_v2_call=pb.ClientSideToolV2Call(
            tool=pb.CLIENT_SIDE_TOOL_V2_MCP,
            tool_call_id="call_1",
            raw_args='{"city": "Paris"}',
            mcp_params=pb.MCPParams(tools=[pb.MCPParams.Tool(name="get_weather", server_name="custom")]),
            model_call_id="mc1",
        )
    )
    assert rebuilt.SerializeToString() == payload


# --- Errors ---------------------------------------------------------------------------------


def test_error_details_from_connect_end_frame():
    value = "CDISIQoMUmF0ZSBsaW1pdGVkEhFUb28gbWFueSByZXF1ZXN0cxgB"
    raw = base64.b64decode(value + "=" * (-len(value) % 4))

    details = pb.ErrorDetails.FromString(raw)
    assert details.error == pb.ErrorDetails.ERROR_RATE_LIMITED == 50
    assert pb.ErrorDetails.Error.Name(details.error) == "ERROR_RATE_LIMITED"
    assert details.details.title == "Rate limited"
    assert details.details.detail == "Too many requests"
    assert details.HasField("is_expected")
    assert details.is_expected is True
    assert details.SerializeToString() == raw


def test_error_enum_covers_0_to_53_without_gaps():
    error = pb.ErrorDetails.Error
    assert sorted(error.values()) == list(range(54))
    assert all(value.name.startswith("ERROR_") for value in error.DESCRIPTOR.values)
    assert error.Value("ERROR_USER_ABORTED_REQUEST") == 21
    assert error.Value("ERROR_GPT_4_VISION_PREVIEW_RATE_LIMIT") == 28
    assert error.Value("ERROR_CUSTOM") == 52
    assert error.Value("ERROR_HOOKS_BLOCKED") == 53


def test_custom_error_details_additional_info_is_field_7_map():
    raw = pb.CustomErrorDetails(additional_info={"k": "v"}).SerializeToString()

    # 7 = tag 0x3a; each map entry is a message {1: key, 2: value}.
    assert raw == bytes.fromhex("3a 06 0a 01 6b 12 01 76")


# --- Chat request ---------------------------------------------------------------------------

CONV_ID = "0b9c2a8e-6a55-4f3e-9d5e-0d8f1a2b3c4d"
BUBBLE_ID = "5f0e4c1d-2b3a-4c5d-8e9f-a0b1c2d3e4f5"


def _minimal_request() -> pb.StreamUnifiedChatRequestWithTools:
    """What the 2.3.21-era client sends for one user turn "hello" and no tools (section 10.9)."""
    request = Request(
        conversation=[
            Message(
                text="hello",
                type=Message.MESSAGE_TYPE_HUMAN,
                bubble_id=BUBBLE_ID,
                unified_mode=Request.UNIFIED_MODE_CHAT,
            )
        ],
        full_conversation_headers_only=[
            pb.ConversationMessageHeader(bubble_id=BUBBLE_ID, type=Message.MESSAGE_TYPE_HUMAN)
        ],
        explicit_context=pb.ExplicitContext(context="<system>"),
        model_details=pb.ModelDetails(
            model_name="claude-4.5-sonnet", azure_state=pb.AzureState(), max_mode=False
        ),
        should_cache=True,
        current_file=pb.CurrentFileInfo(
            contents_start_at_line=1,
            cursor_position=pb.CursorPosition(),
            total_number_of_lines=1,
            selection=pb.CursorRange(start_position=pb.CursorPosition(), end_position=pb.CursorPosition()),
        ),
        use_new_compression_scheme=True,
        is_chat=True,
        conversation_id=CONV_ID,
        environment_info=pb.EnvironmentInfo(
            local_timestamp="2026-02-08T12:00:00.000Z", cursor_version=b"2.0.0"
        ),
        allow_model_fallbacks=False,
        unified_mode=Request.UNIFIED_MODE_CHAT,
        should_disable_tools=True,
        thinking_level=pb.THINKING_LEVEL_UNSPECIFIED,
        uses_rules=False,
        unified_mode_name="Ask",
    )
    return pb.StreamUnifiedChatRequestWithTools(stream_unified_chat_request=request)


def test_minimal_request_has_exactly_the_reference_fields():
    raw = _minimal_request().SerializeToString()

    [(outer_number, inner)] = _wire_fields(raw)
    assert outer_number == 1
    assert isinstance(inner, bytes)
    fields = _wire_fields(inner)
    # 10.9: 1 3 5 13 15 19 22 23 26 30 37 46 48 49 51 54, in ascending order. Optional fields set
    # to false/0 (37, 49, 51) are on the wire; 17, 36, 38, 47 and 53 are not.
    assert [number for number, _ in fields] == [1, 3, 5, 13, 15, 19, 22, 23, 26, 30, 37, 46, 48, 49, 51, 54]
    values = dict(fields)
    assert values[13] == 1
    assert values[19] == 1
    assert values[22] == 1
    assert values[37] == 0
    assert values[46] == 1
    assert values[48] == 1
    assert values[49] == 0
    assert values[51] == 0
    assert values[54] == b"Ask"
    assert values[23] == CONV_ID.encode()
    # 5 {1:"<model>" 4:"" 8:0}
    assert values[5] == b"\x0a\x11claude-4.5-sonnet" + bytes.fromhex("2200 4000")
    # 15 {3:"" 6 {1:"" 2:""} 8:1 9:1}
    assert values[15] == bytes.fromhex("1a00 3204 0a00 1200 4001 4801")
    # 26 {5:"<rfc3339 ms Z>" 7:"2.0.0"}
    assert [number for number, _ in _wire_fields(values[26])] == [5, 7]
    # 30 {1:"<uuid>" 3:1}
    assert _wire_fields(values[30]) == [(1, BUBBLE_ID.encode()), (3, 1)]
    # 1 {1:"hello" 2:1 13:"<uuid>" 47:1}
    assert _wire_fields(values[1]) == [(1, b"hello"), (2, 1), (13, BUBBLE_ID.encode()), (47, 1)]


def test_minimal_request_round_trips():
    original = _minimal_request()

    parsed = pb.StreamUnifiedChatRequestWithTools.FromString(original.SerializeToString())
    assert parsed == original
    request = parsed.stream_unified_chat_request
    assert request.conversation[0].text == "hello"
    assert request.model_details.HasField("azure_state")
    assert request.model_details.HasField("max_mode")
    assert request.HasField("thinking_level")
    assert request.thinking_level == pb.THINKING_LEVEL_UNSPECIFIED
    assert not request.HasField("use_web")
    assert not request.HasField("is_resume")
    assert request.environment_info.cursor_version == b"2.0.0"


def test_tool_request_fields_use_packed_enums():
    request = Request(
        is_agentic=True,
        supported_tools=[pb.CLIENT_SIDE_TOOL_V2_MCP],
        mcp_tools=[pb.MCPParams.Tool(name="get_weather", parameters="{}", server_name="custom")],
        unified_mode=Request.UNIFIED_MODE_AGENT,
        should_disable_tools=False,
    )

    fields = _wire_fields(request.SerializeToString())
    assert [number for number, _ in fields] == [27, 29, 34, 46, 48]
    # 29:[19] packed: one length-delimited entry, not a bare varint.
    assert dict(fields)[29] == b"\x13"
    assert dict(fields)[46] == 2
    assert dict(fields)[48] == 0


def test_tool_result_history_message_round_trips():
    result = pb.ClientSideToolV2Result(
        tool=pb.CLIENT_SIDE_TOOL_V2_MCP,
        tool_call_id="call_1",
        tool_index=1,
        mcp_result=pb.MCPResult(selected_tool="get_weather", result='{"content":[],"isError":false}'),
    )
    tool_result = Message.ToolResult(
        tool_call_id="call_1",
        tool_name="mcp_custom_get_weather",
        tool_index=1,
        raw_args='{"city": "Paris"}',
        result=result,
        tool_call=pb.ClientSideToolV2Call(
            tool=pb.CLIENT_SIDE_TOOL_V2_MCP, tool_call_id="call_1", tool_index=1
        ),
    )
    message = Message(type=Message.MESSAGE_TYPE_AI, tool_results=[tool_result])

    numbers = [number for number, _ in _wire_fields(tool_result.SerializeToString())]
    assert numbers == [1, 2, 3, 5, 8, 11]
    assert [number for number, _ in _wire_fields(result.SerializeToString())] == [1, 28, 35, 49]
    assert Message.FromString(message.SerializeToString()) == message


# --- Unary responses ------------------------------------------------------------------------


def test_available_models_response_puts_models_at_field_2():
    response = pb.AvailableModelsResponse(
        models=[pb.AvailableModelsResponse.AvailableModel(name="gpt", supports_thinking=False)]
    )

    raw = response.SerializeToString()
    # 2 {1:"gpt" 9:0}: field 1 of the response stays unused; the optional false is written.
    assert raw == bytes.fromhex("12 07 0a 03 677074 48 00")
    parsed = pb.AvailableModelsResponse.FromString(raw)
    assert parsed.models[0].name == "gpt"
    assert parsed.models[0].HasField("supports_thinking")
    assert not parsed.models[0].HasField("supports_images")


def test_get_server_config_version_is_field_6():
    version = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

    raw = pb.GetServerConfigResponse(config_version=version).SerializeToString()
    assert raw == bytes.fromhex("32 24") + version.encode()
    assert pb.GetServerConfigResponse.FromString(raw).config_version == version
    assert pb.GetServerConfigRequest().SerializeToString() == b""


def test_prompt_dry_run_token_counts_at_4_and_5():
    raw = bytes.fromhex("22 02 10 07 2a 03 10 ac02")

    parsed = pb.GetPromptDryRunResponse.FromString(raw)
    assert parsed.user_message_token_count.num_tokens == 7
    assert parsed.full_conversation_token_count.num_tokens == 300
    assert not pb.GetPromptDryRunResponse().full_conversation_token_count.HasField("num_tokens")


def test_stream_cpp_response_range_and_prediction_target():
    response = pb.StreamCppResponse(
        text="x",
        range_to_replace=pb.LineRange(start_line_number=3, end_line_number_inclusive=4),
        cursor_prediction_target=pb.StreamCppResponse.CursorPredictionTarget(line_number_one_indexed=9),
        done_edit=False,
        binding_id="b",
    )

    fields = _wire_fields(response.SerializeToString())
    assert [number for number, _ in fields] == [1, 11, 12, 13, 17]
    assert dict(fields)[11] == bytes.fromhex("0803 1004")
    assert dict(fields)[13] == 0


def test_fs_sync_request_nests_updates_and_ranges():
    request = pb.FSSyncFileRequest(
        uuid="u",
        relative_workspace_path="a.py",
        model_version=2,
        filesync_updates=[
            pb.FilesyncUpdateWithModelVersion(
                model_version=2,
                updates=[pb.SingleUpdateRequest(replaced_string="y", range=pb.SimpleRange(end_column=1))],
                expected_file_length=5,
            )
        ],
        sha256_hash="h",
    )

    parsed = pb.FSSyncFileRequest.FromString(request.SerializeToString())
    assert parsed == request
    assert parsed.filesync_updates[0].updates[0].range.end_column == 1
    assert pb.FSSyncFileResponse(error=pb.FS_SYNC_ERROR_TYPE_HASH_MISMATCH).SerializeToString() == b"\x08\x02"


# --- key.proto ------------------------------------------------------------------------------


def test_key_config_round_trip():
    config = key_pb2.KeyConfig(
        token_info=key_pb2.TokenInfo(
            token=key_pb2.Token(
                provider="auth0",
                sub_id=bytes(range(16)),
                randomness=bytes(range(8)),
                start=1_700_000_000,
                end=1_760_000_000,
                signature=bytes(32),
                is_session=True,
            ),
            checksum=bytes(64),
            client_key=bytes(32),
            session_id=bytes(16),
            timezone="Asia/Shanghai",
            gcpp_host=0,
        ),
        disable_vision=False,
        usage_check_models=key_pb2.UsageCheckModel(
            type=key_pb2.UsageCheckModel.TYPE_CUSTOM, model_ids=["gpt-5", "claude-4.5-sonnet"]
        ),
    )

    raw = config.SerializeToString()
    parsed = key_pb2.KeyConfig.FromString(raw)
    assert parsed == config
    assert parsed.HasField("disable_vision")
    assert not parsed.HasField("secret")
    assert not parsed.token_info.HasField("config_version")
    assert parsed.token_info.HasField("gcpp_host")

    top = [number for number, _ in _wire_fields(raw)]
    assert top == [1, 3, 6]
    token_info = _wire_fields(dict(_wire_fields(raw))[1])
    # gcpp_host=0 (Asia) is still written because it is optional.
    assert [number for number, _ in token_info] == [1, 2, 3, 5, 12, 13]
    assert dict(token_info)[13] == 0


# --- Real capture ---------------------------------------------------------------------------


def test_every_frame_of_the_2026_capture_decodes():
    data = captures.load("agent-2026.hex")
    text: list[str] = []
    windows: list[int] = []
    call_names: set[str] = set()
    pos = 0
    while pos < len(data):
        flags, length = data[pos], int.from_bytes(data[pos + 1 : pos + 5], "big")
        payload = data[pos + 5 : pos + 5 + length]
        pos += 5 + length
        if flags & 0x01:
            payload = gzip.decompress(payload)
        if flags & 0x02:
            assert payload == b"{}"
            continue
        frame = WithTools.FromString(payload)
        if frame.WhichOneof("response") == "client_side_tool_v2_call":
            call_names.add(frame.client_side_tool_v2_call.name)
        else:
            response = frame.stream_unified_chat_response
            text.append(response.text)
            if response.HasField("context_window_status"):
                windows.append(response.context_window_status.tokens_used)

    assert len("".join(text)) == 378
    assert windows == [11028, 11530, 13337, 13496]
    assert call_names == {"read_file", "edit_file"}
