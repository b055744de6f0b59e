"""AI share of added lines per user or per repo over a period: what the admin summary shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, IntegerField, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from .models import AiCommit

GROUPS = {"user": "user_email", "repo": "repo_name"}


@dataclass(frozen=True, slots=True)
class ShareRow:
    key: str | None
    commits: int
    tab: int
    composer: int
    non_ai: int

    @property
    def total(self) -> int:
        return self.tab + self.composer + self.non_ai

    def _pct(self, part: int) -> float:
        return round(100.0 * part / self.total, 1) if self.total else 0.0

    @property
    def tab_pct(self) -> float:
        return self._pct(self.tab)

    @property
    def composer_pct(self) -> float:
        return self._pct(self.composer)

    @property
    def non_ai_pct(self) -> float:
        return self._pct(self.non_ai)

    @property
    def ai_pct(self) -> float:
        return self._pct(self.tab + self.composer)


def _non_ai_added() -> Coalesce:
    # Cursor may leave nonAiLinesAdded null; its own rule is max(0, total - AI lines).
    derived = Greatest(F("total_lines_added") - F("tab_lines_added") - F("composer_lines_added"), Value(0))
    return Coalesce(F("non_ai_lines_added"), derived, output_field=IntegerField())


def share_by(group: str, start: datetime, end: datetime) -> tuple[list[ShareRow], ShareRow]:
    """Rows per user or repo (most added lines first), and the total over all of them."""
    column = GROUPS[group]
    qs = AiCommit.objects.filter(created_at__gte=start, created_at__lte=end)
    sums = {
        "commits": Count("id"),
        "tab": Coalesce(Sum("tab_lines_added"), 0),
        "composer": Coalesce(Sum("composer_lines_added"), 0),
        "non_ai": Coalesce(Sum(_non_ai_added()), 0),
    }
    grouped = qs.order_by().values(column).annotate(**sums)
    rows = [ShareRow(r[column], r["commits"], r["tab"], r["composer"], r["non_ai"]) for r in grouped]
    rows.sort(key=lambda r: (-r.total, r.key or ""))
    total = ShareRow(
        None,
        sum(r.commits for r in rows),
        sum(r.tab for r in rows),
        sum(r.composer for r in rows),
        sum(r.non_ai for r in rows),
    )
    return rows, total
