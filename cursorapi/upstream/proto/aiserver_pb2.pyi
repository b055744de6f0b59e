from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ThinkingLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    THINKING_LEVEL_UNSPECIFIED: _ClassVar[ThinkingLevel]
    THINKING_LEVEL_MEDIUM: _ClassVar[ThinkingLevel]
    THINKING_LEVEL_HIGH: _ClassVar[ThinkingLevel]

class ClientSideToolV2(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLIENT_SIDE_TOOL_V2_UNSPECIFIED: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_READ_SEMSEARCH_FILES: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_RIPGREP_SEARCH: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_READ_FILE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_LIST_DIR: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_EDIT_FILE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_FILE_SEARCH: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_SEMANTIC_SEARCH_FULL: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_DELETE_FILE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_REAPPLY: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_RUN_TERMINAL_COMMAND_V2: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_FETCH_RULES: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_WEB_SEARCH: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_MCP: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_SEARCH_SYMBOLS: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_BACKGROUND_COMPOSER_FOLLOWUP: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_KNOWLEDGE_BASE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_FETCH_PULL_REQUEST: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_DEEP_SEARCH: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_CREATE_DIAGRAM: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_FIX_LINTS: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_READ_LINTS: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_GO_TO_DEFINITION: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_TASK: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_AWAIT_TASK: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_TODO_READ: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_TODO_WRITE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_EDIT_FILE_V2: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_LIST_DIR_V2: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_READ_FILE_V2: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_RIPGREP_RAW_SEARCH: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_GLOB_FILE_SEARCH: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_CREATE_PLAN: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_LIST_MCP_RESOURCES: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_READ_MCP_RESOURCE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_READ_PROJECT: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_UPDATE_PROJECT: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_TASK_V2: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_CALL_MCP_TOOL: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_APPLY_AGENT_DIFF: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_ASK_QUESTION: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_SWITCH_MODE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_GENERATE_IMAGE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_COMPUTER_USE: _ClassVar[ClientSideToolV2]
    CLIENT_SIDE_TOOL_V2_WRITE_SHELL_STDIN: _ClassVar[ClientSideToolV2]

class FSUploadErrorType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FS_UPLOAD_ERROR_TYPE_UNSPECIFIED: _ClassVar[FSUploadErrorType]
    FS_UPLOAD_ERROR_TYPE_NON_EXISTANT: _ClassVar[FSUploadErrorType]
    FS_UPLOAD_ERROR_TYPE_HASH_MISMATCH: _ClassVar[FSUploadErrorType]

class FSSyncErrorType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FS_SYNC_ERROR_TYPE_UNSPECIFIED: _ClassVar[FSSyncErrorType]
    FS_SYNC_ERROR_TYPE_NON_EXISTANT: _ClassVar[FSSyncErrorType]
    FS_SYNC_ERROR_TYPE_HASH_MISMATCH: _ClassVar[FSSyncErrorType]
THINKING_LEVEL_UNSPECIFIED: ThinkingLevel
THINKING_LEVEL_MEDIUM: ThinkingLevel
THINKING_LEVEL_HIGH: ThinkingLevel
CLIENT_SIDE_TOOL_V2_UNSPECIFIED: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_READ_SEMSEARCH_FILES: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_RIPGREP_SEARCH: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_READ_FILE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_LIST_DIR: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_EDIT_FILE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_FILE_SEARCH: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_SEMANTIC_SEARCH_FULL: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_DELETE_FILE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_REAPPLY: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_RUN_TERMINAL_COMMAND_V2: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_FETCH_RULES: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_WEB_SEARCH: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_MCP: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_SEARCH_SYMBOLS: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_BACKGROUND_COMPOSER_FOLLOWUP: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_KNOWLEDGE_BASE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_FETCH_PULL_REQUEST: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_DEEP_SEARCH: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_CREATE_DIAGRAM: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_FIX_LINTS: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_READ_LINTS: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_GO_TO_DEFINITION: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_TASK: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_AWAIT_TASK: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_TODO_READ: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_TODO_WRITE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_EDIT_FILE_V2: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_LIST_DIR_V2: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_READ_FILE_V2: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_RIPGREP_RAW_SEARCH: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_GLOB_FILE_SEARCH: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_CREATE_PLAN: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_LIST_MCP_RESOURCES: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_READ_MCP_RESOURCE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_READ_PROJECT: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_UPDATE_PROJECT: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_TASK_V2: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_CALL_MCP_TOOL: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_APPLY_AGENT_DIFF: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_ASK_QUESTION: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_SWITCH_MODE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_GENERATE_IMAGE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_COMPUTER_USE: ClientSideToolV2
CLIENT_SIDE_TOOL_V2_WRITE_SHELL_STDIN: ClientSideToolV2
FS_UPLOAD_ERROR_TYPE_UNSPECIFIED: FSUploadErrorType
FS_UPLOAD_ERROR_TYPE_NON_EXISTANT: FSUploadErrorType
FS_UPLOAD_ERROR_TYPE_HASH_MISMATCH: FSUploadErrorType
FS_SYNC_ERROR_TYPE_UNSPECIFIED: FSSyncErrorType
FS_SYNC_ERROR_TYPE_NON_EXISTANT: FSSyncErrorType
FS_SYNC_ERROR_TYPE_HASH_MISMATCH: FSSyncErrorType

class StreamUnifiedChatRequestWithTools(_message.Message):
    __slots__ = ("stream_unified_chat_request", "client_side_tool_v2_result")
    STREAM_UNIFIED_CHAT_REQUEST_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SIDE_TOOL_V2_RESULT_FIELD_NUMBER: _ClassVar[int]
    stream_unified_chat_request: StreamUnifiedChatRequest
    client_side_tool_v2_result: ClientSideToolV2Result
    def __init__(self, stream_unified_chat_request: _Optional[_Union[StreamUnifiedChatRequest, _Mapping]] = ..., client_side_tool_v2_result: _Optional[_Union[ClientSideToolV2Result, _Mapping]] = ...) -> None: ...

class StreamUnifiedChatRequest(_message.Message):
    __slots__ = ("conversation", "full_conversation_headers_only", "explicit_context", "model_details", "use_web", "external_links", "should_cache", "current_file", "use_reference_composer_diff_prompt", "use_new_compression_scheme", "is_chat", "conversation_id", "environment_info", "is_agentic", "supported_tools", "mcp_tools", "use_full_inputs_context", "is_resume", "allow_model_fallbacks", "number_of_times_shown_fallback_model_warning", "unified_mode", "tools_requiring_accepted_return", "should_disable_tools", "thinking_level", "uses_rules", "mode_uses_auto_apply", "unified_mode_name")
    class UnifiedMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNIFIED_MODE_UNSPECIFIED: _ClassVar[StreamUnifiedChatRequest.UnifiedMode]
        UNIFIED_MODE_CHAT: _ClassVar[StreamUnifiedChatRequest.UnifiedMode]
        UNIFIED_MODE_AGENT: _ClassVar[StreamUnifiedChatRequest.UnifiedMode]
        UNIFIED_MODE_EDIT: _ClassVar[StreamUnifiedChatRequest.UnifiedMode]
        UNIFIED_MODE_CUSTOM: _ClassVar[StreamUnifiedChatRequest.UnifiedMode]
        UNIFIED_MODE_PLAN: _ClassVar[StreamUnifiedChatRequest.UnifiedMode]
        UNIFIED_MODE_DEBUG: _ClassVar[StreamUnifiedChatRequest.UnifiedMode]
    UNIFIED_MODE_UNSPECIFIED: StreamUnifiedChatRequest.UnifiedMode
    UNIFIED_MODE_CHAT: StreamUnifiedChatRequest.UnifiedMode
    UNIFIED_MODE_AGENT: StreamUnifiedChatRequest.UnifiedMode
    UNIFIED_MODE_EDIT: StreamUnifiedChatRequest.UnifiedMode
    UNIFIED_MODE_CUSTOM: StreamUnifiedChatRequest.UnifiedMode
    UNIFIED_MODE_PLAN: StreamUnifiedChatRequest.UnifiedMode
    UNIFIED_MODE_DEBUG: StreamUnifiedChatRequest.UnifiedMode
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    FULL_CONVERSATION_HEADERS_ONLY_FIELD_NUMBER: _ClassVar[int]
    EXPLICIT_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MODEL_DETAILS_FIELD_NUMBER: _ClassVar[int]
    USE_WEB_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_LINKS_FIELD_NUMBER: _ClassVar[int]
    SHOULD_CACHE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FILE_FIELD_NUMBER: _ClassVar[int]
    USE_REFERENCE_COMPOSER_DIFF_PROMPT_FIELD_NUMBER: _ClassVar[int]
    USE_NEW_COMPRESSION_SCHEME_FIELD_NUMBER: _ClassVar[int]
    IS_CHAT_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_INFO_FIELD_NUMBER: _ClassVar[int]
    IS_AGENTIC_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_TOOLS_FIELD_NUMBER: _ClassVar[int]
    MCP_TOOLS_FIELD_NUMBER: _ClassVar[int]
    USE_FULL_INPUTS_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    IS_RESUME_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MODEL_FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    NUMBER_OF_TIMES_SHOWN_FALLBACK_MODEL_WARNING_FIELD_NUMBER: _ClassVar[int]
    UNIFIED_MODE_FIELD_NUMBER: _ClassVar[int]
    TOOLS_REQUIRING_ACCEPTED_RETURN_FIELD_NUMBER: _ClassVar[int]
    SHOULD_DISABLE_TOOLS_FIELD_NUMBER: _ClassVar[int]
    THINKING_LEVEL_FIELD_NUMBER: _ClassVar[int]
    USES_RULES_FIELD_NUMBER: _ClassVar[int]
    MODE_USES_AUTO_APPLY_FIELD_NUMBER: _ClassVar[int]
    UNIFIED_MODE_NAME_FIELD_NUMBER: _ClassVar[int]
    conversation: _containers.RepeatedCompositeFieldContainer[ConversationMessage]
    full_conversation_headers_only: _containers.RepeatedCompositeFieldContainer[ConversationMessageHeader]
    explicit_context: ExplicitContext
    model_details: ModelDetails
    use_web: str
    external_links: _containers.RepeatedCompositeFieldContainer[ComposerExternalLink]
    should_cache: bool
    current_file: CurrentFileInfo
    use_reference_composer_diff_prompt: bool
    use_new_compression_scheme: bool
    is_chat: bool
    conversation_id: str
    environment_info: EnvironmentInfo
    is_agentic: bool
    supported_tools: _containers.RepeatedScalarFieldContainer[ClientSideToolV2]
    mcp_tools: _containers.RepeatedCompositeFieldContainer[MCPParams.Tool]
    use_full_inputs_context: bool
    is_resume: bool
    allow_model_fallbacks: bool
    number_of_times_shown_fallback_model_warning: int
    unified_mode: StreamUnifiedChatRequest.UnifiedMode
    tools_requiring_accepted_return: _containers.RepeatedScalarFieldContainer[ClientSideToolV2]
    should_disable_tools: bool
    thinking_level: ThinkingLevel
    uses_rules: bool
    mode_uses_auto_apply: bool
    unified_mode_name: str
    def __init__(self, conversation: _Optional[_Iterable[_Union[ConversationMessage, _Mapping]]] = ..., full_conversation_headers_only: _Optional[_Iterable[_Union[ConversationMessageHeader, _Mapping]]] = ..., explicit_context: _Optional[_Union[ExplicitContext, _Mapping]] = ..., model_details: _Optional[_Union[ModelDetails, _Mapping]] = ..., use_web: _Optional[str] = ..., external_links: _Optional[_Iterable[_Union[ComposerExternalLink, _Mapping]]] = ..., should_cache: _Optional[bool] = ..., current_file: _Optional[_Union[CurrentFileInfo, _Mapping]] = ..., use_reference_composer_diff_prompt: _Optional[bool] = ..., use_new_compression_scheme: _Optional[bool] = ..., is_chat: _Optional[bool] = ..., conversation_id: _Optional[str] = ..., environment_info: _Optional[_Union[EnvironmentInfo, _Mapping]] = ..., is_agentic: _Optional[bool] = ..., supported_tools: _Optional[_Iterable[_Union[ClientSideToolV2, str]]] = ..., mcp_tools: _Optional[_Iterable[_Union[MCPParams.Tool, _Mapping]]] = ..., use_full_inputs_context: _Optional[bool] = ..., is_resume: _Optional[bool] = ..., allow_model_fallbacks: _Optional[bool] = ..., number_of_times_shown_fallback_model_warning: _Optional[int] = ..., unified_mode: _Optional[_Union[StreamUnifiedChatRequest.UnifiedMode, str]] = ..., tools_requiring_accepted_return: _Optional[_Iterable[_Union[ClientSideToolV2, str]]] = ..., should_disable_tools: _Optional[bool] = ..., thinking_level: _Optional[_Union[ThinkingLevel, str]] = ..., uses_rules: _Optional[bool] = ..., mode_uses_auto_apply: _Optional[bool] = ..., unified_mode_name: _Optional[str] = ...) -> None: ...

class ConversationMessage(_message.Message):
    __slots__ = ("text", "type", "images", "bubble_id", "server_bubble_id", "tool_results", "is_capability_iteration", "is_agentic", "web_references", "thinking", "all_thinking_blocks", "unified_mode", "supported_tools", "external_links", "use_web", "is_simple_looping_message")
    class MessageType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MESSAGE_TYPE_UNSPECIFIED: _ClassVar[ConversationMessage.MessageType]
        MESSAGE_TYPE_HUMAN: _ClassVar[ConversationMessage.MessageType]
        MESSAGE_TYPE_AI: _ClassVar[ConversationMessage.MessageType]
    MESSAGE_TYPE_UNSPECIFIED: ConversationMessage.MessageType
    MESSAGE_TYPE_HUMAN: ConversationMessage.MessageType
    MESSAGE_TYPE_AI: ConversationMessage.MessageType
    class Thinking(_message.Message):
        __slots__ = ("text", "signature", "redacted_thinking", "is_last_thinking_chunk")
        TEXT_FIELD_NUMBER: _ClassVar[int]
        SIGNATURE_FIELD_NUMBER: _ClassVar[int]
        REDACTED_THINKING_FIELD_NUMBER: _ClassVar[int]
        IS_LAST_THINKING_CHUNK_FIELD_NUMBER: _ClassVar[int]
        text: str
        signature: str
        redacted_thinking: str
        is_last_thinking_chunk: bool
        def __init__(self, text: _Optional[str] = ..., signature: _Optional[str] = ..., redacted_thinking: _Optional[str] = ..., is_last_thinking_chunk: _Optional[bool] = ...) -> None: ...
    class ToolResult(_message.Message):
        __slots__ = ("tool_call_id", "tool_name", "tool_index", "model_call_id", "raw_args", "result", "tool_call")
        TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
        TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
        TOOL_INDEX_FIELD_NUMBER: _ClassVar[int]
        MODEL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
        RAW_ARGS_FIELD_NUMBER: _ClassVar[int]
        RESULT_FIELD_NUMBER: _ClassVar[int]
        TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
        tool_call_id: str
        tool_name: str
        tool_index: int
        model_call_id: str
        raw_args: str
        result: ClientSideToolV2Result
        tool_call: ClientSideToolV2Call
        def __init__(self, tool_call_id: _Optional[str] = ..., tool_name: _Optional[str] = ..., tool_index: _Optional[int] = ..., model_call_id: _Optional[str] = ..., raw_args: _Optional[str] = ..., result: _Optional[_Union[ClientSideToolV2Result, _Mapping]] = ..., tool_call: _Optional[_Union[ClientSideToolV2Call, _Mapping]] = ...) -> None: ...
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    BUBBLE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVER_BUBBLE_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_RESULTS_FIELD_NUMBER: _ClassVar[int]
    IS_CAPABILITY_ITERATION_FIELD_NUMBER: _ClassVar[int]
    IS_AGENTIC_FIELD_NUMBER: _ClassVar[int]
    WEB_REFERENCES_FIELD_NUMBER: _ClassVar[int]
    THINKING_FIELD_NUMBER: _ClassVar[int]
    ALL_THINKING_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    UNIFIED_MODE_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_TOOLS_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_LINKS_FIELD_NUMBER: _ClassVar[int]
    USE_WEB_FIELD_NUMBER: _ClassVar[int]
    IS_SIMPLE_LOOPING_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    text: str
    type: ConversationMessage.MessageType
    images: _containers.RepeatedCompositeFieldContainer[ImageProto]
    bubble_id: str
    server_bubble_id: str
    tool_results: _containers.RepeatedCompositeFieldContainer[ConversationMessage.ToolResult]
    is_capability_iteration: bool
    is_agentic: bool
    web_references: _containers.RepeatedCompositeFieldContainer[WebReference]
    thinking: ConversationMessage.Thinking
    all_thinking_blocks: _containers.RepeatedCompositeFieldContainer[ConversationMessage.Thinking]
    unified_mode: StreamUnifiedChatRequest.UnifiedMode
    supported_tools: _containers.RepeatedScalarFieldContainer[ClientSideToolV2]
    external_links: _containers.RepeatedCompositeFieldContainer[ComposerExternalLink]
    use_web: bool
    is_simple_looping_message: bool
    def __init__(self, text: _Optional[str] = ..., type: _Optional[_Union[ConversationMessage.MessageType, str]] = ..., images: _Optional[_Iterable[_Union[ImageProto, _Mapping]]] = ..., bubble_id: _Optional[str] = ..., server_bubble_id: _Optional[str] = ..., tool_results: _Optional[_Iterable[_Union[ConversationMessage.ToolResult, _Mapping]]] = ..., is_capability_iteration: _Optional[bool] = ..., is_agentic: _Optional[bool] = ..., web_references: _Optional[_Iterable[_Union[WebReference, _Mapping]]] = ..., thinking: _Optional[_Union[ConversationMessage.Thinking, _Mapping]] = ..., all_thinking_blocks: _Optional[_Iterable[_Union[ConversationMessage.Thinking, _Mapping]]] = ..., unified_mode: _Optional[_Union[StreamUnifiedChatRequest.UnifiedMode, str]] = ..., supported_tools: _Optional[_Iterable[_Union[ClientSideToolV2, str]]] = ..., external_links: _Optional[_Iterable[_Union[ComposerExternalLink, _Mapping]]] = ..., use_web: _Optional[bool] = ..., is_simple_looping_message: _Optional[bool] = ...) -> None: ...

class ConversationMessageHeader(_message.Message):
    __slots__ = ("bubble_id", "server_bubble_id", "type")
    BUBBLE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVER_BUBBLE_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    bubble_id: str
    server_bubble_id: str
    type: ConversationMessage.MessageType
    def __init__(self, bubble_id: _Optional[str] = ..., server_bubble_id: _Optional[str] = ..., type: _Optional[_Union[ConversationMessage.MessageType, str]] = ...) -> None: ...

class ImageProto(_message.Message):
    __slots__ = ("data", "dimension", "uuid")
    class Dimension(_message.Message):
        __slots__ = ("width", "height")
        WIDTH_FIELD_NUMBER: _ClassVar[int]
        HEIGHT_FIELD_NUMBER: _ClassVar[int]
        width: int
        height: int
        def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    dimension: ImageProto.Dimension
    uuid: str
    def __init__(self, data: _Optional[bytes] = ..., dimension: _Optional[_Union[ImageProto.Dimension, _Mapping]] = ..., uuid: _Optional[str] = ...) -> None: ...

class ExplicitContext(_message.Message):
    __slots__ = ("context", "repo_context", "mode_specific_context")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    REPO_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MODE_SPECIFIC_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: str
    repo_context: str
    mode_specific_context: str
    def __init__(self, context: _Optional[str] = ..., repo_context: _Optional[str] = ..., mode_specific_context: _Optional[str] = ...) -> None: ...

class ModelDetails(_message.Message):
    __slots__ = ("model_name", "azure_state", "enable_slow_pool", "max_mode")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    AZURE_STATE_FIELD_NUMBER: _ClassVar[int]
    ENABLE_SLOW_POOL_FIELD_NUMBER: _ClassVar[int]
    MAX_MODE_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    azure_state: AzureState
    enable_slow_pool: bool
    max_mode: bool
    def __init__(self, model_name: _Optional[str] = ..., azure_state: _Optional[_Union[AzureState, _Mapping]] = ..., enable_slow_pool: _Optional[bool] = ..., max_mode: _Optional[bool] = ...) -> None: ...

class AzureState(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CursorPosition(_message.Message):
    __slots__ = ("line", "column")
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    line: int
    column: int
    def __init__(self, line: _Optional[int] = ..., column: _Optional[int] = ...) -> None: ...

class CursorRange(_message.Message):
    __slots__ = ("start_position", "end_position")
    START_POSITION_FIELD_NUMBER: _ClassVar[int]
    END_POSITION_FIELD_NUMBER: _ClassVar[int]
    start_position: CursorPosition
    end_position: CursorPosition
    def __init__(self, start_position: _Optional[_Union[CursorPosition, _Mapping]] = ..., end_position: _Optional[_Union[CursorPosition, _Mapping]] = ...) -> None: ...

class SimplestRange(_message.Message):
    __slots__ = ("start_line", "end_line_inclusive")
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    END_LINE_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    start_line: int
    end_line_inclusive: int
    def __init__(self, start_line: _Optional[int] = ..., end_line_inclusive: _Optional[int] = ...) -> None: ...

class Diagnostic(_message.Message):
    __slots__ = ("message", "range", "severity", "related_information")
    class DiagnosticSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DIAGNOSTIC_SEVERITY_UNSPECIFIED: _ClassVar[Diagnostic.DiagnosticSeverity]
        DIAGNOSTIC_SEVERITY_ERROR: _ClassVar[Diagnostic.DiagnosticSeverity]
        DIAGNOSTIC_SEVERITY_WARNING: _ClassVar[Diagnostic.DiagnosticSeverity]
        DIAGNOSTIC_SEVERITY_INFORMATION: _ClassVar[Diagnostic.DiagnosticSeverity]
        DIAGNOSTIC_SEVERITY_HINT: _ClassVar[Diagnostic.DiagnosticSeverity]
    DIAGNOSTIC_SEVERITY_UNSPECIFIED: Diagnostic.DiagnosticSeverity
    DIAGNOSTIC_SEVERITY_ERROR: Diagnostic.DiagnosticSeverity
    DIAGNOSTIC_SEVERITY_WARNING: Diagnostic.DiagnosticSeverity
    DIAGNOSTIC_SEVERITY_INFORMATION: Diagnostic.DiagnosticSeverity
    DIAGNOSTIC_SEVERITY_HINT: Diagnostic.DiagnosticSeverity
    class RelatedInformation(_message.Message):
        __slots__ = ("message", "range")
        MESSAGE_FIELD_NUMBER: _ClassVar[int]
        RANGE_FIELD_NUMBER: _ClassVar[int]
        message: str
        range: CursorRange
        def __init__(self, message: _Optional[str] = ..., range: _Optional[_Union[CursorRange, _Mapping]] = ...) -> None: ...
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RELATED_INFORMATION_FIELD_NUMBER: _ClassVar[int]
    message: str
    range: CursorRange
    severity: Diagnostic.DiagnosticSeverity
    related_information: _containers.RepeatedCompositeFieldContainer[Diagnostic.RelatedInformation]
    def __init__(self, message: _Optional[str] = ..., range: _Optional[_Union[CursorRange, _Mapping]] = ..., severity: _Optional[_Union[Diagnostic.DiagnosticSeverity, str]] = ..., related_information: _Optional[_Iterable[_Union[Diagnostic.RelatedInformation, _Mapping]]] = ...) -> None: ...

class LinterError(_message.Message):
    __slots__ = ("message", "range", "source", "related_information", "severity", "is_stale")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RELATED_INFORMATION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    IS_STALE_FIELD_NUMBER: _ClassVar[int]
    message: str
    range: CursorRange
    source: str
    related_information: _containers.RepeatedCompositeFieldContainer[Diagnostic.RelatedInformation]
    severity: Diagnostic.DiagnosticSeverity
    is_stale: bool
    def __init__(self, message: _Optional[str] = ..., range: _Optional[_Union[CursorRange, _Mapping]] = ..., source: _Optional[str] = ..., related_information: _Optional[_Iterable[_Union[Diagnostic.RelatedInformation, _Mapping]]] = ..., severity: _Optional[_Union[Diagnostic.DiagnosticSeverity, str]] = ..., is_stale: _Optional[bool] = ...) -> None: ...

class LinterErrors(_message.Message):
    __slots__ = ("relative_workspace_path", "errors", "file_contents")
    RELATIVE_WORKSPACE_PATH_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    FILE_CONTENTS_FIELD_NUMBER: _ClassVar[int]
    relative_workspace_path: str
    errors: _containers.RepeatedCompositeFieldContainer[LinterError]
    file_contents: str
    def __init__(self, relative_workspace_path: _Optional[str] = ..., errors: _Optional[_Iterable[_Union[LinterError, _Mapping]]] = ..., file_contents: _Optional[str] = ...) -> None: ...

class BM25Chunk(_message.Message):
    __slots__ = ("content", "range", "score", "relative_path")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_PATH_FIELD_NUMBER: _ClassVar[int]
    content: str
    range: SimplestRange
    score: int
    relative_path: str
    def __init__(self, content: _Optional[str] = ..., range: _Optional[_Union[SimplestRange, _Mapping]] = ..., score: _Optional[int] = ..., relative_path: _Optional[str] = ...) -> None: ...

class DataframeInfo(_message.Message):
    __slots__ = ("name", "shape", "data_dimensionality", "columns", "row_count", "index_column")
    class Column(_message.Message):
        __slots__ = ("key", "type")
        KEY_FIELD_NUMBER: _ClassVar[int]
        TYPE_FIELD_NUMBER: _ClassVar[int]
        key: str
        type: str
        def __init__(self, key: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    DATA_DIMENSIONALITY_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    INDEX_COLUMN_FIELD_NUMBER: _ClassVar[int]
    name: str
    shape: str
    data_dimensionality: int
    columns: _containers.RepeatedCompositeFieldContainer[DataframeInfo.Column]
    row_count: int
    index_column: str
    def __init__(self, name: _Optional[str] = ..., shape: _Optional[str] = ..., data_dimensionality: _Optional[int] = ..., columns: _Optional[_Iterable[_Union[DataframeInfo.Column, _Mapping]]] = ..., row_count: _Optional[int] = ..., index_column: _Optional[str] = ...) -> None: ...

class CurrentFileInfo(_message.Message):
    __slots__ = ("relative_workspace_path", "contents", "cursor_position", "dataframes", "language_id", "selection", "diagnostics", "total_number_of_lines", "contents_start_at_line", "top_chunks", "alternative_version_id", "file_version", "sha_256_hash", "rely_on_filesync", "workspace_root_path", "line_ending")
    RELATIVE_WORKSPACE_PATH_FIELD_NUMBER: _ClassVar[int]
    CONTENTS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_POSITION_FIELD_NUMBER: _ClassVar[int]
    DATAFRAMES_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_NUMBER_OF_LINES_FIELD_NUMBER: _ClassVar[int]
    CONTENTS_START_AT_LINE_FIELD_NUMBER: _ClassVar[int]
    TOP_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVE_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA_256_HASH_FIELD_NUMBER: _ClassVar[int]
    RELY_ON_FILESYNC_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ROOT_PATH_FIELD_NUMBER: _ClassVar[int]
    LINE_ENDING_FIELD_NUMBER: _ClassVar[int]
    relative_workspace_path: str
    contents: str
    cursor_position: CursorPosition
    dataframes: _containers.RepeatedCompositeFieldContainer[DataframeInfo]
    language_id: str
    selection: CursorRange
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    total_number_of_lines: int
    contents_start_at_line: int
    top_chunks: _containers.RepeatedCompositeFieldContainer[BM25Chunk]
    alternative_version_id: int
    file_version: int
    sha_256_hash: str
    rely_on_filesync: bool
    workspace_root_path: str
    line_ending: str
    def __init__(self, relative_workspace_path: _Optional[str] = ..., contents: _Optional[str] = ..., cursor_position: _Optional[_Union[CursorPosition, _Mapping]] = ..., dataframes: _Optional[_Iterable[_Union[DataframeInfo, _Mapping]]] = ..., language_id: _Optional[str] = ..., selection: _Optional[_Union[CursorRange, _Mapping]] = ..., diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ..., total_number_of_lines: _Optional[int] = ..., contents_start_at_line: _Optional[int] = ..., top_chunks: _Optional[_Iterable[_Union[BM25Chunk, _Mapping]]] = ..., alternative_version_id: _Optional[int] = ..., file_version: _Optional[int] = ..., sha_256_hash: _Optional[str] = ..., rely_on_filesync: _Optional[bool] = ..., workspace_root_path: _Optional[str] = ..., line_ending: _Optional[str] = ...) -> None: ...

class EnvironmentInfo(_message.Message):
    __slots__ = ("exthost_platform", "exthost_arch", "exthost_release", "exthost_shell", "local_timestamp", "workspace_uris", "cursor_version")
    EXTHOST_PLATFORM_FIELD_NUMBER: _ClassVar[int]
    EXTHOST_ARCH_FIELD_NUMBER: _ClassVar[int]
    EXTHOST_RELEASE_FIELD_NUMBER: _ClassVar[int]
    EXTHOST_SHELL_FIELD_NUMBER: _ClassVar[int]
    LOCAL_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_URIS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    exthost_platform: str
    exthost_arch: str
    exthost_release: str
    exthost_shell: str
    local_timestamp: str
    workspace_uris: _containers.RepeatedScalarFieldContainer[str]
    cursor_version: bytes
    def __init__(self, exthost_platform: _Optional[str] = ..., exthost_arch: _Optional[str] = ..., exthost_release: _Optional[str] = ..., exthost_shell: _Optional[str] = ..., local_timestamp: _Optional[str] = ..., workspace_uris: _Optional[_Iterable[str]] = ..., cursor_version: _Optional[bytes] = ...) -> None: ...

class ComposerExternalLink(_message.Message):
    __slots__ = ("url", "uuid", "pdf_content", "is_pdf", "filename")
    URL_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    PDF_CONTENT_FIELD_NUMBER: _ClassVar[int]
    IS_PDF_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    url: str
    uuid: str
    pdf_content: str
    is_pdf: bool
    filename: str
    def __init__(self, url: _Optional[str] = ..., uuid: _Optional[str] = ..., pdf_content: _Optional[str] = ..., is_pdf: _Optional[bool] = ..., filename: _Optional[str] = ...) -> None: ...

class WebReference(_message.Message):
    __slots__ = ("url", "title", "chunk")
    URL_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    url: str
    title: str
    chunk: str
    def __init__(self, url: _Optional[str] = ..., title: _Optional[str] = ..., chunk: _Optional[str] = ...) -> None: ...

class WebCitation(_message.Message):
    __slots__ = ("references",)
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    references: _containers.RepeatedCompositeFieldContainer[WebReference]
    def __init__(self, references: _Optional[_Iterable[_Union[WebReference, _Mapping]]] = ...) -> None: ...

class MCPParams(_message.Message):
    __slots__ = ("tools",)
    class Tool(_message.Message):
        __slots__ = ("name", "description", "parameters", "server_name")
        NAME_FIELD_NUMBER: _ClassVar[int]
        DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
        PARAMETERS_FIELD_NUMBER: _ClassVar[int]
        SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
        name: str
        description: str
        parameters: str
        server_name: str
        def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[str] = ..., server_name: _Optional[str] = ...) -> None: ...
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    tools: _containers.RepeatedCompositeFieldContainer[MCPParams.Tool]
    def __init__(self, tools: _Optional[_Iterable[_Union[MCPParams.Tool, _Mapping]]] = ...) -> None: ...

class MCPResult(_message.Message):
    __slots__ = ("selected_tool", "result")
    SELECTED_TOOL_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    selected_tool: str
    result: str
    def __init__(self, selected_tool: _Optional[str] = ..., result: _Optional[str] = ...) -> None: ...

class ClientSideToolV2Call(_message.Message):
    __slots__ = ("tool", "mcp_params", "tool_call_id", "timeout_ms", "name", "raw_args", "is_streaming", "is_last_message", "tool_index", "model_call_id")
    TOOL_FIELD_NUMBER: _ClassVar[int]
    MCP_PARAMS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RAW_ARGS_FIELD_NUMBER: _ClassVar[int]
    IS_STREAMING_FIELD_NUMBER: _ClassVar[int]
    IS_LAST_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TOOL_INDEX_FIELD_NUMBER: _ClassVar[int]
    MODEL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    tool: ClientSideToolV2
    mcp_params: MCPParams
    tool_call_id: str
    timeout_ms: float
    name: str
    raw_args: str
    is_streaming: bool
    is_last_message: bool
    tool_index: int
    model_call_id: str
    def __init__(self, tool: _Optional[_Union[ClientSideToolV2, str]] = ..., mcp_params: _Optional[_Union[MCPParams, _Mapping]] = ..., tool_call_id: _Optional[str] = ..., timeout_ms: _Optional[float] = ..., name: _Optional[str] = ..., raw_args: _Optional[str] = ..., is_streaming: _Optional[bool] = ..., is_last_message: _Optional[bool] = ..., tool_index: _Optional[int] = ..., model_call_id: _Optional[str] = ...) -> None: ...

class ClientSideToolV2Result(_message.Message):
    __slots__ = ("tool", "mcp_result", "tool_call_id", "model_call_id", "tool_index")
    TOOL_FIELD_NUMBER: _ClassVar[int]
    MCP_RESULT_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_INDEX_FIELD_NUMBER: _ClassVar[int]
    tool: ClientSideToolV2
    mcp_result: MCPResult
    tool_call_id: str
    model_call_id: str
    tool_index: int
    def __init__(self, tool: _Optional[_Union[ClientSideToolV2, str]] = ..., mcp_result: _Optional[_Union[MCPResult, _Mapping]] = ..., tool_call_id: _Optional[str] = ..., model_call_id: _Optional[str] = ..., tool_index: _Optional[int] = ...) -> None: ...

class StreamUnifiedChatResponseWithTools(_message.Message):
    __slots__ = ("client_side_tool_v2_call", "stream_unified_chat_response")
    CLIENT_SIDE_TOOL_V2_CALL_FIELD_NUMBER: _ClassVar[int]
    STREAM_UNIFIED_CHAT_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    client_side_tool_v2_call: ClientSideToolV2Call
    stream_unified_chat_response: StreamUnifiedChatResponse
    def __init__(self, client_side_tool_v2_call: _Optional[_Union[ClientSideToolV2Call, _Mapping]] = ..., stream_unified_chat_response: _Optional[_Union[StreamUnifiedChatResponse, _Mapping]] = ...) -> None: ...

class StreamUnifiedChatResponse(_message.Message):
    __slots__ = ("text", "filled_prompt", "web_citation", "tool_call_echo", "tool_call_announcement", "tool_result_echo", "bubble_id", "thinking", "conversation_id", "context_window_status", "unknown_flag_32")
    class ToolCallAnnouncement(_message.Message):
        __slots__ = ("tool", "tool_call_id", "name")
        TOOL_FIELD_NUMBER: _ClassVar[int]
        TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
        NAME_FIELD_NUMBER: _ClassVar[int]
        tool: ClientSideToolV2
        tool_call_id: str
        name: str
        def __init__(self, tool: _Optional[_Union[ClientSideToolV2, str]] = ..., tool_call_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...
    class ToolCallEcho(_message.Message):
        __slots__ = ("tool", "tool_call_id", "name", "raw_args")
        TOOL_FIELD_NUMBER: _ClassVar[int]
        TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
        NAME_FIELD_NUMBER: _ClassVar[int]
        RAW_ARGS_FIELD_NUMBER: _ClassVar[int]
        tool: ClientSideToolV2
        tool_call_id: str
        name: str
        raw_args: str
        def __init__(self, tool: _Optional[_Union[ClientSideToolV2, str]] = ..., tool_call_id: _Optional[str] = ..., name: _Optional[str] = ..., raw_args: _Optional[str] = ...) -> None: ...
    class ToolResultEcho(_message.Message):
        __slots__ = ("tool_call_id", "result")
        TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
        RESULT_FIELD_NUMBER: _ClassVar[int]
        tool_call_id: str
        result: ClientSideToolV2Result
        def __init__(self, tool_call_id: _Optional[str] = ..., result: _Optional[_Union[ClientSideToolV2Result, _Mapping]] = ...) -> None: ...
    class ContextWindowStatus(_message.Message):
        __slots__ = ("percent_remaining", "tokens_used", "window_size")
        PERCENT_REMAINING_FIELD_NUMBER: _ClassVar[int]
        TOKENS_USED_FIELD_NUMBER: _ClassVar[int]
        WINDOW_SIZE_FIELD_NUMBER: _ClassVar[int]
        percent_remaining: int
        tokens_used: int
        window_size: int
        def __init__(self, percent_remaining: _Optional[int] = ..., tokens_used: _Optional[int] = ..., window_size: _Optional[int] = ...) -> None: ...
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FILLED_PROMPT_FIELD_NUMBER: _ClassVar[int]
    WEB_CITATION_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_ECHO_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_ANNOUNCEMENT_FIELD_NUMBER: _ClassVar[int]
    TOOL_RESULT_ECHO_FIELD_NUMBER: _ClassVar[int]
    BUBBLE_ID_FIELD_NUMBER: _ClassVar[int]
    THINKING_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_WINDOW_STATUS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_FLAG_32_FIELD_NUMBER: _ClassVar[int]
    text: str
    filled_prompt: str
    web_citation: WebCitation
    tool_call_echo: StreamUnifiedChatResponse.ToolCallEcho
    tool_call_announcement: StreamUnifiedChatResponse.ToolCallAnnouncement
    tool_result_echo: StreamUnifiedChatResponse.ToolResultEcho
    bubble_id: str
    thinking: ConversationMessage.Thinking
    conversation_id: str
    context_window_status: StreamUnifiedChatResponse.ContextWindowStatus
    unknown_flag_32: int
    def __init__(self, text: _Optional[str] = ..., filled_prompt: _Optional[str] = ..., web_citation: _Optional[_Union[WebCitation, _Mapping]] = ..., tool_call_echo: _Optional[_Union[StreamUnifiedChatResponse.ToolCallEcho, _Mapping]] = ..., tool_call_announcement: _Optional[_Union[StreamUnifiedChatResponse.ToolCallAnnouncement, _Mapping]] = ..., tool_result_echo: _Optional[_Union[StreamUnifiedChatResponse.ToolResultEcho, _Mapping]] = ..., bubble_id: _Optional[str] = ..., thinking: _Optional[_Union[ConversationMessage.Thinking, _Mapping]] = ..., conversation_id: _Optional[str] = ..., context_window_status: _Optional[_Union[StreamUnifiedChatResponse.ContextWindowStatus, _Mapping]] = ..., unknown_flag_32: _Optional[int] = ...) -> None: ...

class TokenCount(_message.Message):
    __slots__ = ("num_tokens",)
    NUM_TOKENS_FIELD_NUMBER: _ClassVar[int]
    num_tokens: int
    def __init__(self, num_tokens: _Optional[int] = ...) -> None: ...

class GetPromptDryRunResponse(_message.Message):
    __slots__ = ("user_message_token_count", "full_conversation_token_count")
    USER_MESSAGE_TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    FULL_CONVERSATION_TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    user_message_token_count: TokenCount
    full_conversation_token_count: TokenCount
    def __init__(self, user_message_token_count: _Optional[_Union[TokenCount, _Mapping]] = ..., full_conversation_token_count: _Optional[_Union[TokenCount, _Mapping]] = ...) -> None: ...

class AvailableModelsRequest(_message.Message):
    __slots__ = ("is_nightly", "include_long_context_models", "exclude_max_named_models", "additional_model_names")
    IS_NIGHTLY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_LONG_CONTEXT_MODELS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_MAX_NAMED_MODELS_FIELD_NUMBER: _ClassVar[int]
    ADDITIONAL_MODEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    is_nightly: bool
    include_long_context_models: bool
    exclude_max_named_models: bool
    additional_model_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, is_nightly: _Optional[bool] = ..., include_long_context_models: _Optional[bool] = ..., exclude_max_named_models: _Optional[bool] = ..., additional_model_names: _Optional[_Iterable[str]] = ...) -> None: ...

class AvailableModelsResponse(_message.Message):
    __slots__ = ("models",)
    class TooltipData(_message.Message):
        __slots__ = ("primary_text", "secondary_text", "secondary_warning_text", "icon", "tertiary_text", "tertiary_text_url", "markdown_content")
        PRIMARY_TEXT_FIELD_NUMBER: _ClassVar[int]
        SECONDARY_TEXT_FIELD_NUMBER: _ClassVar[int]
        SECONDARY_WARNING_TEXT_FIELD_NUMBER: _ClassVar[int]
        ICON_FIELD_NUMBER: _ClassVar[int]
        TERTIARY_TEXT_FIELD_NUMBER: _ClassVar[int]
        TERTIARY_TEXT_URL_FIELD_NUMBER: _ClassVar[int]
        MARKDOWN_CONTENT_FIELD_NUMBER: _ClassVar[int]
        primary_text: str
        secondary_text: str
        secondary_warning_text: bool
        icon: str
        tertiary_text: str
        tertiary_text_url: str
        markdown_content: str
        def __init__(self, primary_text: _Optional[str] = ..., secondary_text: _Optional[str] = ..., secondary_warning_text: _Optional[bool] = ..., icon: _Optional[str] = ..., tertiary_text: _Optional[str] = ..., tertiary_text_url: _Optional[str] = ..., markdown_content: _Optional[str] = ...) -> None: ...
    class AvailableModel(_message.Message):
        __slots__ = ("name", "default_on", "is_long_context_only", "is_chat_only", "supports_agent", "degradation_status", "price", "tooltip_data", "supports_thinking", "supports_images", "supports_auto_context", "auto_context_max_tokens", "auto_context_extended_max_tokens", "supports_max_mode", "context_token_limit", "context_token_limit_for_max_mode", "client_display_name", "server_model_name", "supports_non_max_mode", "tooltip_data_for_max_mode", "is_recommended_for_background_composer", "supports_plan_mode", "is_user_added", "inputbox_short_model_name", "supports_sandboxing", "supports_cmd_k", "only_supports_cmd_k", "background_composer_sort_order")
        class DegradationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = ()
            DEGRADATION_STATUS_UNSPECIFIED: _ClassVar[AvailableModelsResponse.AvailableModel.DegradationStatus]
            DEGRADATION_STATUS_DEGRADED: _ClassVar[AvailableModelsResponse.AvailableModel.DegradationStatus]
            DEGRADATION_STATUS_DISABLED: _ClassVar[AvailableModelsResponse.AvailableModel.DegradationStatus]
        DEGRADATION_STATUS_UNSPECIFIED: AvailableModelsResponse.AvailableModel.DegradationStatus
        DEGRADATION_STATUS_DEGRADED: AvailableModelsResponse.AvailableModel.DegradationStatus
        DEGRADATION_STATUS_DISABLED: AvailableModelsResponse.AvailableModel.DegradationStatus
        NAME_FIELD_NUMBER: _ClassVar[int]
        DEFAULT_ON_FIELD_NUMBER: _ClassVar[int]
        IS_LONG_CONTEXT_ONLY_FIELD_NUMBER: _ClassVar[int]
        IS_CHAT_ONLY_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_AGENT_FIELD_NUMBER: _ClassVar[int]
        DEGRADATION_STATUS_FIELD_NUMBER: _ClassVar[int]
        PRICE_FIELD_NUMBER: _ClassVar[int]
        TOOLTIP_DATA_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_THINKING_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_IMAGES_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_AUTO_CONTEXT_FIELD_NUMBER: _ClassVar[int]
        AUTO_CONTEXT_MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
        AUTO_CONTEXT_EXTENDED_MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_MAX_MODE_FIELD_NUMBER: _ClassVar[int]
        CONTEXT_TOKEN_LIMIT_FIELD_NUMBER: _ClassVar[int]
        CONTEXT_TOKEN_LIMIT_FOR_MAX_MODE_FIELD_NUMBER: _ClassVar[int]
        CLIENT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
        SERVER_MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_NON_MAX_MODE_FIELD_NUMBER: _ClassVar[int]
        TOOLTIP_DATA_FOR_MAX_MODE_FIELD_NUMBER: _ClassVar[int]
        IS_RECOMMENDED_FOR_BACKGROUND_COMPOSER_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_PLAN_MODE_FIELD_NUMBER: _ClassVar[int]
        IS_USER_ADDED_FIELD_NUMBER: _ClassVar[int]
        INPUTBOX_SHORT_MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_SANDBOXING_FIELD_NUMBER: _ClassVar[int]
        SUPPORTS_CMD_K_FIELD_NUMBER: _ClassVar[int]
        ONLY_SUPPORTS_CMD_K_FIELD_NUMBER: _ClassVar[int]
        BACKGROUND_COMPOSER_SORT_ORDER_FIELD_NUMBER: _ClassVar[int]
        name: str
        default_on: bool
        is_long_context_only: bool
        is_chat_only: bool
        supports_agent: bool
        degradation_status: AvailableModelsResponse.AvailableModel.DegradationStatus
        price: float
        tooltip_data: AvailableModelsResponse.TooltipData
        supports_thinking: bool
        supports_images: bool
        supports_auto_context: bool
        auto_context_max_tokens: int
        auto_context_extended_max_tokens: int
        supports_max_mode: bool
        context_token_limit: int
        context_token_limit_for_max_mode: int
        client_display_name: str
        server_model_name: str
        supports_non_max_mode: bool
        tooltip_data_for_max_mode: AvailableModelsResponse.TooltipData
        is_recommended_for_background_composer: bool
        supports_plan_mode: bool
        is_user_added: bool
        inputbox_short_model_name: str
        supports_sandboxing: bool
        supports_cmd_k: bool
        only_supports_cmd_k: bool
        background_composer_sort_order: int
        def __init__(self, name: _Optional[str] = ..., default_on: _Optional[bool] = ..., is_long_context_only: _Optional[bool] = ..., is_chat_only: _Optional[bool] = ..., supports_agent: _Optional[bool] = ..., degradation_status: _Optional[_Union[AvailableModelsResponse.AvailableModel.DegradationStatus, str]] = ..., price: _Optional[float] = ..., tooltip_data: _Optional[_Union[AvailableModelsResponse.TooltipData, _Mapping]] = ..., supports_thinking: _Optional[bool] = ..., supports_images: _Optional[bool] = ..., supports_auto_context: _Optional[bool] = ..., auto_context_max_tokens: _Optional[int] = ..., auto_context_extended_max_tokens: _Optional[int] = ..., supports_max_mode: _Optional[bool] = ..., context_token_limit: _Optional[int] = ..., context_token_limit_for_max_mode: _Optional[int] = ..., client_display_name: _Optional[str] = ..., server_model_name: _Optional[str] = ..., supports_non_max_mode: _Optional[bool] = ..., tooltip_data_for_max_mode: _Optional[_Union[AvailableModelsResponse.TooltipData, _Mapping]] = ..., is_recommended_for_background_composer: _Optional[bool] = ..., supports_plan_mode: _Optional[bool] = ..., is_user_added: _Optional[bool] = ..., inputbox_short_model_name: _Optional[str] = ..., supports_sandboxing: _Optional[bool] = ..., supports_cmd_k: _Optional[bool] = ..., only_supports_cmd_k: _Optional[bool] = ..., background_composer_sort_order: _Optional[int] = ...) -> None: ...
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[AvailableModelsResponse.AvailableModel]
    def __init__(self, models: _Optional[_Iterable[_Union[AvailableModelsResponse.AvailableModel, _Mapping]]] = ...) -> None: ...

class GetServerConfigRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServerConfigResponse(_message.Message):
    __slots__ = ("config_version",)
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    config_version: str
    def __init__(self, config_version: _Optional[str] = ...) -> None: ...

class CppConfigRequest(_message.Message):
    __slots__ = ("is_nightly", "model", "supports_cpt")
    IS_NIGHTLY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_CPT_FIELD_NUMBER: _ClassVar[int]
    is_nightly: bool
    model: str
    supports_cpt: bool
    def __init__(self, is_nightly: _Optional[bool] = ..., model: _Optional[str] = ..., supports_cpt: _Optional[bool] = ...) -> None: ...

class CppConfigResponse(_message.Message):
    __slots__ = ("above_radius", "below_radius", "merge_behavior", "is_on", "is_ghost_text", "should_let_user_enable_cpp_even_if_not_pro", "heuristics", "exclude_recently_viewed_files_patterns", "enable_rvf_tracking", "global_debounce_duration_millis", "client_debounce_duration_millis", "cpp_url", "use_whitespace_diff_history", "import_prediction_config", "enable_filesync_debounce_skipping", "check_filesync_hash_percent", "geo_cpp_backend_url", "recently_rejected_edit_thresholds", "is_fused_cursor_prediction_model", "include_unchanged_lines", "should_fetch_rvf_text", "max_number_of_cleared_suggestions_since_last_accept", "suggestion_hint_config", "allows_tab_chunks", "tab_context_refresh_debounce_ms", "tab_context_refresh_editor_change_debounce_ms")
    class Heuristic(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        HEURISTIC_UNSPECIFIED: _ClassVar[CppConfigResponse.Heuristic]
        HEURISTIC_LOTS_OF_ADDED_TEXT: _ClassVar[CppConfigResponse.Heuristic]
        HEURISTIC_DUPLICATING_LINE_AFTER_SUGGESTION: _ClassVar[CppConfigResponse.Heuristic]
        HEURISTIC_DUPLICATING_MULTIPLE_LINES_AFTER_SUGGESTION: _ClassVar[CppConfigResponse.Heuristic]
        HEURISTIC_REVERTING_USER_CHANGE: _ClassVar[CppConfigResponse.Heuristic]
        HEURISTIC_OUTPUT_EXTENDS_BEYOND_RANGE_AND_IS_REPEATED: _ClassVar[CppConfigResponse.Heuristic]
        HEURISTIC_SUGGESTING_RECENTLY_REJECTED_EDIT: _ClassVar[CppConfigResponse.Heuristic]
    HEURISTIC_UNSPECIFIED: CppConfigResponse.Heuristic
    HEURISTIC_LOTS_OF_ADDED_TEXT: CppConfigResponse.Heuristic
    HEURISTIC_DUPLICATING_LINE_AFTER_SUGGESTION: CppConfigResponse.Heuristic
    HEURISTIC_DUPLICATING_MULTIPLE_LINES_AFTER_SUGGESTION: CppConfigResponse.Heuristic
    HEURISTIC_REVERTING_USER_CHANGE: CppConfigResponse.Heuristic
    HEURISTIC_OUTPUT_EXTENDS_BEYOND_RANGE_AND_IS_REPEATED: CppConfigResponse.Heuristic
    HEURISTIC_SUGGESTING_RECENTLY_REJECTED_EDIT: CppConfigResponse.Heuristic
    class MergeBehavior(_message.Message):
        __slots__ = ("type", "limit", "radius")
        TYPE_FIELD_NUMBER: _ClassVar[int]
        LIMIT_FIELD_NUMBER: _ClassVar[int]
        RADIUS_FIELD_NUMBER: _ClassVar[int]
        type: str
        limit: int
        radius: int
        def __init__(self, type: _Optional[str] = ..., limit: _Optional[int] = ..., radius: _Optional[int] = ...) -> None: ...
    class ImportPredictionConfig(_message.Message):
        __slots__ = ("is_disabled_by_backend", "should_turn_on_automatically", "python_enabled")
        IS_DISABLED_BY_BACKEND_FIELD_NUMBER: _ClassVar[int]
        SHOULD_TURN_ON_AUTOMATICALLY_FIELD_NUMBER: _ClassVar[int]
        PYTHON_ENABLED_FIELD_NUMBER: _ClassVar[int]
        is_disabled_by_backend: bool
        should_turn_on_automatically: bool
        python_enabled: bool
        def __init__(self, is_disabled_by_backend: _Optional[bool] = ..., should_turn_on_automatically: _Optional[bool] = ..., python_enabled: _Optional[bool] = ...) -> None: ...
    class RecentlyRejectedEditThresholds(_message.Message):
        __slots__ = ("hard_reject_threshold", "soft_reject_threshold")
        HARD_REJECT_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
        SOFT_REJECT_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
        hard_reject_threshold: int
        soft_reject_threshold: int
        def __init__(self, hard_reject_threshold: _Optional[int] = ..., soft_reject_threshold: _Optional[int] = ...) -> None: ...
    class SuggestionHintConfig(_message.Message):
        __slots__ = ("important_lsp_extensions", "enabled_for_path_extensions")
        IMPORTANT_LSP_EXTENSIONS_FIELD_NUMBER: _ClassVar[int]
        ENABLED_FOR_PATH_EXTENSIONS_FIELD_NUMBER: _ClassVar[int]
        important_lsp_extensions: _containers.RepeatedScalarFieldContainer[str]
        enabled_for_path_extensions: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, important_lsp_extensions: _Optional[_Iterable[str]] = ..., enabled_for_path_extensions: _Optional[_Iterable[str]] = ...) -> None: ...
    ABOVE_RADIUS_FIELD_NUMBER: _ClassVar[int]
    BELOW_RADIUS_FIELD_NUMBER: _ClassVar[int]
    MERGE_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    IS_ON_FIELD_NUMBER: _ClassVar[int]
    IS_GHOST_TEXT_FIELD_NUMBER: _ClassVar[int]
    SHOULD_LET_USER_ENABLE_CPP_EVEN_IF_NOT_PRO_FIELD_NUMBER: _ClassVar[int]
    HEURISTICS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_RECENTLY_VIEWED_FILES_PATTERNS_FIELD_NUMBER: _ClassVar[int]
    ENABLE_RVF_TRACKING_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_DEBOUNCE_DURATION_MILLIS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_DEBOUNCE_DURATION_MILLIS_FIELD_NUMBER: _ClassVar[int]
    CPP_URL_FIELD_NUMBER: _ClassVar[int]
    USE_WHITESPACE_DIFF_HISTORY_FIELD_NUMBER: _ClassVar[int]
    IMPORT_PREDICTION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    ENABLE_FILESYNC_DEBOUNCE_SKIPPING_FIELD_NUMBER: _ClassVar[int]
    CHECK_FILESYNC_HASH_PERCENT_FIELD_NUMBER: _ClassVar[int]
    GEO_CPP_BACKEND_URL_FIELD_NUMBER: _ClassVar[int]
    RECENTLY_REJECTED_EDIT_THRESHOLDS_FIELD_NUMBER: _ClassVar[int]
    IS_FUSED_CURSOR_PREDICTION_MODEL_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_UNCHANGED_LINES_FIELD_NUMBER: _ClassVar[int]
    SHOULD_FETCH_RVF_TEXT_FIELD_NUMBER: _ClassVar[int]
    MAX_NUMBER_OF_CLEARED_SUGGESTIONS_SINCE_LAST_ACCEPT_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_HINT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    ALLOWS_TAB_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    TAB_CONTEXT_REFRESH_DEBOUNCE_MS_FIELD_NUMBER: _ClassVar[int]
    TAB_CONTEXT_REFRESH_EDITOR_CHANGE_DEBOUNCE_MS_FIELD_NUMBER: _ClassVar[int]
    above_radius: int
    below_radius: int
    merge_behavior: CppConfigResponse.MergeBehavior
    is_on: bool
    is_ghost_text: bool
    should_let_user_enable_cpp_even_if_not_pro: bool
    heuristics: _containers.RepeatedScalarFieldContainer[CppConfigResponse.Heuristic]
    exclude_recently_viewed_files_patterns: _containers.RepeatedScalarFieldContainer[str]
    enable_rvf_tracking: bool
    global_debounce_duration_millis: int
    client_debounce_duration_millis: int
    cpp_url: str
    use_whitespace_diff_history: bool
    import_prediction_config: CppConfigResponse.ImportPredictionConfig
    enable_filesync_debounce_skipping: bool
    check_filesync_hash_percent: float
    geo_cpp_backend_url: str
    recently_rejected_edit_thresholds: CppConfigResponse.RecentlyRejectedEditThresholds
    is_fused_cursor_prediction_model: bool
    include_unchanged_lines: bool
    should_fetch_rvf_text: bool
    max_number_of_cleared_suggestions_since_last_accept: int
    suggestion_hint_config: CppConfigResponse.SuggestionHintConfig
    allows_tab_chunks: bool
    tab_context_refresh_debounce_ms: int
    tab_context_refresh_editor_change_debounce_ms: int
    def __init__(self, above_radius: _Optional[int] = ..., below_radius: _Optional[int] = ..., merge_behavior: _Optional[_Union[CppConfigResponse.MergeBehavior, _Mapping]] = ..., is_on: _Optional[bool] = ..., is_ghost_text: _Optional[bool] = ..., should_let_user_enable_cpp_even_if_not_pro: _Optional[bool] = ..., heuristics: _Optional[_Iterable[_Union[CppConfigResponse.Heuristic, str]]] = ..., exclude_recently_viewed_files_patterns: _Optional[_Iterable[str]] = ..., enable_rvf_tracking: _Optional[bool] = ..., global_debounce_duration_millis: _Optional[int] = ..., client_debounce_duration_millis: _Optional[int] = ..., cpp_url: _Optional[str] = ..., use_whitespace_diff_history: _Optional[bool] = ..., import_prediction_config: _Optional[_Union[CppConfigResponse.ImportPredictionConfig, _Mapping]] = ..., enable_filesync_debounce_skipping: _Optional[bool] = ..., check_filesync_hash_percent: _Optional[float] = ..., geo_cpp_backend_url: _Optional[str] = ..., recently_rejected_edit_thresholds: _Optional[_Union[CppConfigResponse.RecentlyRejectedEditThresholds, _Mapping]] = ..., is_fused_cursor_prediction_model: _Optional[bool] = ..., include_unchanged_lines: _Optional[bool] = ..., should_fetch_rvf_text: _Optional[bool] = ..., max_number_of_cleared_suggestions_since_last_accept: _Optional[int] = ..., suggestion_hint_config: _Optional[_Union[CppConfigResponse.SuggestionHintConfig, _Mapping]] = ..., allows_tab_chunks: _Optional[bool] = ..., tab_context_refresh_debounce_ms: _Optional[int] = ..., tab_context_refresh_editor_change_debounce_ms: _Optional[int] = ...) -> None: ...

class AvailableCppModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AvailableCppModelsResponse(_message.Message):
    __slots__ = ("models", "default_model")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedScalarFieldContainer[str]
    default_model: str
    def __init__(self, models: _Optional[_Iterable[str]] = ..., default_model: _Optional[str] = ...) -> None: ...

class CppFileDiffHistory(_message.Message):
    __slots__ = ("file_name", "diff_history", "diff_history_timestamps")
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    DIFF_HISTORY_FIELD_NUMBER: _ClassVar[int]
    DIFF_HISTORY_TIMESTAMPS_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    diff_history: _containers.RepeatedScalarFieldContainer[str]
    diff_history_timestamps: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, file_name: _Optional[str] = ..., diff_history: _Optional[_Iterable[str]] = ..., diff_history_timestamps: _Optional[_Iterable[float]] = ...) -> None: ...

class CppContextItem(_message.Message):
    __slots__ = ("contents", "symbol", "relative_workspace_path", "score")
    CONTENTS_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_WORKSPACE_PATH_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    contents: str
    symbol: str
    relative_workspace_path: str
    score: float
    def __init__(self, contents: _Optional[str] = ..., symbol: _Optional[str] = ..., relative_workspace_path: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class CppIntentInfo(_message.Message):
    __slots__ = ("source",)
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    source: str
    def __init__(self, source: _Optional[str] = ...) -> None: ...

class CppParameterHint(_message.Message):
    __slots__ = ("label", "documentation")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTATION_FIELD_NUMBER: _ClassVar[int]
    label: str
    documentation: str
    def __init__(self, label: _Optional[str] = ..., documentation: _Optional[str] = ...) -> None: ...

class GitCommit(_message.Message):
    __slots__ = ("commit", "author", "date", "message")
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    commit: str
    author: str
    date: str
    message: str
    def __init__(self, commit: _Optional[str] = ..., author: _Optional[str] = ..., date: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class FileGit(_message.Message):
    __slots__ = ("commits",)
    COMMITS_FIELD_NUMBER: _ClassVar[int]
    commits: _containers.RepeatedCompositeFieldContainer[GitCommit]
    def __init__(self, commits: _Optional[_Iterable[_Union[GitCommit, _Mapping]]] = ...) -> None: ...

class DetailedLine(_message.Message):
    __slots__ = ("text", "line_number", "is_signature")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    IS_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    text: str
    line_number: float
    is_signature: bool
    def __init__(self, text: _Optional[str] = ..., line_number: _Optional[float] = ..., is_signature: _Optional[bool] = ...) -> None: ...

class CodeBlock(_message.Message):
    __slots__ = ("relative_workspace_path", "file_contents", "range", "contents", "signatures", "override_contents", "original_contents", "detailed_lines", "file_contents_length", "file_git_context")
    class Signatures(_message.Message):
        __slots__ = ("ranges",)
        RANGES_FIELD_NUMBER: _ClassVar[int]
        ranges: _containers.RepeatedCompositeFieldContainer[CursorRange]
        def __init__(self, ranges: _Optional[_Iterable[_Union[CursorRange, _Mapping]]] = ...) -> None: ...
    RELATIVE_WORKSPACE_PATH_FIELD_NUMBER: _ClassVar[int]
    FILE_CONTENTS_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    CONTENTS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_CONTENTS_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_CONTENTS_FIELD_NUMBER: _ClassVar[int]
    DETAILED_LINES_FIELD_NUMBER: _ClassVar[int]
    FILE_CONTENTS_LENGTH_FIELD_NUMBER: _ClassVar[int]
    FILE_GIT_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    relative_workspace_path: str
    file_contents: str
    range: CursorRange
    contents: str
    signatures: CodeBlock.Signatures
    override_contents: str
    original_contents: str
    detailed_lines: _containers.RepeatedCompositeFieldContainer[DetailedLine]
    file_contents_length: int
    file_git_context: FileGit
    def __init__(self, relative_workspace_path: _Optional[str] = ..., file_contents: _Optional[str] = ..., range: _Optional[_Union[CursorRange, _Mapping]] = ..., contents: _Optional[str] = ..., signatures: _Optional[_Union[CodeBlock.Signatures, _Mapping]] = ..., override_contents: _Optional[str] = ..., original_contents: _Optional[str] = ..., detailed_lines: _Optional[_Iterable[_Union[DetailedLine, _Mapping]]] = ..., file_contents_length: _Optional[int] = ..., file_git_context: _Optional[_Union[FileGit, _Mapping]] = ...) -> None: ...

class CodeResult(_message.Message):
    __slots__ = ("code_block", "score")
    CODE_BLOCK_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    code_block: CodeBlock
    score: float
    def __init__(self, code_block: _Optional[_Union[CodeBlock, _Mapping]] = ..., score: _Optional[float] = ...) -> None: ...

class LspSubgraphPosition(_message.Message):
    __slots__ = ("line", "character")
    LINE_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_FIELD_NUMBER: _ClassVar[int]
    line: int
    character: int
    def __init__(self, line: _Optional[int] = ..., character: _Optional[int] = ...) -> None: ...

class LspSubgraphRange(_message.Message):
    __slots__ = ("start_line", "start_character", "end_line", "end_character")
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    START_CHARACTER_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    END_CHARACTER_FIELD_NUMBER: _ClassVar[int]
    start_line: int
    start_character: int
    end_line: int
    end_character: int
    def __init__(self, start_line: _Optional[int] = ..., start_character: _Optional[int] = ..., end_line: _Optional[int] = ..., end_character: _Optional[int] = ...) -> None: ...

class LspSubgraphContextItem(_message.Message):
    __slots__ = ("uri", "type", "content", "range")
    URI_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    uri: str
    type: str
    content: str
    range: LspSubgraphRange
    def __init__(self, uri: _Optional[str] = ..., type: _Optional[str] = ..., content: _Optional[str] = ..., range: _Optional[_Union[LspSubgraphRange, _Mapping]] = ...) -> None: ...

class LspSubgraphFullContext(_message.Message):
    __slots__ = ("uri", "symbol_name", "positions", "context_items", "score")
    URI_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_NAME_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    uri: str
    symbol_name: str
    positions: _containers.RepeatedCompositeFieldContainer[LspSubgraphPosition]
    context_items: _containers.RepeatedCompositeFieldContainer[LspSubgraphContextItem]
    score: float
    def __init__(self, uri: _Optional[str] = ..., symbol_name: _Optional[str] = ..., positions: _Optional[_Iterable[_Union[LspSubgraphPosition, _Mapping]]] = ..., context_items: _Optional[_Iterable[_Union[LspSubgraphContextItem, _Mapping]]] = ..., score: _Optional[float] = ...) -> None: ...

class IRange(_message.Message):
    __slots__ = ("start_line_number", "start_column", "end_line_number", "end_column")
    START_LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    START_COLUMN_FIELD_NUMBER: _ClassVar[int]
    END_LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    END_COLUMN_FIELD_NUMBER: _ClassVar[int]
    start_line_number: int
    start_column: int
    end_line_number: int
    end_column: int
    def __init__(self, start_line_number: _Optional[int] = ..., start_column: _Optional[int] = ..., end_line_number: _Optional[int] = ..., end_column: _Optional[int] = ...) -> None: ...

class BlockDiffPatch(_message.Message):
    __slots__ = ("start_model_window", "changes", "relative_path", "start_from_change_index", "model_uuid")
    class Change(_message.Message):
        __slots__ = ("text", "range")
        TEXT_FIELD_NUMBER: _ClassVar[int]
        RANGE_FIELD_NUMBER: _ClassVar[int]
        text: str
        range: IRange
        def __init__(self, text: _Optional[str] = ..., range: _Optional[_Union[IRange, _Mapping]] = ...) -> None: ...
    class ModelWindow(_message.Message):
        __slots__ = ("lines", "start_line_number", "end_line_number")
        LINES_FIELD_NUMBER: _ClassVar[int]
        START_LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
        END_LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
        lines: _containers.RepeatedScalarFieldContainer[str]
        start_line_number: int
        end_line_number: int
        def __init__(self, lines: _Optional[_Iterable[str]] = ..., start_line_number: _Optional[int] = ..., end_line_number: _Optional[int] = ...) -> None: ...
    START_MODEL_WINDOW_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_PATH_FIELD_NUMBER: _ClassVar[int]
    START_FROM_CHANGE_INDEX_FIELD_NUMBER: _ClassVar[int]
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    start_model_window: BlockDiffPatch.ModelWindow
    changes: _containers.RepeatedCompositeFieldContainer[BlockDiffPatch.Change]
    relative_path: str
    start_from_change_index: int
    model_uuid: str
    def __init__(self, start_model_window: _Optional[_Union[BlockDiffPatch.ModelWindow, _Mapping]] = ..., changes: _Optional[_Iterable[_Union[BlockDiffPatch.Change, _Mapping]]] = ..., relative_path: _Optional[str] = ..., start_from_change_index: _Optional[int] = ..., model_uuid: _Optional[str] = ...) -> None: ...

class AdditionalFile(_message.Message):
    __slots__ = ("relative_workspace_path", "is_open", "visible_range_content", "last_viewed_at", "start_line_number_one_indexed", "visible_ranges")
    RELATIVE_WORKSPACE_PATH_FIELD_NUMBER: _ClassVar[int]
    IS_OPEN_FIELD_NUMBER: _ClassVar[int]
    VISIBLE_RANGE_CONTENT_FIELD_NUMBER: _ClassVar[int]
    LAST_VIEWED_AT_FIELD_NUMBER: _ClassVar[int]
    START_LINE_NUMBER_ONE_INDEXED_FIELD_NUMBER: _ClassVar[int]
    VISIBLE_RANGES_FIELD_NUMBER: _ClassVar[int]
    relative_workspace_path: str
    is_open: bool
    visible_range_content: _containers.RepeatedScalarFieldContainer[str]
    last_viewed_at: float
    start_line_number_one_indexed: _containers.RepeatedScalarFieldContainer[int]
    visible_ranges: _containers.RepeatedCompositeFieldContainer[LineRange]
    def __init__(self, relative_workspace_path: _Optional[str] = ..., is_open: _Optional[bool] = ..., visible_range_content: _Optional[_Iterable[str]] = ..., last_viewed_at: _Optional[float] = ..., start_line_number_one_indexed: _Optional[_Iterable[int]] = ..., visible_ranges: _Optional[_Iterable[_Union[LineRange, _Mapping]]] = ...) -> None: ...

class LspSuggestion(_message.Message):
    __slots__ = ("label",)
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: str
    def __init__(self, label: _Optional[str] = ...) -> None: ...

class LspSuggestedItems(_message.Message):
    __slots__ = ("suggestions",)
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    suggestions: _containers.RepeatedCompositeFieldContainer[LspSuggestion]
    def __init__(self, suggestions: _Optional[_Iterable[_Union[LspSuggestion, _Mapping]]] = ...) -> None: ...

class StreamCppRequest(_message.Message):
    __slots__ = ("current_file", "diff_history", "model_name", "linter_errors", "diff_history_keys", "give_debug_output", "file_diff_histories", "merged_diff_histories", "block_diff_patches", "is_nightly", "is_debug", "immediately_ack", "context_items", "parameter_hints", "lsp_contexts", "cpp_intent_info", "enable_more_context", "workspace_id", "additional_files", "control_token", "client_time", "filesync_updates", "time_since_request_start", "time_at_request_send", "client_timezone_offset", "lsp_suggested_items", "supports_cpt", "supports_crlf_cpt", "code_results")
    class ControlToken(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CONTROL_TOKEN_UNSPECIFIED: _ClassVar[StreamCppRequest.ControlToken]
        CONTROL_TOKEN_QUIET: _ClassVar[StreamCppRequest.ControlToken]
        CONTROL_TOKEN_LOUD: _ClassVar[StreamCppRequest.ControlToken]
        CONTROL_TOKEN_OP: _ClassVar[StreamCppRequest.ControlToken]
    CONTROL_TOKEN_UNSPECIFIED: StreamCppRequest.ControlToken
    CONTROL_TOKEN_QUIET: StreamCppRequest.ControlToken
    CONTROL_TOKEN_LOUD: StreamCppRequest.ControlToken
    CONTROL_TOKEN_OP: StreamCppRequest.ControlToken
    CURRENT_FILE_FIELD_NUMBER: _ClassVar[int]
    DIFF_HISTORY_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    LINTER_ERRORS_FIELD_NUMBER: _ClassVar[int]
    DIFF_HISTORY_KEYS_FIELD_NUMBER: _ClassVar[int]
    GIVE_DEBUG_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FILE_DIFF_HISTORIES_FIELD_NUMBER: _ClassVar[int]
    MERGED_DIFF_HISTORIES_FIELD_NUMBER: _ClassVar[int]
    BLOCK_DIFF_PATCHES_FIELD_NUMBER: _ClassVar[int]
    IS_NIGHTLY_FIELD_NUMBER: _ClassVar[int]
    IS_DEBUG_FIELD_NUMBER: _ClassVar[int]
    IMMEDIATELY_ACK_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_HINTS_FIELD_NUMBER: _ClassVar[int]
    LSP_CONTEXTS_FIELD_NUMBER: _ClassVar[int]
    CPP_INTENT_INFO_FIELD_NUMBER: _ClassVar[int]
    ENABLE_MORE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ADDITIONAL_FILES_FIELD_NUMBER: _ClassVar[int]
    CONTROL_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TIME_FIELD_NUMBER: _ClassVar[int]
    FILESYNC_UPDATES_FIELD_NUMBER: _ClassVar[int]
    TIME_SINCE_REQUEST_START_FIELD_NUMBER: _ClassVar[int]
    TIME_AT_REQUEST_SEND_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TIMEZONE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LSP_SUGGESTED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_CPT_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_CRLF_CPT_FIELD_NUMBER: _ClassVar[int]
    CODE_RESULTS_FIELD_NUMBER: _ClassVar[int]
    current_file: CurrentFileInfo
    diff_history: _containers.RepeatedScalarFieldContainer[str]
    model_name: str
    linter_errors: LinterErrors
    diff_history_keys: _containers.RepeatedScalarFieldContainer[str]
    give_debug_output: bool
    file_diff_histories: _containers.RepeatedCompositeFieldContainer[CppFileDiffHistory]
    merged_diff_histories: _containers.RepeatedCompositeFieldContainer[CppFileDiffHistory]
    block_diff_patches: _containers.RepeatedCompositeFieldContainer[BlockDiffPatch]
    is_nightly: bool
    is_debug: bool
    immediately_ack: bool
    context_items: _containers.RepeatedCompositeFieldContainer[CppContextItem]
    parameter_hints: _containers.RepeatedCompositeFieldContainer[CppParameterHint]
    lsp_contexts: _containers.RepeatedCompositeFieldContainer[LspSubgraphFullContext]
    cpp_intent_info: CppIntentInfo
    enable_more_context: bool
    workspace_id: str
    additional_files: _containers.RepeatedCompositeFieldContainer[AdditionalFile]
    control_token: StreamCppRequest.ControlToken
    client_time: float
    filesync_updates: _containers.RepeatedCompositeFieldContainer[FilesyncUpdateWithModelVersion]
    time_since_request_start: float
    time_at_request_send: float
    client_timezone_offset: float
    lsp_suggested_items: LspSuggestedItems
    supports_cpt: bool
    supports_crlf_cpt: bool
    code_results: _containers.RepeatedCompositeFieldContainer[CodeResult]
    def __init__(self, current_file: _Optional[_Union[CurrentFileInfo, _Mapping]] = ..., diff_history: _Optional[_Iterable[str]] = ..., model_name: _Optional[str] = ..., linter_errors: _Optional[_Union[LinterErrors, _Mapping]] = ..., diff_history_keys: _Optional[_Iterable[str]] = ..., give_debug_output: _Optional[bool] = ..., file_diff_histories: _Optional[_Iterable[_Union[CppFileDiffHistory, _Mapping]]] = ..., merged_diff_histories: _Optional[_Iterable[_Union[CppFileDiffHistory, _Mapping]]] = ..., block_diff_patches: _Optional[_Iterable[_Union[BlockDiffPatch, _Mapping]]] = ..., is_nightly: _Optional[bool] = ..., is_debug: _Optional[bool] = ..., immediately_ack: _Optional[bool] = ..., context_items: _Optional[_Iterable[_Union[CppContextItem, _Mapping]]] = ..., parameter_hints: _Optional[_Iterable[_Union[CppParameterHint, _Mapping]]] = ..., lsp_contexts: _Optional[_Iterable[_Union[LspSubgraphFullContext, _Mapping]]] = ..., cpp_intent_info: _Optional[_Union[CppIntentInfo, _Mapping]] = ..., enable_more_context: _Optional[bool] = ..., workspace_id: _Optional[str] = ..., additional_files: _Optional[_Iterable[_Union[AdditionalFile, _Mapping]]] = ..., control_token: _Optional[_Union[StreamCppRequest.ControlToken, str]] = ..., client_time: _Optional[float] = ..., filesync_updates: _Optional[_Iterable[_Union[FilesyncUpdateWithModelVersion, _Mapping]]] = ..., time_since_request_start: _Optional[float] = ..., time_at_request_send: _Optional[float] = ..., client_timezone_offset: _Optional[float] = ..., lsp_suggested_items: _Optional[_Union[LspSuggestedItems, _Mapping]] = ..., supports_cpt: _Optional[bool] = ..., supports_crlf_cpt: _Optional[bool] = ..., code_results: _Optional[_Iterable[_Union[CodeResult, _Mapping]]] = ...) -> None: ...

class LineRange(_message.Message):
    __slots__ = ("start_line_number", "end_line_number_inclusive")
    START_LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    END_LINE_NUMBER_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    start_line_number: int
    end_line_number_inclusive: int
    def __init__(self, start_line_number: _Optional[int] = ..., end_line_number_inclusive: _Optional[int] = ...) -> None: ...

class StreamCppResponse(_message.Message):
    __slots__ = ("text", "suggestion_start_line", "suggestion_confidence", "done_stream", "debug_model_output", "debug_model_input", "debug_stream_time", "debug_total_time", "debug_ttft_time", "debug_server_timing", "range_to_replace", "cursor_prediction_target", "done_edit", "model_info", "begin_edit", "should_remove_leading_eol", "binding_id")
    class CursorPredictionTarget(_message.Message):
        __slots__ = ("relative_path", "line_number_one_indexed", "expected_content", "should_retrigger_cpp")
        RELATIVE_PATH_FIELD_NUMBER: _ClassVar[int]
        LINE_NUMBER_ONE_INDEXED_FIELD_NUMBER: _ClassVar[int]
        EXPECTED_CONTENT_FIELD_NUMBER: _ClassVar[int]
        SHOULD_RETRIGGER_CPP_FIELD_NUMBER: _ClassVar[int]
        relative_path: str
        line_number_one_indexed: int
        expected_content: str
        should_retrigger_cpp: bool
        def __init__(self, relative_path: _Optional[str] = ..., line_number_one_indexed: _Optional[int] = ..., expected_content: _Optional[str] = ..., should_retrigger_cpp: _Optional[bool] = ...) -> None: ...
    class ModelInfo(_message.Message):
        __slots__ = ("is_fused_cursor_prediction_model", "is_multidiff_model")
        IS_FUSED_CURSOR_PREDICTION_MODEL_FIELD_NUMBER: _ClassVar[int]
        IS_MULTIDIFF_MODEL_FIELD_NUMBER: _ClassVar[int]
        is_fused_cursor_prediction_model: bool
        is_multidiff_model: bool
        def __init__(self, is_fused_cursor_prediction_model: _Optional[bool] = ..., is_multidiff_model: _Optional[bool] = ...) -> None: ...
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_START_LINE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    DONE_STREAM_FIELD_NUMBER: _ClassVar[int]
    DEBUG_MODEL_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    DEBUG_MODEL_INPUT_FIELD_NUMBER: _ClassVar[int]
    DEBUG_STREAM_TIME_FIELD_NUMBER: _ClassVar[int]
    DEBUG_TOTAL_TIME_FIELD_NUMBER: _ClassVar[int]
    DEBUG_TTFT_TIME_FIELD_NUMBER: _ClassVar[int]
    DEBUG_SERVER_TIMING_FIELD_NUMBER: _ClassVar[int]
    RANGE_TO_REPLACE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_PREDICTION_TARGET_FIELD_NUMBER: _ClassVar[int]
    DONE_EDIT_FIELD_NUMBER: _ClassVar[int]
    MODEL_INFO_FIELD_NUMBER: _ClassVar[int]
    BEGIN_EDIT_FIELD_NUMBER: _ClassVar[int]
    SHOULD_REMOVE_LEADING_EOL_FIELD_NUMBER: _ClassVar[int]
    BINDING_ID_FIELD_NUMBER: _ClassVar[int]
    text: str
    suggestion_start_line: int
    suggestion_confidence: int
    done_stream: bool
    debug_model_output: str
    debug_model_input: str
    debug_stream_time: str
    debug_total_time: str
    debug_ttft_time: str
    debug_server_timing: str
    range_to_replace: LineRange
    cursor_prediction_target: StreamCppResponse.CursorPredictionTarget
    done_edit: bool
    model_info: StreamCppResponse.ModelInfo
    begin_edit: bool
    should_remove_leading_eol: bool
    binding_id: str
    def __init__(self, text: _Optional[str] = ..., suggestion_start_line: _Optional[int] = ..., suggestion_confidence: _Optional[int] = ..., done_stream: _Optional[bool] = ..., debug_model_output: _Optional[str] = ..., debug_model_input: _Optional[str] = ..., debug_stream_time: _Optional[str] = ..., debug_total_time: _Optional[str] = ..., debug_ttft_time: _Optional[str] = ..., debug_server_timing: _Optional[str] = ..., range_to_replace: _Optional[_Union[LineRange, _Mapping]] = ..., cursor_prediction_target: _Optional[_Union[StreamCppResponse.CursorPredictionTarget, _Mapping]] = ..., done_edit: _Optional[bool] = ..., model_info: _Optional[_Union[StreamCppResponse.ModelInfo, _Mapping]] = ..., begin_edit: _Optional[bool] = ..., should_remove_leading_eol: _Optional[bool] = ..., binding_id: _Optional[str] = ...) -> None: ...

class FSUploadFileRequest(_message.Message):
    __slots__ = ("uuid", "relative_workspace_path", "contents", "model_version", "sha256_hash")
    UUID_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_WORKSPACE_PATH_FIELD_NUMBER: _ClassVar[int]
    CONTENTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA256_HASH_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    relative_workspace_path: str
    contents: str
    model_version: int
    sha256_hash: str
    def __init__(self, uuid: _Optional[str] = ..., relative_workspace_path: _Optional[str] = ..., contents: _Optional[str] = ..., model_version: _Optional[int] = ..., sha256_hash: _Optional[str] = ...) -> None: ...

class FSUploadFileResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: FSUploadErrorType
    def __init__(self, error: _Optional[_Union[FSUploadErrorType, str]] = ...) -> None: ...

class SimpleRange(_message.Message):
    __slots__ = ("start_line_number", "start_column", "end_line_number_inclusive", "end_column")
    START_LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    START_COLUMN_FIELD_NUMBER: _ClassVar[int]
    END_LINE_NUMBER_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    END_COLUMN_FIELD_NUMBER: _ClassVar[int]
    start_line_number: int
    start_column: int
    end_line_number_inclusive: int
    end_column: int
    def __init__(self, start_line_number: _Optional[int] = ..., start_column: _Optional[int] = ..., end_line_number_inclusive: _Optional[int] = ..., end_column: _Optional[int] = ...) -> None: ...

class SingleUpdateRequest(_message.Message):
    __slots__ = ("start_position", "end_position", "change_length", "replaced_string", "range")
    START_POSITION_FIELD_NUMBER: _ClassVar[int]
    END_POSITION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    REPLACED_STRING_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    start_position: int
    end_position: int
    change_length: int
    replaced_string: str
    range: SimpleRange
    def __init__(self, start_position: _Optional[int] = ..., end_position: _Optional[int] = ..., change_length: _Optional[int] = ..., replaced_string: _Optional[str] = ..., range: _Optional[_Union[SimpleRange, _Mapping]] = ...) -> None: ...

class FilesyncUpdateWithModelVersion(_message.Message):
    __slots__ = ("model_version", "relative_workspace_path", "updates", "expected_file_length")
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_WORKSPACE_PATH_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FILE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    model_version: int
    relative_workspace_path: str
    updates: _containers.RepeatedCompositeFieldContainer[SingleUpdateRequest]
    expected_file_length: int
    def __init__(self, model_version: _Optional[int] = ..., relative_workspace_path: _Optional[str] = ..., updates: _Optional[_Iterable[_Union[SingleUpdateRequest, _Mapping]]] = ..., expected_file_length: _Optional[int] = ...) -> None: ...

class FSSyncFileRequest(_message.Message):
    __slots__ = ("uuid", "relative_workspace_path", "model_version", "filesync_updates", "sha256_hash")
    UUID_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_WORKSPACE_PATH_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    FILESYNC_UPDATES_FIELD_NUMBER: _ClassVar[int]
    SHA256_HASH_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    relative_workspace_path: str
    model_version: int
    filesync_updates: _containers.RepeatedCompositeFieldContainer[FilesyncUpdateWithModelVersion]
    sha256_hash: str
    def __init__(self, uuid: _Optional[str] = ..., relative_workspace_path: _Optional[str] = ..., model_version: _Optional[int] = ..., filesync_updates: _Optional[_Iterable[_Union[FilesyncUpdateWithModelVersion, _Mapping]]] = ..., sha256_hash: _Optional[str] = ...) -> None: ...

class FSSyncFileResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: FSSyncErrorType
    def __init__(self, error: _Optional[_Union[FSSyncErrorType, str]] = ...) -> None: ...

class ErrorDetails(_message.Message):
    __slots__ = ("error", "details", "is_expected")
    class Error(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ERROR_UNSPECIFIED: _ClassVar[ErrorDetails.Error]
        ERROR_BAD_API_KEY: _ClassVar[ErrorDetails.Error]
        ERROR_NOT_LOGGED_IN: _ClassVar[ErrorDetails.Error]
        ERROR_INVALID_AUTH_ID: _ClassVar[ErrorDetails.Error]
        ERROR_NOT_HIGH_ENOUGH_PERMISSIONS: _ClassVar[ErrorDetails.Error]
        ERROR_BAD_MODEL_NAME: _ClassVar[ErrorDetails.Error]
        ERROR_USER_NOT_FOUND: _ClassVar[ErrorDetails.Error]
        ERROR_FREE_USER_RATE_LIMIT_EXCEEDED: _ClassVar[ErrorDetails.Error]
        ERROR_PRO_USER_RATE_LIMIT_EXCEEDED: _ClassVar[ErrorDetails.Error]
        ERROR_FREE_USER_USAGE_LIMIT: _ClassVar[ErrorDetails.Error]
        ERROR_PRO_USER_USAGE_LIMIT: _ClassVar[ErrorDetails.Error]
        ERROR_AUTH_TOKEN_NOT_FOUND: _ClassVar[ErrorDetails.Error]
        ERROR_AUTH_TOKEN_EXPIRED: _ClassVar[ErrorDetails.Error]
        ERROR_OPENAI: _ClassVar[ErrorDetails.Error]
        ERROR_OPENAI_RATE_LIMIT_EXCEEDED: _ClassVar[ErrorDetails.Error]
        ERROR_OPENAI_ACCOUNT_LIMIT_EXCEEDED: _ClassVar[ErrorDetails.Error]
        ERROR_TASK_UUID_NOT_FOUND: _ClassVar[ErrorDetails.Error]
        ERROR_TASK_NO_PERMISSIONS: _ClassVar[ErrorDetails.Error]
        ERROR_AGENT_REQUIRES_LOGIN: _ClassVar[ErrorDetails.Error]
        ERROR_AGENT_ENGINE_NOT_FOUND: _ClassVar[ErrorDetails.Error]
        ERROR_MAX_TOKENS: _ClassVar[ErrorDetails.Error]
        ERROR_USER_ABORTED_REQUEST: _ClassVar[ErrorDetails.Error]
        ERROR_GENERIC_RATE_LIMIT_EXCEEDED: _ClassVar[ErrorDetails.Error]
        ERROR_PRO_USER_ONLY: _ClassVar[ErrorDetails.Error]
        ERROR_API_KEY_NOT_SUPPORTED: _ClassVar[ErrorDetails.Error]
        ERROR_TIMEOUT: _ClassVar[ErrorDetails.Error]
        ERROR_SLASH_EDIT_FILE_TOO_LONG: _ClassVar[ErrorDetails.Error]
        ERROR_FILE_UNSUPPORTED: _ClassVar[ErrorDetails.Error]
        ERROR_GPT_4_VISION_PREVIEW_RATE_LIMIT: _ClassVar[ErrorDetails.Error]
        ERROR_CUSTOM_MESSAGE: _ClassVar[ErrorDetails.Error]
        ERROR_OUTDATED_CLIENT: _ClassVar[ErrorDetails.Error]
        ERROR_CLAUDE_IMAGE_TOO_LARGE: _ClassVar[ErrorDetails.Error]
        ERROR_GITGRAPH_NOT_FOUND: _ClassVar[ErrorDetails.Error]
        ERROR_FILE_NOT_FOUND: _ClassVar[ErrorDetails.Error]
        ERROR_API_KEY_RATE_LIMIT: _ClassVar[ErrorDetails.Error]
        ERROR_DEBOUNCED: _ClassVar[ErrorDetails.Error]
        ERROR_BAD_REQUEST: _ClassVar[ErrorDetails.Error]
        ERROR_REPOSITORY_SERVICE_REPOSITORY_IS_NOT_INITIALIZED: _ClassVar[ErrorDetails.Error]
        ERROR_UNAUTHORIZED: _ClassVar[ErrorDetails.Error]
        ERROR_NOT_FOUND: _ClassVar[ErrorDetails.Error]
        ERROR_DEPRECATED: _ClassVar[ErrorDetails.Error]
        ERROR_RESOURCE_EXHAUSTED: _ClassVar[ErrorDetails.Error]
        ERROR_BAD_USER_API_KEY: _ClassVar[ErrorDetails.Error]
        ERROR_CONVERSATION_TOO_LONG: _ClassVar[ErrorDetails.Error]
        ERROR_USAGE_PRICING_REQUIRED: _ClassVar[ErrorDetails.Error]
        ERROR_USAGE_PRICING_REQUIRED_CHANGEABLE: _ClassVar[ErrorDetails.Error]
        ERROR_GITHUB_NO_USER_CREDENTIALS: _ClassVar[ErrorDetails.Error]
        ERROR_GITHUB_USER_NO_ACCESS: _ClassVar[ErrorDetails.Error]
        ERROR_GITHUB_APP_NO_ACCESS: _ClassVar[ErrorDetails.Error]
        ERROR_GITHUB_MULTIPLE_OWNERS: _ClassVar[ErrorDetails.Error]
        ERROR_RATE_LIMITED: _ClassVar[ErrorDetails.Error]
        ERROR_RATE_LIMITED_CHANGEABLE: _ClassVar[ErrorDetails.Error]
        ERROR_CUSTOM: _ClassVar[ErrorDetails.Error]
        ERROR_HOOKS_BLOCKED: _ClassVar[ErrorDetails.Error]
    ERROR_UNSPECIFIED: ErrorDetails.Error
    ERROR_BAD_API_KEY: ErrorDetails.Error
    ERROR_NOT_LOGGED_IN: ErrorDetails.Error
    ERROR_INVALID_AUTH_ID: ErrorDetails.Error
    ERROR_NOT_HIGH_ENOUGH_PERMISSIONS: ErrorDetails.Error
    ERROR_BAD_MODEL_NAME: ErrorDetails.Error
    ERROR_USER_NOT_FOUND: ErrorDetails.Error
    ERROR_FREE_USER_RATE_LIMIT_EXCEEDED: ErrorDetails.Error
    ERROR_PRO_USER_RATE_LIMIT_EXCEEDED: ErrorDetails.Error
    ERROR_FREE_USER_USAGE_LIMIT: ErrorDetails.Error
    ERROR_PRO_USER_USAGE_LIMIT: ErrorDetails.Error
    ERROR_AUTH_TOKEN_NOT_FOUND: ErrorDetails.Error
    ERROR_AUTH_TOKEN_EXPIRED: ErrorDetails.Error
    ERROR_OPENAI: ErrorDetails.Error
    ERROR_OPENAI_RATE_LIMIT_EXCEEDED: ErrorDetails.Error
    ERROR_OPENAI_ACCOUNT_LIMIT_EXCEEDED: ErrorDetails.Error
    ERROR_TASK_UUID_NOT_FOUND: ErrorDetails.Error
    ERROR_TASK_NO_PERMISSIONS: ErrorDetails.Error
    ERROR_AGENT_REQUIRES_LOGIN: ErrorDetails.Error
    ERROR_AGENT_ENGINE_NOT_FOUND: ErrorDetails.Error
    ERROR_MAX_TOKENS: ErrorDetails.Error
    ERROR_USER_ABORTED_REQUEST: ErrorDetails.Error
    ERROR_GENERIC_RATE_LIMIT_EXCEEDED: ErrorDetails.Error
    ERROR_PRO_USER_ONLY: ErrorDetails.Error
    ERROR_API_KEY_NOT_SUPPORTED: ErrorDetails.Error
    ERROR_TIMEOUT: ErrorDetails.Error
    ERROR_SLASH_EDIT_FILE_TOO_LONG: ErrorDetails.Error
    ERROR_FILE_UNSUPPORTED: ErrorDetails.Error
    ERROR_GPT_4_VISION_PREVIEW_RATE_LIMIT: ErrorDetails.Error
    ERROR_CUSTOM_MESSAGE: ErrorDetails.Error
    ERROR_OUTDATED_CLIENT: ErrorDetails.Error
    ERROR_CLAUDE_IMAGE_TOO_LARGE: ErrorDetails.Error
    ERROR_GITGRAPH_NOT_FOUND: ErrorDetails.Error
    ERROR_FILE_NOT_FOUND: ErrorDetails.Error
    ERROR_API_KEY_RATE_LIMIT: ErrorDetails.Error
    ERROR_DEBOUNCED: ErrorDetails.Error
    ERROR_BAD_REQUEST: ErrorDetails.Error
    ERROR_REPOSITORY_SERVICE_REPOSITORY_IS_NOT_INITIALIZED: ErrorDetails.Error
    ERROR_UNAUTHORIZED: ErrorDetails.Error
    ERROR_NOT_FOUND: ErrorDetails.Error
    ERROR_DEPRECATED: ErrorDetails.Error
    ERROR_RESOURCE_EXHAUSTED: ErrorDetails.Error
    ERROR_BAD_USER_API_KEY: ErrorDetails.Error
    ERROR_CONVERSATION_TOO_LONG: ErrorDetails.Error
    ERROR_USAGE_PRICING_REQUIRED: ErrorDetails.Error
    ERROR_USAGE_PRICING_REQUIRED_CHANGEABLE: ErrorDetails.Error
    ERROR_GITHUB_NO_USER_CREDENTIALS: ErrorDetails.Error
    ERROR_GITHUB_USER_NO_ACCESS: ErrorDetails.Error
    ERROR_GITHUB_APP_NO_ACCESS: ErrorDetails.Error
    ERROR_GITHUB_MULTIPLE_OWNERS: ErrorDetails.Error
    ERROR_RATE_LIMITED: ErrorDetails.Error
    ERROR_RATE_LIMITED_CHANGEABLE: ErrorDetails.Error
    ERROR_CUSTOM: ErrorDetails.Error
    ERROR_HOOKS_BLOCKED: ErrorDetails.Error
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    IS_EXPECTED_FIELD_NUMBER: _ClassVar[int]
    error: ErrorDetails.Error
    details: CustomErrorDetails
    is_expected: bool
    def __init__(self, error: _Optional[_Union[ErrorDetails.Error, str]] = ..., details: _Optional[_Union[CustomErrorDetails, _Mapping]] = ..., is_expected: _Optional[bool] = ...) -> None: ...

class CustomErrorDetails(_message.Message):
    __slots__ = ("title", "detail", "additional_info")
    class AdditionalInfoEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ADDITIONAL_INFO_FIELD_NUMBER: _ClassVar[int]
    title: str
    detail: str
    additional_info: _containers.ScalarMap[str, str]
    def __init__(self, title: _Optional[str] = ..., detail: _Optional[str] = ..., additional_info: _Optional[_Mapping[str, str]] = ...) -> None: ...
