"""Small routes the original serves: its root redirect, text files, an example config, generate_204."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=307, headers={"Location": "/health"})  # the original's temporary redirect


def _text_file(name: str, content_type: str) -> HttpResponse:
    path = settings.BASE_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return JsonResponse(
            {"status": "error", "error": "not_found", "message": f"this installation ships no {name}"},
            status=404,
        )
    return HttpResponse(text, content_type=f"{content_type}; charset=utf-8")


@require_GET
def env_example(request: HttpRequest) -> HttpResponse:
    return _text_file(".env.example", "text/plain")


@require_GET
def readme(request: HttpRequest) -> HttpResponse:
    return _text_file("README.md", "text/markdown")


@require_GET
def license_text(request: HttpRequest) -> HttpResponse:
    return _text_file("LICENSE", "text/plain")


@require_GET
def config_example(request: HttpRequest) -> HttpResponse:
    from runtime import toml_config

    return HttpResponse(toml_config.example(), content_type="application/toml; charset=utf-8")


@require_GET
def generate_204(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)
