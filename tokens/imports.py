"""Importing tokens: the legacy `.tokens` file, the original's `/tokens/get` JSON (R3 or R4), a CSV.

Every format is read into rows, and each row is added, updated, skipped (nothing new) or reported
bad with its reason; good rows are kept whatever the others hold, so an import can be re-run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError

from cursorapi.upstream import checksum
from proxies.models import Proxy

from . import exchange, services
from .models import Token

Row = tuple[str, str, Any]  # (where in the file, alias, the original's token info)


class FormatError(ValueError):
    """The file is not in the format it claims (or seems) to be."""


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    bad: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return f"added {self.added}, updated {self.updated}, skipped {self.skipped}, bad {len(self.bad)}"


# --- formats -------------------------------------------------------------------------------------


def detect(name: str, text: str) -> str:
    stripped = text.lstrip()
    if name.endswith(".json") or stripped[:1] in ("{", "["):
        return "json"
    first = stripped.split("\n", 1)[0].lower().replace(" ", "")
    if name.endswith(".csv") or first.startswith("alias,token"):
        return "csv"
    return "legacy"


def json_rows(text: str) -> list[Row]:
    """`{"tokens": [[id, alias, info], ...]}` from `/tokens/get`, or a bare list of `[id, alias,
    info]` / `[alias, info]` (the `/tokens/set` body)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FormatError(f"not JSON: {exc}") from exc
    items = data.get("tokens") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise FormatError('expected the /tokens/get reply: {"tokens": [[id, alias, info], ...]}')
    rows: list[Row] = []
    for n, item in enumerate(items):
        where = f"tokens[{n}]"
        if isinstance(item, list) and len(item) in (2, 3) and isinstance(item[-2], str):
            rows.append((where, item[-2], item[-1]))
        else:
            rows.append((where, "", None))  # reported bad by the import
    return rows


def csv_rows(text: str) -> list[Row]:
    """`alias,token[,proxy,timezone]` per line, with or without that header."""
    rows: list[Row] = []
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in record]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and [c.lower() for c in cells[:2]] == ["alias", "token"]:
            continue
        if len(cells) < 2 or len(cells) > 4:
            rows.append((f"line {number}", "", "expected alias,token[,proxy,timezone]"))
            continue
        alias, token, proxy, tz = [*cells, "", ""][:4]
        info = {"primary_token": token, "proxy": proxy or None, "timezone": tz or None}
        rows.append((f"line {number}", alias, info))
    return rows


# --- importing -----------------------------------------------------------------------------------


def import_parsed(
    where: str, parsed: exchange.Parsed, report: ImportReport, proxies: dict[str, Proxy]
) -> None:
    """Add a token, or update the one with the same token string; the same data twice is a skip."""
    if parsed.proxy_name and parsed.proxy_name not in proxies:
        report.warnings.append((where, f"no proxy is named {parsed.proxy_name!r}: the general proxy is used"))
    existing = Token.objects.filter(token_digest=parsed.token.token_digest).first()
    alias = parsed.token.alias
    if existing is None:
        if alias and not alias.startswith("unnamed") and Token.objects.filter(alias=alias).exists():
            report.bad.append((where, f"alias {alias!r} belongs to another token"))
            return
        exchange.copy_into(parsed.token, parsed, proxies)
        try:
            services.save_new_token(parsed.token)
        except IntegrityError:
            report.skipped += 1
            return
        report.added += 1
        return
    # Keep what this server learned on its own since the export: health.
    parsed.token.health, parsed.token.cooldown_until = existing.health, existing.cooldown_until
    changed = exchange.copy_into(existing, parsed, proxies)
    renamed = alias and alias != existing.alias and not alias.startswith("unnamed")
    if renamed and not Token.objects.filter(alias=alias).exists():
        existing.alias = alias
        changed.append("alias")
    if not changed:
        report.skipped += 1
        return
    existing.save()
    report.updated += 1


def import_rows(rows: Iterable[Row], report: ImportReport, tick: Callable[[], None] = lambda: None) -> None:
    proxies = {p.name: p for p in Proxy.objects.all()}
    for where, alias, info in rows:
        try:
            if isinstance(info, str):
                raise services.TokenInputError(info)
            parsed = exchange.parse_info(alias, info)
        except services.TokenInputError as exc:
            report.bad.append((where, str(exc)))
        else:
            import_parsed(where, parsed, report, proxies)
        tick()


def legacy_lines(lines: Iterable[str], report: ImportReport, tick: Callable[[], None] = lambda: None) -> None:
    """The original's `.tokens` file: `token` or `token,checksum` per line, `#` comments.

    A token already in the pool is updated (its checksum, when the line has one) rather than
    duplicated.
    """
    for number, raw in enumerate(lines, start=1):
        _legacy_line(number, raw.strip(), report)
        tick()


def _legacy_line(number: int, line: str, report: ImportReport) -> None:
    if not line or line.startswith("#"):
        return
    value, _, checksum_value = line.partition(",")
    checksum_value = checksum_value.strip()
    try:
        token = services.build_token(value.strip(), checksum_value=checksum_value)
    except services.TokenInputError as exc:
        report.bad.append((f"line {number}", str(exc)))
        return
    existing = Token.objects.filter(token_digest=token.token_digest).first()
    if existing is None:
        try:
            services.save_new_token(token)
        except IntegrityError:
            report.skipped += 1
            return
        report.added += 1
        return
    halves = (token.checksum_first, token.checksum_second)
    if (
        checksum_value
        and checksum.split(checksum_value)
        and (
            existing.checksum_first,
            existing.checksum_second,
        )
        != halves
    ):
        existing.checksum_first, existing.checksum_second = halves
        existing.save(update_fields=["checksum_first", "checksum_second", "updated_at"])
        report.updated += 1
    else:
        report.skipped += 1


def import_text(
    name: str, text: str, kind: str = "auto", tick: Callable[[int], Callable[[], None]] | None = None
) -> ImportReport:
    """Import a whole file; `tick(total)` gives the per-row progress callback."""
    kind = detect(name, text) if kind == "auto" else kind
    report = ImportReport()
    if kind == "legacy":
        lines = text.splitlines()
        legacy_lines(lines, report, tick(len(lines)) if tick else lambda: None)
        return report
    rows = json_rows(text) if kind == "json" else csv_rows(text)
    import_rows(rows, report, tick(len(rows)) if tick else lambda: None)
    return report
