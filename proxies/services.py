"""Writes to the proxy list that do more than one row: importing the original's export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Proxy, validate_proxy_url


class ProxyInputError(ValueError):
    pass


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    bad: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read(data: Any) -> tuple[dict[str, Any], Any]:
    """The flat map and general name from `/proxies/get` (or the README's nested variant)."""
    if not isinstance(data, dict) or not isinstance(data.get("proxies"), dict):
        raise ProxyInputError(
            'expected the /proxies/get reply: {"proxies": {name: value}, "general_proxy": name}'
        )
    proxies, general = data["proxies"], data.get("general_proxy")
    if isinstance(proxies.get("proxies"), dict):  # {"proxies": {"proxies": {...}, "general": ...}}
        proxies, general = proxies["proxies"], general or proxies.get("general")
    return proxies, general


def import_state(data: Any) -> ImportReport:
    proxies, general = _read(data)
    report = ImportReport()
    existing = {p.name: p for p in Proxy.objects.all()}
    with transaction.atomic():
        for name, url in proxies.items():
            if not isinstance(url, str) or not name.strip() or len(name) > 64:
                report.bad.append((name, "needs a name of 1-64 characters and a string value"))
                continue
            if ":***@" in url:
                report.bad.append((name, "its password is masked in this export; add it by hand"))
                continue
            try:
                validate_proxy_url(url)
            except ValidationError as exc:
                report.bad.append((name, exc.messages[0]))
                continue
            current = existing.get(name)
            if current is None:
                Proxy.objects.create(name=name, url=url)
                report.added += 1
            elif current.url != url:
                current.url = url
                current.save(update_fields=["url"])
                report.updated += 1
            else:
                report.skipped += 1
        if isinstance(general, str) and general:
            if Proxy.objects.filter(name=general).exists():
                Proxy.objects.filter(is_general=True).exclude(name=general).update(is_general=False)
                Proxy.objects.filter(name=general).update(is_general=True)
            else:
                report.notes.append(f"general proxy {general!r} is not in the list: left unchanged")
    return report
