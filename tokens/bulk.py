"""Writes that touch many tokens at once: replacing the pool, merging fields, importing exports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction

from cursorapi import crypto
from cursorapi.upstream import checksum
from proxies.models import Proxy

from . import exchange, services
from .models import Token


def _proxies() -> dict[str, Proxy]:
    return {p.name: p for p in Proxy.objects.all()}


def replace_pool(items: list[tuple[str, exchange.Parsed]]) -> int:
    """`/tokens/set`: the pool becomes exactly `items`; the number of tokens after.

    Tokens already in the pool (same token, else same alias) are updated in place, so their logs,
    health and profiles stay attached; the others are deleted. A later duplicate alias is dropped,
    as the original drops it.
    """
    proxies = _proxies()
    seen: set[str] = set()
    wanted: list[tuple[str, exchange.Parsed]] = []
    for alias, parsed in items:
        if alias and alias in seen:
            continue
        seen.add(alias)
        wanted.append((alias, parsed))
    with transaction.atomic():
        by_digest = {t.token_digest: t for t in Token.objects.all()}
        by_alias = {t.alias: t for t in by_digest.values()}
        kept: dict[int, tuple[Token, exchange.Parsed]] = {}
        new: list[exchange.Parsed] = []
        for alias, parsed in wanted:
            match = by_digest.get(parsed.token.token_digest) or by_alias.get(alias)
            if match is not None and match.pk not in kept:
                kept[match.pk] = (match, parsed)
            elif parsed.token.token_digest not in {p.token.token_digest for p in new}:
                new.append(parsed)
        Token.objects.exclude(pk__in=kept).delete()
        # Park the kept aliases first, so that two tokens can swap names.
        parking = uuid.uuid4().hex  # no real alias looks like this
        for pk in kept:
            Token.objects.filter(pk=pk).update(alias=f"parked-{parking}-{pk}")
        for token, parsed in kept.values():
            exchange.copy_into(token, parsed, proxies)
            token.alias = parsed.token.alias
            if not token.alias or token.alias.startswith("unnamed"):
                token.alias = f"unnamed-{token.pk}"
            token.save()
        for parsed in new:
            exchange.copy_into(parsed.token, parsed, proxies)
            services.save_new_token(parsed.token)
    return Token.objects.count()


# --- /tokens/merge -------------------------------------------------------------------------------


MERGE_FIELDS = (
    "primary_token",
    "secondary_token",
    "checksum",
    "client_key",
    "config_version",
    "session_id",
    "proxy",
    "timezone",
    "gcpp_host",
)


def merge_values(alias: str, values: Any, proxies: dict[str, Proxy]) -> dict[str, Any]:
    """The model fields one `/tokens/merge` entry sets; TokenInputError names a bad value."""
    if not isinstance(values, dict):
        raise services.TokenInputError(f"{alias}: must be an object of fields")
    unknown = set(values) - set(MERGE_FIELDS)
    if unknown:
        raise services.TokenInputError(f"{alias}: unknown fields {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    try:
        for name, value in values.items():
            if name in ("primary_token", "secondary_token"):
                if not isinstance(value, str):
                    raise services.TokenInputError(f"{name} must be a JWT string")
                parsed = services.parse_token(value)
                if name == "secondary_token":
                    out["secondary_token"] = parsed.raw
                    continue
                out.update(
                    primary_token=parsed.raw,
                    token_digest=crypto.digest(parsed.raw),
                    user_id=parsed.user_id,
                    provider=parsed.provider,
                    token_type=parsed.token_type,
                    expires_at=datetime.fromtimestamp(parsed.expires_at, tz=UTC),
                )
            elif name == "checksum":
                parts = checksum.split(exchange.checksum_text(value))
                if parts is None:
                    raise services.TokenInputError("checksum must be two 64-hex halves")
                out["checksum_first"], out["checksum_second"] = parts
            elif name == "client_key":
                value = exchange._strict_client_key(value)
                if not value:
                    raise services.TokenInputError("client_key must be 64 hex digits")
                out["client_key"] = value.lower()
            elif name in ("config_version", "session_id"):
                try:
                    out[name] = uuid.UUID(str(value))
                except ValueError as exc:
                    raise services.TokenInputError(f"{name} must be a UUID") from exc
            elif name == "proxy":
                if value not in proxies:
                    raise services.TokenInputError(f"proxy: no proxy is named {value!r}")
                out["proxy"] = proxies[value]
            elif name == "timezone":
                out["timezone"] = services.normalize_timezone(exchange._string(value, name))
            elif name == "gcpp_host":
                out["gcpp_host"] = services.normalize_gcpp_host(exchange._string(value, name))
    except services.TokenInputError as exc:
        if str(exc).startswith(f"{alias}:"):
            raise
        raise services.TokenInputError(f"{alias}: {exc}") from exc
    return out


def merge(changes: dict[str, Any]) -> tuple[int, dict[str, str]]:
    """`/tokens/merge`: validate every entry first (any bad value refuses the whole request), then
    apply; (merged, {alias: why not}) for unknown aliases, empty entries and clashes."""
    proxies = _proxies()
    validated = {alias: merge_values(alias, values, proxies) for alias, values in changes.items()}
    failed: dict[str, str] = {}
    merged = 0
    tokens = {t.alias: t for t in Token.objects.filter(alias__in=list(validated))}
    for alias, fields in validated.items():
        token = tokens.get(alias)
        if token is None:
            failed[alias] = "no token has this alias"
            continue
        if not fields:
            failed[alias] = "no field to merge"
            continue
        for name, value in fields.items():
            setattr(token, name, value)
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:
            failed[alias] = "that token is already in the pool under another alias"
            continue
        merged += 1
    return merged, failed
