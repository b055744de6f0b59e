"""The async client for Cursor's servers: HTTP/2 over httpx, one connection pool per proxy setting."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from . import headers as hdrs
from .connections import LONG_CALL, PoolLimits, ScalingTransport, UpstreamBusy
from .errors import CursorError, ProtocolError, UpstreamError, parse_wait
from .framing import FrameDecoder, Message, decode_unary_body, decode_unary_error, encode_frame
from .headers import Account
from .hosts import CHAT, Endpoint, gcpp_host

_MAX_ERROR_BODY = 64 * 1024
_GZIP_THRESHOLD = 1024


class UpstreamTimeout(UpstreamError):
    """Cursor did not answer (connect) or went silent (read) for longer than allowed."""

    http_status = 504


class UpstreamUnavailable(UpstreamError):
    """The connection to Cursor (or to the proxy in between) failed."""

    http_status = 502


@dataclass(slots=True)
class UnaryResponse:
    body: bytes
    headers: httpx.Headers
    set_cookies: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ClientConfig:
    upstream: str = ""  # e.g. http://127.0.0.1:9000 sends every call there, keeping the real Host
    client_version: str = "2.3.21"
    connect_timeout: float = 30.0
    read_timeout: float = 120.0
    max_frame_bytes: int = 32 * 1024 * 1024
    # The original's reverse proxies: pool traffic to `private_host`, dynamic-key traffic to
    # `public_host` (a host, or a URL with scheme), Cursor's real host in `x-co`.
    private_host: str = ""
    public_host: str = ""
    tcp_keepalive: tuple[int, int, int] | None = None  # idle seconds, probe interval, probes
    idle_expiry: float = 60.0  # seconds an idle pooled connection is kept
    limits: PoolLimits = field(default_factory=PoolLimits)


def _socks4_transport(proxy: str, kwargs: dict[str, Any]) -> httpx.AsyncBaseTransport:
    """SOCKS4 (socks4a: the proxy resolves names), which httpx itself does not speak."""
    from httpx_socks import AsyncProxyTransport

    remote_dns = proxy.startswith("socks4a://")
    return AsyncProxyTransport.from_url(
        "socks4://" + proxy.split("://", 1)[1],
        rdns=remote_dns,
        http1=kwargs["http1"],
        http2=kwargs["http2"],
        limits=kwargs["limits"],
    )


def _keepalive_options(keepalive: tuple[int, int, int]) -> list[tuple[int, int, int]]:
    """Socket options for TCP keep-alive probes (dead connections found while idle)."""
    idle, interval, count = keepalive
    options: list[tuple[int, int, int]] = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    for name, value in (("TCP_KEEPIDLE", idle), ("TCP_KEEPINTVL", interval), ("TCP_KEEPCNT", count)):
        if hasattr(socket, name) and value > 0:
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    return options


def _with_hint(error: CursorError, headers: httpx.Headers) -> CursorError:
    """Cursor's Retry-After header (seconds; dates are not used by it) rides on the error."""
    if error.retry_after is None and "retry-after" in headers:
        error.retry_after = parse_wait(headers["retry-after"])
    return error


def _gzip_if_smaller(body: bytes) -> tuple[bytes, bool]:
    if len(body) <= _GZIP_THRESHOLD:
        return body, False
    packed = gzip.compress(body, compresslevel=6)
    return (packed, True) if len(packed) < len(body) else (body, False)


class CursorClient:
    """Makes the calls; knows nothing about Django. One instance per process is enough."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self._pools: dict[tuple[int, str], httpx.AsyncClient] = {}
        self._ssl: Any = None

    # --- connection pools ------------------------------------------------------------------------

    def _pool(self, proxy: str | None) -> httpx.AsyncClient:
        # httpx pools belong to the event loop that made them; tests run many loops in one process.
        key = (id(asyncio.get_running_loop()), proxy or "non")
        client = self._pools.get(key)
        if client is None:
            client = self._pools[key] = self._make_pool(proxy)
        return client

    def _make_pool(self, proxy: str | None) -> httpx.AsyncClient:
        cfg = self.config
        timeout = httpx.Timeout(cfg.read_timeout, connect=cfg.connect_timeout)
        # One connection per lane: ScalingTransport opens lanes as stream slots run out.
        limits = httpx.Limits(
            max_connections=1, max_keepalive_connections=1, keepalive_expiry=cfg.idle_expiry
        )
        cleartext = cfg.upstream.startswith("http://")
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()  # loading the CA bundle once, not per connection
        ssl_context = self._ssl  # not `self`: the transport must not hold its client in a cycle
        socket_options = _keepalive_options(cfg.tcp_keepalive) if cfg.tcp_keepalive else None

        def lane(url: httpx.URL) -> httpx.AsyncBaseTransport:
            if proxy and proxy.startswith(("socks4://", "socks4a://")):
                return _socks4_transport(proxy, {"http1": not cleartext, "http2": True, "limits": limits})
            return httpx.AsyncHTTPTransport(
                verify=ssl_context,
                limits=limits,
                http2=True,
                # A cleartext upstream (the fake) speaks HTTP/2 with prior knowledge, like TLS+ALPN would.
                http1=not cleartext,
                trust_env=False,
                proxy=_system_proxy(url) if proxy == "sys" else proxy if proxy and proxy != "non" else None,
                socket_options=socket_options,
            )

        route = "system" if proxy == "sys" else "proxy" if proxy and proxy != "non" else "direct"
        return httpx.AsyncClient(
            transport=ScalingTransport(lane, cfg.limits, route),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        )

    async def aclose(self) -> None:
        pools, self._pools = self._pools, {}
        for client in pools.values():
            await client.aclose()

    # --- addressing ------------------------------------------------------------------------------

    def url(self, host: str, path: str, *, public: bool = False) -> tuple[str, dict[str, str]]:
        """The URL to call, and the Host header to send when an upstream override is set."""
        reverse = self.config.public_host if public else self.config.private_host
        if reverse:
            base = reverse if "://" in reverse else f"https://{reverse}"
            return base.rstrip("/") + path, {"x-co": host}
        if self.config.upstream:
            return self.config.upstream + path, {"host": host}
        return f"https://{host}{path}", {}

    def _host(self, account: Account, endpoint: Endpoint) -> str:
        return endpoint.host or gcpp_host(account.gcpp_host)

    # --- Connect calls ---------------------------------------------------------------------------

    async def stream(
        self,
        account: Account,
        endpoint: Endpoint,
        message: bytes,
        *,
        request_id: str | None = None,
        cookie: str = "",
        fs_client_key: str = "",
        on_headers: Callable[[httpx.Headers], None] | None = None,
    ) -> AsyncIterator[list[bytes]]:
        """Yield the response messages (decompressed protobuf bytes) of each network read at once.

        Batching by read lets callers answer several frames that arrived together with one write.
        Raises CursorError when Cursor ends the stream with an error, ProtocolError when the stream is
        malformed or cut, UpstreamTimeout / UpstreamUnavailable on transport failures. Closing the
        generator closes the HTTP/2 stream, which is how a client disconnect cancels the upstream call.
        `on_headers` sees the headers of an accepted stream (its Set-Cookie, say) before any message.
        """
        url, host = self.url(self._host(account, endpoint), endpoint.path, public=account.public)
        headers = hdrs.aiserver(
            account,
            client_version=self.config.client_version,
            streaming=True,
            request_id=request_id,
            cookie=cookie,
            fs_client_key=fs_client_key,
        )
        headers.update(host)
        body = encode_frame(message)
        decoder = FrameDecoder(self.config.max_frame_bytes)
        resp: httpx.Response | None = None
        try:
            pool = self._pool(account.proxy)
            # A chat may stream for minutes: it leaves the reserved places to short calls.
            extensions = {LONG_CALL: endpoint.path == CHAT.path}
            async with pool.stream("POST", url, content=body, headers=headers, extensions=extensions) as resp:
                if resp.status_code != 200 or resp.headers.get("content-type", "").startswith(
                    "application/json"
                ):
                    raw = await _read_capped(resp)
                    raise _with_hint(
                        decode_unary_error(resp.status_code, raw, resp.headers.get("content-type", "")),
                        resp.headers,
                    )
                if on_headers is not None:
                    on_headers(resp.headers)
                try:
                    async for chunk in resp.aiter_raw():
                        batch: list[bytes] = []
                        for frame in decoder.feed(chunk):
                            if isinstance(frame, Message):
                                batch.append(frame.payload)
                            elif frame.error is not None:
                                # What came before the error in this read is still the reply.
                                if batch:
                                    yield batch
                                raise frame.error
                            else:
                                if batch:
                                    yield batch
                                return
                        if batch:
                            yield batch
                    decoder.close()
                finally:
                    if not decoder.finished:
                        await _cancel_http2_stream(resp)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"Cursor did not answer in time ({type(exc).__name__})") from exc
        except (httpx.TransportError, httpx.StreamError) as exc:
            raise UpstreamUnavailable(f"connection to Cursor failed ({type(exc).__name__})") from exc
        finally:
            if resp is not None:
                # An httpx response and its stream refer to each other, so every call's response,
                # request, URL and headers (about 20 objects) waited for a full garbage collection,
                # which under load stalls all streams at once. Closed, the stream is not needed.
                resp.stream = _CLOSED_STREAM

    async def unary(
        self,
        account: Account,
        endpoint: Endpoint,
        message: bytes,
        *,
        request_id: str | None = None,
        cookie: str = "",
        fs_client_key: str = "",
    ) -> UnaryResponse:
        """One protobuf request, one protobuf response (raw bytes); errors raise CursorError."""
        url, host = self.url(self._host(account, endpoint), endpoint.path, public=account.public)
        body, gzipped = _gzip_if_smaller(message)
        headers = hdrs.aiserver(
            account,
            client_version=self.config.client_version,
            streaming=False,
            gzipped_body=gzipped,
            request_id=request_id,
            cookie=cookie,
            fs_client_key=fs_client_key,
        )
        headers.update(host)
        try:
            resp = await self._pool(account.proxy).post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"Cursor did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"connection to Cursor failed ({type(exc).__name__})") from exc
        content_type = resp.headers.get("content-type", "")
        if resp.status_code != 200 or content_type.startswith("application/json"):
            raise _with_hint(
                decode_unary_error(resp.status_code, resp.content[:_MAX_ERROR_BODY], content_type),
                resp.headers,
            )
        return UnaryResponse(
            body=decode_unary_body(resp.content),
            headers=resp.headers,
            set_cookies=resp.headers.get_list("set-cookie"),
        )

    # --- JSON calls (profile, usage, refresh) ----------------------------------------------------

    async def json(
        self,
        account: Account,
        endpoint: Endpoint,
        *,
        method: str = "GET",
        payload: Mapping[str, Any] | None = None,
        kind: str = "desktop",
    ) -> Any:
        """A JSON call: `desktop` uses the app's Bearer headers, `dashboard` the browser cookie."""
        url, host = self.url(endpoint.host, endpoint.path, public=account.public)
        if kind == "dashboard":
            headers = hdrs.dashboard(account, json_body=payload is not None)
        else:
            headers = hdrs.desktop_json(account, client_version=self.config.client_version)
            if payload is not None:
                headers["content-type"] = "application/json"
        headers.update(host)
        content = None if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        resp = await self._request(account.proxy, method, url, headers, content)
        if resp.status_code >= 400:
            raise decode_unary_error(
                resp.status_code, resp.content[:_MAX_ERROR_BODY], resp.headers.get("content-type", "")
            )
        try:
            return resp.json()
        except ValueError as exc:
            raise ProtocolError(f"{endpoint.path} answered with a body that is not JSON") from exc

    async def send(
        self,
        account: Account,
        endpoint: Endpoint,
        headers: Mapping[str, str],
        *,
        method: str = "GET",
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A plain call with headers the caller built; any status comes back (the body is read).

        For calls whose statuses mean something other than success or error, like the login poll's 404.
        """
        url, host = self.url(self._host(account, endpoint), endpoint.path, public=account.public)
        if params:
            url = f"{url}?{urlencode(params)}"
        return await self._request(account.proxy, method, url, {**headers, **host}, content)

    async def _request(
        self, proxy: str | None, method: str, url: str, headers: Mapping[str, str], content: bytes | None
    ) -> httpx.Response:
        try:
            return await self._pool(proxy).request(method, url, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"Cursor did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"connection to Cursor failed ({type(exc).__name__})") from exc


_CLOSED_STREAM = httpx.ByteStream(b"")


def _system_proxy(url: httpx.URL) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY, ALL_PROXY, NO_PROXY), as httpx would."""
    if urllib.request.proxy_bypass(url.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(url.scheme) or proxies.get("all")


async def _cancel_http2_stream(resp: httpx.Response) -> None:
    """Tell Cursor to stop generating: send RST_STREAM(CANCEL) for a response we abandon.

    httpcore forgets an unfinished HTTP/2 stream without resetting it, so the server would keep
    producing (and billing) a reply nobody reads. This reaches into httpcore's stream to reset it;
    over HTTP/1.1 closing the response closes the connection, which is cancellation enough.
    """
    pool_stream = getattr(getattr(resp.stream, "_stream", None), "_httpcore_stream", None)
    h2_stream = getattr(pool_stream, "_stream", None)
    connection = getattr(h2_stream, "_connection", None)
    stream_id = getattr(h2_stream, "_stream_id", None)
    if connection is None or stream_id is None or not hasattr(connection, "_h2_state"):
        return
    try:
        connection._h2_state.reset_stream(stream_id, error_code=8)  # CANCEL
        await connection._write_outgoing_data(h2_stream._request)
    except Exception:  # the stream or the connection is already gone: nothing left to cancel
        return


async def _read_capped(resp: httpx.Response) -> bytes:
    data = bytearray()
    async for chunk in resp.aiter_raw():
        data += chunk
        if len(data) >= _MAX_ERROR_BODY:
            break
    return bytes(data[:_MAX_ERROR_BODY])


__all__ = [
    "Account",
    "ClientConfig",
    "CursorClient",
    "CursorError",
    "ProtocolError",
    "UnaryResponse",
    "UpstreamBusy",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
