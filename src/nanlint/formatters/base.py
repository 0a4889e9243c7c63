"""The formatter interface: start, one call per diagnostic, finish."""

from __future__ import annotations

from typing import IO, Mapping, Sequence

from nanlint.diagnostics import Diagnostic


class Formatter:
    """Writes diagnostics to a stream. Subclasses implement `format`, or override the hooks."""

    def __init__(self, stream: IO[str], rules: Mapping[str, type] = {}, sources: Mapping[str, str] = {}) -> None:
        self.stream = stream
        self.rules = rules  # code -> rule class, for formats that describe rules
        self.sources = sources  # path -> source text, for formats that show context

    def start(self) -> None:
        pass

    def handle(self, diagnostic: Diagnostic) -> None:
        line = self.format(diagnostic)
        if line is not None:
            self.stream.write(line + "\n")

    def format(self, diagnostic: Diagnostic) -> "str | None":
        raise NotImplementedError

    def finish(self) -> None:
        pass

    def write_all(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.start()
        for diagnostic in diagnostics:
            self.handle(diagnostic)
        self.finish()
