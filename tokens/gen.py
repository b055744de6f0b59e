"""The original's generators (text/plain, no auth), in its formats."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from cursorapi.upstream import checksum


def _text(value: str) -> HttpResponse:
    return HttpResponse(value, content_type="text/plain; charset=utf-8")


def gen_uuid(request: HttpRequest) -> HttpResponse:
    return _text(str(uuid.uuid4()))


def gen_hash(request: HttpRequest) -> HttpResponse:
    return _text(checksum.random_hash(settings.SAFE_HASH))


def gen_checksum(request: HttpRequest) -> HttpResponse:
    return _text(
        checksum.build(checksum.random_hash(settings.SAFE_HASH), checksum.random_hash(settings.SAFE_HASH))
    )


def get_checksum_header(request: HttpRequest) -> HttpResponse:
    return _text(checksum.time_header())
