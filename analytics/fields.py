"""The Admin API's fields, in one place: JSON name, CSV column and kind of each, for both endpoints.

Used both ways: to read what Cursor sends (JSON items or CSV rows) into model fields, and to write our
rows back out in Cursor's shapes. Django-free; rows are plain dicts keyed by model field name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cursorapi import csv_cells


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # model field and CSV column (the doc's snake_case)
    json_name: str  # the doc's camelCase
    kind: str  # "str", "int", "bool", "time", "json"
    nullable: bool = False


COMMIT_FIELDS: tuple[Field, ...] = (
    Field("commit_hash", "commitHash", "str"),
    Field("user_id", "userId", "str"),
    Field("user_email", "userEmail", "str"),
    Field("repo_name", "repoName", "str", nullable=True),
    Field("branch_name", "branchName", "str", nullable=True),
    Field("is_primary_branch", "isPrimaryBranch", "bool", nullable=True),
    Field("total_lines_added", "totalLinesAdded", "int"),
    Field("total_lines_deleted", "totalLinesDeleted", "int"),
    Field("tab_lines_added", "tabLinesAdded", "int"),
    Field("tab_lines_deleted", "tabLinesDeleted", "int"),
    Field("composer_lines_added", "composerLinesAdded", "int"),
    Field("composer_lines_deleted", "composerLinesDeleted", "int"),
    Field("non_ai_lines_added", "nonAiLinesAdded", "int", nullable=True),
    Field("non_ai_lines_deleted", "nonAiLinesDeleted", "int", nullable=True),
    Field("message", "message", "str", nullable=True),
    Field("commit_ts", "commitTs", "time", nullable=True),
    Field("created_at", "createdAt", "time"),
)

CHANGE_FIELDS: tuple[Field, ...] = (
    Field("change_id", "changeId", "str"),
    Field("user_id", "userId", "str"),
    Field("user_email", "userEmail", "str"),
    Field("source", "source", "str"),
    Field("model", "model", "str", nullable=True),
    Field("total_lines_added", "totalLinesAdded", "int"),
    Field("total_lines_deleted", "totalLinesDeleted", "int"),
    Field("created_at", "createdAt", "time"),
    Field("metadata", "metadata", "json"),
)

# The CSV calls the metadata column `metadata_json`; every other column is the field's name.
CSV_NAMES = {"metadata": "metadata_json"}


def csv_header(fields: tuple[Field, ...]) -> list[str]:
    return [CSV_NAMES.get(f.name, f.name) for f in fields]


class BadItem(ValueError):
    """Cursor sent something we cannot store; the message says which field."""


# --- writing ---------------------------------------------------------------------------------------


def format_time(value: datetime) -> str:
    """Cursor's timestamp style: UTC, milliseconds, `Z` (2025-07-30T14:12:03.000Z)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


METADATA_KEYS = ("fileName", "fileExtension", "linesAdded", "linesDeleted")


def doc_ordered(metadata: Any) -> Any:
    """Metadata entries with the doc's key order (others after): PostgreSQL's jsonb sorts keys its own way."""
    if not isinstance(metadata, list):
        return metadata
    ordered = []
    for entry in metadata:
        if isinstance(entry, dict):
            known = {k: entry[k] for k in METADATA_KEYS if k in entry}
            entry = {**known, **{k: v for k, v in entry.items() if k not in known}}
        ordered.append(entry)
    return ordered


def to_json_item(row: dict[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for f in fields:
        value = row[f.name]
        if f.kind == "time" and value is not None:
            value = format_time(value)
        elif f.kind == "json":
            value = doc_ordered(value)
        item[f.json_name] = value
    return item


def to_csv_values(row: dict[str, Any], fields: tuple[Field, ...]) -> list[Any]:
    values: list[Any] = []
    for f in fields:
        value = row[f.name]
        if value is None:
            values.append("")
        elif f.kind == "bool":
            values.append("true" if value else "false")
        elif f.kind == "time":
            values.append(format_time(value))
        elif f.kind == "json":
            values.append(json.dumps(doc_ordered(value), separators=(",", ":"), ensure_ascii=False))
        else:
            values.append(value)
    return csv_cells.row(values)


# --- reading ---------------------------------------------------------------------------------------


def _parse_time(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadItem(f"{name} is not an ISO timestamp") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check(value: Any, f: Field) -> Any:
    if value is None:
        if f.nullable:
            return None
        raise BadItem(f"{f.json_name} is missing")
    if f.kind == "str" and isinstance(value, str):
        return value
    if f.kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if f.kind == "bool" and isinstance(value, bool):
        return value
    if f.kind == "time" and isinstance(value, str):
        return _parse_time(value, f.json_name)
    if f.kind == "json" and isinstance(value, list):
        return value
    raise BadItem(f"{f.json_name} has an unexpected type")


def from_json_item(item: Any, fields: tuple[Field, ...]) -> dict[str, Any]:
    """One item of a JSON page to model field values. Absent nullable fields (undefined) become null."""
    if not isinstance(item, dict):
        raise BadItem("an item is not an object")
    return {f.name: _check(item.get(f.json_name), f) for f in fields}


def _csv_value(text: str, f: Field) -> Any:
    if text == "":
        if f.nullable:
            return None
        if f.kind == "str":
            return ""
        if f.kind == "json":
            return []
        raise BadItem(f"{f.name} is empty")
    if f.kind == "str":
        return text
    if f.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise BadItem(f"{f.name} is not a number") from None
    if f.kind == "bool":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise BadItem(f"{f.name} is not true or false")
    if f.kind == "time":
        return _parse_time(text, f.name)
    try:
        value = json.loads(text)
    except ValueError:
        raise BadItem(f"{CSV_NAMES.get(f.name, f.name)} is not JSON") from None
    if not isinstance(value, list):
        raise BadItem(f"{CSV_NAMES.get(f.name, f.name)} is not a JSON array")
    return value


def from_csv_row(row: dict[str, str], fields: tuple[Field, ...]) -> dict[str, Any]:
    """One CSV record (keyed by column) to model field values. An empty nullable cell is null."""
    out: dict[str, Any] = {}
    for f in fields:
        column = CSV_NAMES.get(f.name, f.name)
        if column not in row:
            raise BadItem(f"the CSV has no {column} column")
        out[f.name] = _csv_value(row[column], f)
    return out
