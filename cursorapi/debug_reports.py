"""Error reports (DEBUG's 500 page, admin error mails) that never show a secret.

Django's own filter hides variables only when DEBUG is off, and only names listed with
`sensitive_variables`; its 500 page showed a pool token in full through a local's repr. This one
is active whatever DEBUG says, hides every local, POST field and setting whose name looks secret
(token, key, secret, password, ...), and scrubs credential-looking text out of every other repr.
"""

from __future__ import annotations

import pprint
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

from cursorapi.upstream.scrub import scrub


class _Scrubbed:
    """A value shown by its scrubbed repr (the report pretty-prints values with repr)."""

    __slots__ = ("_text",)

    def __init__(self, value: Any) -> None:
        try:
            text = pprint.pformat(value)
        except Exception:  # a repr that fails is the report's business, not ours
            text = f"<{type(value).__name__} (repr failed)>"
        self._text = scrub(text)

    def __repr__(self) -> str:
        return self._text


class ScrubbingReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: Any) -> bool:
        return True

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        shown = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if value == self.cleansed_substitute:
                shown.append((name, value))
            elif self.hidden_settings.search(name):
                shown.append((name, self.cleansed_substitute))
            else:
                shown.append((name, _Scrubbed(value)))
        return shown

    def get_post_parameters(self, request: Any) -> Any:
        params = super().get_post_parameters(request)
        if request is None or not params:
            return params
        params = params.copy()
        for name in list(params):
            if self.hidden_settings.search(name):
                params[name] = self.cleansed_substitute
        return params
