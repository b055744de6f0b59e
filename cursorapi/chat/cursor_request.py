"""A ChatRequest as the StreamUnifiedChatRequestWithTools Cursor's 2.3.21 client sends."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from cursorapi.upstream.proto import aiserver_pb2 as pb

from . import structured
from .stream_decoder import MCP, split_tool_id
from .types import ChatRequest, Turn

HUMAN, AI = 1, 2
CHAT, AGENT = 1, 2
THINKING_HIGH, THINKING_UNSPECIFIED = 2, 0
_PLATFORMS = {"MacOS": "darwin", "macOS": "darwin", "Windows": "win32", "Linux": "linux"}


def _mcp_tool_name(name: str) -> tuple[str, str]:
    """Client name to (server, tool): `mcp__<server>__<tool>` names a real MCP server, else `custom`."""
    if name.startswith("mcp__") and name.count("__") >= 2:
        _, server, tool = name.split("__", 2)
        return server, tool
    return "custom", name


def _tool_result_json(text: str, is_error: bool) -> str:
    """MCP CallToolResult, the shape Cursor expects tool results in."""
    content = [{"type": "text", "text": text}]
    if is_error:
        return json.dumps({"content": content, "isError": True})
    return json.dumps(
        {
            "content": content,
            "structuredContent": {"result": [{**content[0], "annotations": None, "_meta": None}]},
            "isError": False,
        }
    )


def _message(turn_type: int, text: str, mode: int) -> pb.ConversationMessage:
    message = pb.ConversationMessage(
        text=text, type=turn_type, bubble_id=str(uuid.uuid4()), unified_mode=mode
    )
    if turn_type == AI:
        message.server_bubble_id = str(uuid.uuid4())
    return message


def _tool_result_message(turn: Turn, call_turn: Turn, mode: int) -> pb.ConversationMessage | None:
    call = next((c for c in call_turn.tool_calls if c.id == turn.tool_call_id), None)
    if call is None:
        return None
    server, tool = _mcp_tool_name(call.name)
    call_id, model_call_id = split_tool_id(call.id)
    cursor_name = f"mcp_{server}_{tool}"
    result = pb.ClientSideToolV2Result(
        tool=MCP,
        tool_call_id=call_id,
        tool_index=1,
        mcp_result=pb.MCPResult(selected_tool=tool, result=_tool_result_json(turn.text, turn.tool_is_error)),
    )
    tool_call = pb.ClientSideToolV2Call(
        tool=MCP,
        mcp_params=pb.MCPParams(
            tools=[pb.MCPParams.Tool(name=tool, parameters=call.arguments, server_name=server)]
        ),
        tool_call_id=call_id,
        name=cursor_name,
        tool_index=1,
    )
    if model_call_id:
        result.model_call_id = model_call_id
        tool_call.model_call_id = model_call_id
    entry = pb.ConversationMessage.ToolResult(
        tool_call_id=call_id,
        tool_name=cursor_name,
        tool_index=1,
        raw_args=call.arguments,
        result=result,
        tool_call=tool_call,
    )
    if model_call_id:
        entry.model_call_id = model_call_id
    message = _message(AI, "", mode)
    message.tool_results.append(entry)
    return message


def conversation(chat: ChatRequest, mode: int) -> list[pb.ConversationMessage]:
    messages: list[pb.ConversationMessage] = []
    last_assistant: Turn | None = None
    for turn in chat.turns:
        if turn.role == "tool":
            tool_message = _tool_result_message(turn, last_assistant, mode) if last_assistant else None
            if tool_message is not None:
                messages.append(tool_message)
            else:
                # A result whose call we cannot place still matters to the model: keep it as text.
                messages.append(_message(HUMAN, f"Tool result ({turn.tool_call_id}):\n{turn.text}", mode))
            continue
        if turn.role == "assistant":
            if not messages:
                messages.append(_message(HUMAN, "", mode))  # Cursor expects a user turn first
            message = _message(AI, turn.text, mode)
            if turn.thinking or turn.thinking_signature:
                message.thinking.CopyFrom(
                    pb.ConversationMessage.Thinking(text=turn.thinking, signature=turn.thinking_signature)
                )
            if turn.text or turn.thinking or not turn.tool_calls:
                messages.append(message)
            last_assistant = turn
            continue
        message = _message(HUMAN, turn.text, mode)
        for n, image in enumerate(turn.images):
            proto = pb.ImageProto(data=image.data, uuid=str(256 + n))
            if image.width and image.height:
                proto.dimension.width = image.width
                proto.dimension.height = image.height
            message.images.append(proto)
        messages.append(message)
        last_assistant = None
    if not messages:
        messages.append(_message(HUMAN, "", mode))
    return messages


def build(chat: ChatRequest, *, client_version: str, conversation_id: str | None = None) -> bytes:
    chat = structured.for_model(chat)  # a structured output's format goes into the instructions
    tools = bool(chat.tools)
    mode = AGENT if tools else CHAT
    messages = conversation(chat, mode)
    if tools:
        messages[-1].supported_tools.append(MCP)
    request = pb.StreamUnifiedChatRequest(
        conversation=messages,
        full_conversation_headers_only=[
            pb.ConversationMessageHeader(
                bubble_id=m.bubble_id,
                type=m.type,
                **({"server_bubble_id": m.server_bubble_id} if m.HasField("server_bubble_id") else {}),
            )
            for m in messages
        ],
        model_details=pb.ModelDetails(
            model_name=chat.model.server_id, azure_state=pb.AzureState(), max_mode=chat.model.max_mode
        ),
        should_cache=True,
        use_new_compression_scheme=True,
        is_chat=not tools,
        conversation_id=conversation_id or str(uuid.uuid4()),
        is_agentic=tools,
        allow_model_fallbacks=False,
        unified_mode=mode,
        should_disable_tools=not tools,
        thinking_level=THINKING_HIGH if chat.model.model.thinking else THINKING_UNSPECIFIED,
        uses_rules=False,
        unified_mode_name="Agent" if tools else "Ask",
    )
    if chat.system.strip():
        # The original's CONTEXT_FILL_MODE: which of Cursor's context fields carry the system prompt.
        fill = chat.options.context_fill
        if fill & 1:
            request.explicit_context.context = chat.system
        if fill & 2:
            request.explicit_context.repo_context = chat.system
        if fill & 4:
            request.explicit_context.mode_specific_context = chat.system
    if chat.options.slow_pool:
        request.model_details.enable_slow_pool = True
    if chat.options.long_context:
        request.use_full_inputs_context = True
    if chat.model.web:
        request.use_web = "full_search"
    current = request.current_file
    current.contents_start_at_line = 1
    current.total_number_of_lines = 1
    current.cursor_position.SetInParent()
    current.selection.start_position.SetInParent()
    current.selection.end_position.SetInParent()
    env = request.environment_info
    named = chat.platform or chat.options.platform
    platform = _PLATFORMS.get(named, named)
    if platform.isprintable() and platform.isascii() and platform:
        env.exthost_platform = platform
    if chat.arch.isprintable() and chat.arch.isascii() and chat.arch:
        env.exthost_arch = chat.arch
    env.local_timestamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    env.cursor_version = client_version.encode()
    if tools:
        request.supported_tools.append(MCP)
        for tool in chat.tools:
            server, name = _mcp_tool_name(tool.name)
            request.mcp_tools.append(
                pb.MCPParams.Tool(
                    name=name,
                    description=tool.description,
                    parameters=json.dumps(tool.parameters, separators=(",", ":")),
                    server_name=server,
                )
            )
    return pb.StreamUnifiedChatRequestWithTools(stream_unified_chat_request=request).SerializeToString()
