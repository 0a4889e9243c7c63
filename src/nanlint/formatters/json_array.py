"""`json`: a JSON array of findings, in the schema documented in docs/json-schema.md."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import Formatter


class JsonFormatter(Formatter):
    def start(self) -> None:
        self._items: List[Dict[str, Any]] = []

    def handle(self, diagnostic: Diagnostic) -> None:
        self._items.append(self.to_dict(diagnostic))

    def finish(self) -> None:
        self.stream.write(json.dumps(self._items, indent=2, ensure_ascii=False) + "\n")
