"""`--statistics`: how many findings of each code, most frequent first, instead of the findings.

    16  NAN301  large-learning-rate
     4  NAN302  clip-before-backward

With `--output-format json` the same is a JSON array of {code, name, count, fixable}.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import List

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import Formatter


class StatisticsFormatter(Formatter):
    as_json = False

    def start(self) -> None:
        self._counts: Counter = Counter()
        self._fixable: Counter = Counter()

    def handle(self, diagnostic: Diagnostic) -> None:
        self._counts[diagnostic.code] += 1
        if diagnostic.fix is not None:
            self._fixable[diagnostic.code] += 1

    def rows(self) -> List[tuple]:
        return sorted(self._counts.items(), key=lambda item: (-item[1], item[0]))

    def finish(self) -> None:
        rows = self.rows()
        if self.as_json:
            items = [
                {"code": code, "name": self.rule_name(code), "count": count, "fixable": self._fixable[code]}
                for code, count in rows
            ]
            self.stream.write(json.dumps(items, indent=2) + "\n")
            return
        width = max((len(str(count)) for _, count in rows), default=1)
        for code, count in rows:
            name = self.rule_name(code) or ""
            fixable = f"  ({self._fixable[code]} fixable)" if self._fixable[code] else ""
            self.stream.write(f"{count:>{width}}  {code}  {name}{fixable}".rstrip() + "\n")


class JsonStatisticsFormatter(StatisticsFormatter):
    as_json = True
