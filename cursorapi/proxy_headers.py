"""`X-Forwarded-For` and `X-Forwarded-Proto`, believed only from the proxies in TRUSTED_PROXIES.

Daphne's own `--proxy-headers` believes them from anyone, so any client could claim to be any
address or to have come over HTTPS. Here the headers rewrite the ASGI scope's client and scheme only
when the connection comes from a trusted proxy; with TRUSTED_PROXIES empty (the default) they are
ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES entries (addresses or CIDR blocks) as networks; a bad entry is a start-up error."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _trusted(host: str | None, trusted: tuple[Network, ...]) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return any(address in net for net in trusted)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
    return ",".join(values) if values else None


def apply(scope: dict[str, Any], trusted: tuple[Network, ...]) -> dict[str, Any]:
    """The scope as the trusted proxies describe the request (the same scope when nothing applies)."""
    client = scope.get("client")
    if not trusted or not client or not _trusted(client[0], trusted):
        return scope
    scope = dict(scope)
    forwarded_for = _header(scope, b"x-forwarded-for")
    if forwarded_for:
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        # The nearest hop not itself a trusted proxy is the client; anything further left was
        # written by that client and proves nothing.
        chosen = None
        for hop in reversed(hops):
            chosen = hop
            if not _trusted(hop, trusted):
                break
        if chosen is not None:
            try:
                ipaddress.ip_address(chosen)
            except ValueError:
                pass
            else:
                scope["client"] = (chosen, 0)
    proto = _header(scope, b"x-forwarded-proto")
    if proto:
        nearest = proto.split(",")[-1].strip().lower()
        if nearest in ("http", "https"):
            scope["scheme"] = nearest
    return scope


def wrap(app: App) -> App:
    from django.conf import settings

    trusted = networks(settings.TRUSTED_PROXIES)
    if not trusted:
        return app

    async def with_proxy_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app(apply(scope, trusted) if scope["type"] == "http" else scope, receive, send)

    return with_proxy_headers
