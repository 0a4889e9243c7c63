"""flake8-style: `path:line:col: CODE message`."""

from __future__ import annotations

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import Formatter


class TextFormatter(Formatter):
    def format(self, diagnostic: Diagnostic) -> str:
        return f"{diagnostic.location()}: {diagnostic.code} {diagnostic.message}"
