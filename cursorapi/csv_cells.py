"""CSV cells that a spreadsheet will not run as formulas.

Exports carry text from outside (commit messages, branch names, error texts). A cell starting
with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and Google
Sheets (`=HYPERLINK(...)`, `@SUM(...)`, DDE payloads); such a text cell gets a leading `'`, which
spreadsheets show as text and do not display. Numbers are left alone: they are not text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]
