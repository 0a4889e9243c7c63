"""The formatter interface: start, one call per diagnostic, finish.

A format is one module with one Formatter subclass, registered by name in
`formatters/__init__.py`. Line formats implement `format()`; document formats
(JSON, SARIF, ...) collect in `handle()` and write everything in `finish()`.
"""

from __future__ import annotations

from typing import IO, Any, Dict, List, Mapping, Optional, Sequence

from nanlint.diagnostics import INTERNAL_ERROR_CODE, UNREADABLE_CODE, Diagnostic

# Codes that are not rules but still appear in reports.
PSEUDO_RULES: Dict[str, Dict[str, str]] = {
    UNREADABLE_CODE: {
        "name": "unreadable-file",
        "message": "File could not be read, decoded or parsed, so it was not checked",
    },
    INTERNAL_ERROR_CODE: {
        "name": "internal-error",
        "message": "A rule raised an exception while checking this file (a bug in nanlint or a plugin)",
    },
}


class Formatter:
    """Writes diagnostics to a stream. Subclasses implement `format`, or override the hooks."""

    def __init__(
        self,
        stream: IO[str],
        rules: Mapping[str, type] = {},
        sources: Any = {},
        *,
        show_fixes: bool = False,
    ) -> None:
        self.stream = stream
        self.rules = rules  # code -> rule class, for formats that describe rules
        # path -> source text, or a SourceLines, for formats that show context
        self.sources = sources
        self.show_fixes = show_fixes

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

    # --- helpers for subclasses ---------------------------------------------------

    def rule_name(self, code: str) -> Optional[str]:
        rule = self.rules.get(code)
        if rule is not None:
            return getattr(rule, "name", None)
        pseudo = PSEUDO_RULES.get(code)
        return pseudo["name"] if pseudo else None

    def source_lines(self, diagnostic: Diagnostic) -> List[str]:
        """The lines of the file (or notebook cell) the diagnostic is in; [] if unknown."""
        lookup = getattr(self.sources, "lines", None)
        if callable(lookup):
            return lookup(diagnostic.path, diagnostic.cell)
        text = self.sources.get(diagnostic.path) if hasattr(self.sources, "get") else None
        if not isinstance(text, str) or diagnostic.cell is not None:
            return []
        from nanlint.formatters.sources import split_lines

        return split_lines(text)

    def source_line(self, diagnostic: Diagnostic) -> Optional[str]:
        lines = self.source_lines(diagnostic)
        return lines[diagnostic.line - 1] if 1 <= diagnostic.line <= len(lines) else None

    def line_lookup(self) -> "LineLookup":
        """An object with `line(path, line, cell)` over this formatter's sources."""
        return LineLookup(self)

    def fix_preview(self, diagnostic: Diagnostic) -> List[str]:
        """`- old` / `+ new` lines of the diagnostic's fix (empty if no fix or no source)."""
        fix = diagnostic.fix
        if fix is None:
            return []
        lines = self.source_lines(diagnostic)
        if not (1 <= fix.line <= fix.end_line <= len(lines)):
            return []
        old = lines[fix.line - 1 : fix.end_line]
        new_text = old[0][: fix.col - 1] + fix.replacement + old[-1][fix.end_col - 1 :]
        from nanlint.formatters.sources import split_lines

        return [f"- {line}" for line in old] + [f"+ {line}" for line in split_lines(new_text) or [""]]

    def to_dict(self, diagnostic: Diagnostic) -> Dict[str, Any]:
        """The documented JSON shape of one diagnostic (docs/json-schema.md)."""
        fix = diagnostic.fix
        return {
            "code": diagnostic.code,
            "rule": self.rule_name(diagnostic.code),
            "message": diagnostic.message,
            "path": diagnostic.path,
            "cell": diagnostic.cell,
            "line": diagnostic.line,
            "column": diagnostic.col,
            "end_line": diagnostic.end_line,
            "end_column": diagnostic.end_col,
            "fix_title": diagnostic.fix_title,
            "fix": None
            if fix is None
            else {
                "safety": fix.safety.value,
                "title": diagnostic.fix_title,
                "edits": [
                    {
                        "line": fix.line,
                        "column": fix.col,
                        "end_line": fix.end_line,
                        "end_column": fix.end_col,
                        "content": fix.replacement,
                    }
                ],
            },
        }


class LineLookup:
    def __init__(self, formatter: Formatter) -> None:
        self.formatter = formatter

    def line(self, path: str, line: int, cell: Optional[int] = None) -> Optional[str]:
        return self.formatter.source_line(Diagnostic(path, line, 1, "", "", cell=cell))
