"""DRF's JSON parser through cursorapi.jsonbody: the management API gets the same limits as the rest."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from cursorapi import jsonbody


class JsonBodyParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return jsonbody.loads(stream.read() if stream is not None else b"")
        except jsonbody.BadJson as exc:
            raise ParseError(str(exc)) from None
