"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

    ::error title=nanlint (NAN301),file=train.py,line=12,col=7,endLine=12,endColumn=50::NAN301 ...

Values are escaped as the runner expects (`%`, CR and LF everywhere; `:` and `,` in
properties as well). Notebook findings carry no line (the file's lines are JSON, not
the cell's), so the annotation is attached to the file and the message names the cell.
"""

from __future__ import annotations

from typing import List

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import Formatter


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubFormatter(Formatter):
    def format(self, diagnostic: Diagnostic) -> str:
        properties: List[str] = [f"title=nanlint ({diagnostic.code})", f"file={diagnostic.path}"]
        message = f"{diagnostic.code} {diagnostic.message}"
        if diagnostic.cell is None:
            properties += [f"line={diagnostic.line}", f"col={diagnostic.col}"]
            if diagnostic.end_line is not None and diagnostic.end_col is not None:
                properties += [f"endLine={diagnostic.end_line}", f"endColumn={diagnostic.end_col}"]
        else:
            message = f"cell {diagnostic.cell}, line {diagnostic.line}, column {diagnostic.col}: {message}"
        head = ",".join(
            name + "=" + escape_property(value) for name, value in (item.split("=", 1) for item in properties)
        )
        return f"::error {head}::{escape_data(message)}"
