"""The management API's OpenAPI schema (drf-spectacular) at /api/schema/, browsable at /api/docs/
(Swagger UI) and /api/redoc/, with their JavaScript and CSS served from this server (the sidecar
package), so the pages work offline and load nothing from a CDN.

The management routes are function views over free-form JSON (the original's shapes, which differ
between R3 and R4), so each is documented generically by `documented`: a JSON body, a JSON object
on success, and the original's error object on failure. That is what a client can rely on, and what
a schema-driven fuzzer (the schemathesis test) checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The original's error object, which every management route answers a failure with."""

    status = serializers.ChoiceField(choices=["error"])
    code = serializers.IntegerField(help_text="the HTTP status")
    error = serializers.CharField(help_text="a short machine-readable kind, e.g. invalid_json, unauthorized")
    message = serializers.CharField(help_text="what went wrong, for a person")


_ERROR = OpenApiResponse(
    ErrorSerializer,
    description="the original's error object",
    examples=[
        OpenApiExample(
            "unauthorized",
            {
                "status": "error",
                "code": 401,
                "error": "unauthorized",
                "message": "Invalid authorization token",
            },
        )
    ],
)
# Every failure a management route can answer, whatever its cause (bad body, auth, conflict, limits).
_ERRORS = {
    status: _ERROR for status in (400, 401, 403, 404, 405, 408, 409, 412, 413, 415, 422, 431, 502, 503)
}


def documented(fn: Callable[..., Any], methods: list[str], auth: str) -> Callable[[Any], Any]:
    """extend_schema for one management view: its docstring, a free JSON body, the error object."""
    summary, _, description = (fn.__doc__ or fn.__name__.replace("_", " ")).strip().partition("\n")
    return extend_schema(
        operation_id=fn.__name__,
        summary=summary.strip(),
        description=f"{description.strip()}\n\nAuth: {auth}.".strip(),
        request={"application/json": OpenApiTypes.ANY} if "POST" in methods else None,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="success"), **_ERRORS},
        tags=[fn.__module__.split(".")[0]],
    )


urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="schema-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="schema-redoc"),
]
