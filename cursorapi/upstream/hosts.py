"""Cursor's hosts and the endpoints we call on them."""

from __future__ import annotations

from dataclasses import dataclass

API2 = "api2.cursor.sh"
API4 = "api4.cursor.sh"
CURSOR_COM = "cursor.com"
ADMIN_API = "api.cursor.com"
GCPP_HOSTS = {
    "Asia": "us-asia.gcpp.cursor.sh",
    "EU": "us-eu.gcpp.cursor.sh",
    "US": "us-only.gcpp.cursor.sh",
}


def gcpp_host(region: str) -> str:
    """A region name (Asia/EU/US, any case) or a full gcpp host name, to the host."""
    region = region.strip().removeprefix("https://").rstrip("/")
    for name, host in GCPP_HOSTS.items():
        if region.lower() in (name.lower(), host):
            return host
    return GCPP_HOSTS["Asia"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str  # empty means "the account's gcpp host"
    path: str
    streaming: bool = False


CHAT = Endpoint(API2, "/aiserver.v1.ChatService/StreamUnifiedChatWithTools", streaming=True)
PROMPT_DRY_RUN = Endpoint(API2, "/aiserver.v1.ChatService/GetPromptDryRun")
AVAILABLE_MODELS = Endpoint(API2, "/aiserver.v1.AiService/AvailableModels")
SERVER_CONFIG = Endpoint(API2, "/aiserver.v1.ServerConfigService/GetServerConfig")
CPP_CONFIG = Endpoint(API4, "/aiserver.v1.AiService/CppConfig")
CPP_MODELS = Endpoint(API2, "/aiserver.v1.CppService/AvailableModels")
FS_UPLOAD = Endpoint("", "/aiserver.v1.FileSyncService/FSUploadFile")
FS_SYNC = Endpoint("", "/aiserver.v1.FileSyncService/FSSyncFile")
CPP_STREAM = Endpoint("", "/aiserver.v1.AiService/StreamCpp", streaming=True)

STRIPE_PROFILE = Endpoint(API2, "/auth/full_stripe_profile")
TOKEN_REFRESH = Endpoint(API2, "/oauth/token")
DEEP_LOGIN_CONTROL = Endpoint(CURSOR_COM, "/api/auth/loginDeepCallbackControl")
DEEP_LOGIN_POLL = Endpoint(API2, "/auth/poll")
GET_ME = Endpoint(CURSOR_COM, "/api/dashboard/get-me")
USAGE_SUMMARY = Endpoint(CURSOR_COM, "/api/usage-summary")
PRIVACY_MODE = Endpoint(CURSOR_COM, "/api/dashboard/get-user-privacy-mode")
NEW_PRICING = Endpoint(CURSOR_COM, "/api/dashboard/is-on-new-pricing")
SESSIONS = Endpoint(CURSOR_COM, "/api/auth/sessions")
FILTERED_USAGE = Endpoint(CURSOR_COM, "/api/dashboard/get-filtered-usage-events")
