"""The editor's file sync session: `FilesyncCookie` and the load balancer's `AWSALBAPP-*` cookies.

Only these travel, both ways. Anything else in the editor's Cookie header (a session cookie of
this site, say) is none of Cursor's business, and Cursor's other cookies are none of the editor's.
Values are passed byte for byte: the load balancer's cookies hold base64 that a cookie library
would otherwise quote, and a quoted value would come back to Cursor as a different cookie.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http.cookies import CookieError, Morsel

from django.http import HttpResponse

_PASSED = re.compile(r"^(FilesyncCookie|AWSALBAPP-\d+)$")
_KEPT_ATTRIBUTES = {"path", "expires", "max-age", "samesite"}
_FLAGS = {"secure", "httponly"}


def forwarded(cookie_header: str) -> str:
    """What of the editor's Cookie header goes to Cursor, verbatim."""
    kept = []
    for part in cookie_header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and _PASSED.match(name.strip()):
            kept.append(f"{name.strip()}={value.strip()}")
    return "; ".join(kept)


def pass_back(response: HttpResponse, set_cookies: Iterable[str]) -> None:
    """Put Cursor's file sync cookies on our response, as Cursor set them except for its Domain."""
    for raw in set_cookies:
        first, *attributes = raw.split(";")
        name, sep, value = first.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not _PASSED.match(name):
            continue
        morsel: Morsel[str] = Morsel()
        try:
            morsel.set(name, value, value)  # the coded value is written out as is
        except CookieError:
            continue
        for attribute in attributes:
            key, _, val = attribute.strip().partition("=")
            key = key.strip().lower()
            if key in _FLAGS:
                morsel[key] = True
            elif key in _KEPT_ATTRIBUTES:
                morsel[key] = val.strip()
            # Domain (cursor.sh) is dropped: the editor must keep the cookie for this proxy's host.
        response.cookies[name] = morsel
