"""pylint's parseable style: `path:line: [CODE] message`.

The format has no column and no cell; in a notebook the cell is named at the start of
the message (`(cell 2) ...`) and `line` is the line within that cell.
"""

from __future__ import annotations

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import Formatter


class PylintFormatter(Formatter):
    def format(self, diagnostic: Diagnostic) -> str:
        where = f"(cell {diagnostic.cell}) " if diagnostic.cell is not None else ""
        return f"{diagnostic.path}:{diagnostic.line}: [{diagnostic.code}] {where}{diagnostic.message}"
