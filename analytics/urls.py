from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("analytics/ai-code/commits", views.metrics_json, {"endpoint": "commits"}),
    path("analytics/ai-code/commits.csv", views.metrics_csv, {"endpoint": "commits"}),
    path("analytics/ai-code/changes", views.metrics_json, {"endpoint": "changes"}),
    path("analytics/ai-code/changes.csv", views.metrics_csv, {"endpoint": "changes"}),
]
