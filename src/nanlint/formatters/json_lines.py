"""One JSON object per line (the schema of the `json` format), for streaming consumers."""

from __future__ import annotations

import json

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import Formatter


class JsonLinesFormatter(Formatter):
    def format(self, diagnostic: Diagnostic) -> str:
        return json.dumps(self.to_dict(diagnostic), ensure_ascii=False, separators=(",", ":"))
