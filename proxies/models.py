from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models

DIRECT = "non"
SYSTEM = "sys"
# socks4/socks4a as the original: httpx speaks no SOCKS4 itself, httpx-socks serves them.
URL_SCHEMES = ("http", "https", "socks5", "socks5h", "socks4", "socks4a")
UNSUPPORTED_SCHEMES: tuple[str, ...] = ()


def validate_proxy_url(value: str) -> None:
    if value in (DIRECT, SYSTEM):
        return
    parts = urlsplit(value)
    if parts.scheme in UNSUPPORTED_SCHEMES:
        raise ValidationError(
            f"{parts.scheme} proxies are not supported (the HTTP client speaks no SOCKS4): "
            "use socks5, socks5h, http or https",
            code="scheme",
        )
    if parts.scheme not in URL_SCHEMES:
        raise ValidationError(
            f"proxy must be 'non', 'sys' or a URL with scheme {', '.join(URL_SCHEMES)}", code="scheme"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ValidationError("proxy URL has an invalid port", code="port") from exc
    if not parts.hostname or (port is not None and not 0 < port < 65536):
        raise ValidationError("proxy URL needs a host", code="host")


def mask_proxy_url(value: str) -> str:
    """The URL with its password hidden, for lists and logs."""
    parts = urlsplit(value)
    if not parts.password:
        return value
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


class Proxy(models.Model):
    """A named way out to Cursor: direct (`non`), the environment's proxy (`sys`), or a proxy URL."""

    name = models.CharField(max_length=64, unique=True)
    url = models.CharField(max_length=500, validators=[validate_proxy_url], help_text="non, sys, or a URL")
    # One proxy may be the general one, used by tokens that name none.
    is_general = models.BooleanField(default=False)
    # Whether a dynamic key may name this proxy (its proxy_name is chosen by whoever built the key,
    # and R3 keys are not signed): a key naming any other proxy gets the general one.
    usable_by_keys = models.BooleanField(
        default=False,
        help_text="dynamic keys may name this proxy (otherwise a key naming it gets the general proxy)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "proxies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_general"], condition=models.Q(is_general=True), name="one_general_proxy"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        return mask_proxy_url(self.url)
