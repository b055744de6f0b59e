"""`/metrics` in Prometheus' text format, from the database so that every worker reports the same."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cursorapi import auth
from cursorapi.dbwork import db

# Time-to-first-token buckets, milliseconds.
BUCKETS = (100, 250, 500, 1000, 2500, 5000, 10000, 30000)


def _lines() -> list[str]:
    from chatlogs import billing
    from chatlogs.models import ChatLog, Status
    from tokens.models import Health, Token

    out = [
        "# HELP cursorapi_key_spend_cents Cents Cursor billed per named API key (REAL_USAGE), UTC periods.",
        "# TYPE cursorapi_key_spend_cents gauge",
    ]
    for name, spend in sorted(billing.spend_by_key().items()):
        label = name.replace("\\", "\\\\").replace('"', '\\"')
        out.append(f'cursorapi_key_spend_cents{{key="{label}",period="today"}} {spend["today_cents"]}')
        out.append(f'cursorapi_key_spend_cents{{key="{label}",period="month"}} {spend["month_cents"]}')
    out += [
        "# HELP cursorapi_requests_total Chat requests in the log, by dialect, status and HTTP status.",
        "# TYPE cursorapi_requests_total counter",
    ]
    rows = ChatLog.objects.values("dialect", "status", "http_status").annotate(n=Count("pk")).order_by()
    for row in rows:
        out.append(
            f'cursorapi_requests_total{{dialect="{row["dialect"]}",status="{row["status"]}",'
            f'http_status="{row["http_status"] or ""}"}} {row["n"]}'
        )
    out += [
        "# HELP cursorapi_streams_in_flight Chat requests started in the last hour and not finished.",
        "# TYPE cursorapi_streams_in_flight gauge",
        "cursorapi_streams_in_flight "
        + str(
            ChatLog.objects.filter(
                status=Status.PENDING, created_at__gte=timezone.now() - timedelta(hours=1)
            ).count()
        ),
        "# HELP cursorapi_upstream_ttft_ms Time to the first token from Cursor, successful requests.",
        "# TYPE cursorapi_upstream_ttft_ms histogram",
    ]
    done = ChatLog.objects.filter(status=Status.SUCCESS, ttft_ms__isnull=False)
    counts = done.aggregate(
        **{f"le{b}": Count("pk", filter=Q(ttft_ms__lte=b)) for b in BUCKETS}, total=Count("pk")
    )
    for b in BUCKETS:
        out.append(f'cursorapi_upstream_ttft_ms_bucket{{le="{b}"}} {counts[f"le{b}"]}')
    out.append(f'cursorapi_upstream_ttft_ms_bucket{{le="+Inf"}} {counts["total"]}')
    out.append(f"cursorapi_upstream_ttft_ms_count {counts['total']}")
    out += ["# HELP cursorapi_tokens Pool tokens by health.", "# TYPE cursorapi_tokens gauge"]
    health = dict(Token.objects.values_list("health").annotate(n=Count("pk")).order_by())
    for state in Health.values:
        out.append(f'cursorapi_tokens{{health="{state}"}} {health.get(state, 0)}')
    out.append(f'cursorapi_tokens{{health="usable"}} {Token.objects.usable().count()}')  # type: ignore[attr-defined]
    return out


@require_http_methods(["GET", "HEAD"])
async def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_PUBLIC and not auth.is_admin(request):
        return HttpResponse("unauthorized\n", status=401, content_type="text/plain")
    from cursorapi import upstream_metrics

    lines = await db(_lines)() + upstream_metrics.lines()
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4; charset=utf-8")
