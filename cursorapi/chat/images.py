"""Images from requests: data URLs (and, when allowed, http URLs fetched safely), sniffed and measured."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
import struct
from urllib.parse import urlsplit

import httpx
from asgiref.sync import sync_to_async

from .types import ChatInputError, ChatOptions, Image, ImageAllowance

_MIME_BY_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff(data: bytes) -> str | None:
    for magic, mime in _MIME_BY_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def dimensions(data: bytes, mime: str) -> tuple[int, int] | None:
    """Width and height from the header, without decoding pixels (None when unsure)."""
    try:
        if mime == "image/png" and len(data) >= 24:
            return struct.unpack(">II", data[16:24])
        if mime == "image/gif" and len(data) >= 10:
            return struct.unpack("<HH", data[6:10])
        if mime == "image/webp" and len(data) >= 30:
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                h = int.from_bytes(data[27:30], "little") + 1
                return w, h
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if mime == "image/jpeg":
            return _jpeg_size(data)
    except (struct.error, IndexError):
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + length
    return None


def _animated_gif(data: bytes) -> bool:
    # More than one image descriptor after the header means frames; Cursor takes still images only.
    return data.count(b"\x00\x21\xf9\x04") > 1


def image_from_bytes(data: bytes, param: str) -> Image:
    mime = sniff(data)
    if mime is None:
        raise ChatInputError("images must be PNG, JPEG, WEBP or a still GIF", param=param)
    if mime == "image/gif" and _animated_gif(data):
        raise ChatInputError("animated GIFs are not supported", param=param)
    size = dimensions(data, mime)
    return Image(data=data, mime=mime, width=size[0] if size else None, height=size[1] if size else None)


def from_data_url(url: str, param: str) -> Image:
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:") or ";base64" not in header:
        raise ChatInputError("image data URLs must be data:<type>;base64,<data>", param=param)
    return from_base64(payload, param)


def from_base64(payload: str, param: str) -> Image:
    try:
        data = base64.b64decode(payload.strip() + "=" * (-len(payload.strip()) % 4), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ChatInputError("image data is not valid base64", param=param) from exc
    return image_from_bytes(data, param)


# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64 (well-known and local-use)
# and the deprecated IPv4-compatible form. Such an address reaches what the IPv4 address does.
_EMBEDS_IPV4_LOW32 = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 one stands for: mapped, 6to4, Teredo (server and client), NAT64."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in net for net in _EMBEDS_IPV4_LOW32) and address != ipaddress.IPv6Address("::"):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def allowed_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A public unicast address, judged by the IPv4 address it embeds when it embeds one."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded and not all(v4.is_global and not v4.is_multicast for v4 in embedded):
            return False
        if any(address in net for net in _EMBEDS_IPV4_LOW32) and not embedded:
            return False
    return True


def _resolve(host: str) -> str | None:
    """The address to connect to, or None when any address the name has is not public.

    Resolved once: the fetch then connects to exactly this address, so a name that answers
    differently the second time (DNS rebinding) cannot lead us to a private one.
    """
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    addresses = []
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        except ValueError:
            return None
        if not allowed_address(address):
            return None
        addresses.append(address)
    return str(addresses[0]) if addresses else None


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL rewritten to the checked address, with the Host header and TLS name of the original."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host = parts.hostname or ""
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    pinned = parts._replace(netloc=netloc).geturl()
    return pinned, {"Host": host_header}, {"sni_hostname": host}


async def fetch(
    url: str,
    param: str,
    *,
    max_bytes: int,
    allow_private: bool = False,
    allowance: ImageAllowance | None = None,
    max_total_bytes: int | None = None,
) -> Image:
    """Download an image URL, refusing private and loopback addresses (no server-side request forgery).

    `allowance` and `max_total_bytes` hold all the images of one request to a total.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChatInputError("image URLs must be http(s) or data URLs", param=param)
    headers: dict[str, str] = {}
    extensions: dict[str, str] = {}
    target = url
    if not allow_private:
        address = await sync_to_async(_resolve, thread_sensitive=False)(parts.hostname)
        if address is None:
            raise ChatInputError("image URL points to a private or unresolvable address", param=param)
        target, headers, extensions = _pinned(url, address)
    data = bytearray()
    try:
        # No redirects: a redirect could lead to an address the check above did not see.
        async with (
            httpx.AsyncClient(timeout=10.0, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", target, headers=headers, extensions=extensions) as response,
        ):
            if response.status_code != 200:
                raise ChatInputError(f"image URL answered HTTP {response.status_code}", param=param)
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    raise ChatInputError(f"image is larger than {max_bytes} bytes", param=param)
                if allowance is not None and max_total_bytes is not None:
                    allowance.fetched_bytes += len(chunk)
                    if allowance.fetched_bytes > max_total_bytes:
                        raise ChatInputError(
                            f"the request's images add up to more than {max_total_bytes} bytes", param=param
                        )
    except httpx.HTTPError as exc:
        raise ChatInputError(f"could not fetch the image ({type(exc).__name__})", param=param) from exc
    return image_from_bytes(bytes(data), param)


# --- what the server allows (VISION_ABILITY, or a dynamic key's disable_vision) -------------------


def require_vision(param: str, options: ChatOptions) -> None:
    """Whether images may be sent at all; counts the image against IMAGE_MAX_PER_REQUEST (the
    dialects call this once per image part)."""
    from django.conf import settings

    _vision_allowed(param, options)
    options.images.count += 1
    if options.images.count > settings.IMAGE_MAX_PER_REQUEST:
        limit = settings.IMAGE_MAX_PER_REQUEST
        raise ChatInputError(f"at most {limit} images per request (IMAGE_MAX_PER_REQUEST)", param=param)


def _vision_allowed(param: str, options: ChatOptions) -> None:
    if options.vision_off_by_key:
        raise ChatInputError("images are disabled for this API key (disable_vision)", param=param)
    if options.vision in ("none", "disabled"):
        raise ChatInputError("images are disabled on this server", param=param)


async def from_url(url: str, param: str, options: ChatOptions) -> Image:
    """An http(s) image, only when VISION_ABILITY=all; fetched under the size cap and address rules."""
    from django.conf import settings

    _vision_allowed(param, options)  # counted by the dialect's require_vision already
    if options.vision not in ("all", "base64-http"):
        raise ChatInputError("only base64 images are accepted (VISION_ABILITY=base64)", param=param)
    return await fetch(
        url,
        param,
        max_bytes=settings.IMAGE_FETCH_MAX_BYTES,
        allow_private=settings.IMAGE_FETCH_ALLOW_PRIVATE,
        allowance=options.images,
        max_total_bytes=settings.IMAGE_FETCH_MAX_TOTAL_BYTES,
    )
