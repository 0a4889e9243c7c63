"""GitLab Code Quality report: a JSON array GitLab shows in merge requests.

Each issue has `description`, `check_name` (the code), `fingerprint` (an MD5 of the
code, the path and the baseline fingerprint of the line's content, so an issue keeps
its identity when lines move), `severity` and `location` with `path` and
`positions`. Paths are as given on the command line; run nanlint from the project
root so they are relative to it. Notebook positions count lines within the cell, and
the description names the cell.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import PSEUDO_RULES, Formatter


class GitlabFormatter(Formatter):
    def start(self) -> None:
        self._diagnostics: List[Diagnostic] = []

    def handle(self, diagnostic: Diagnostic) -> None:
        self._diagnostics.append(diagnostic)

    def finish(self) -> None:
        from nanlint.baseline import fingerprints, relative_path

        prints = fingerprints(self._diagnostics, self.line_lookup(), ".")
        issues: List[Dict[str, Any]] = []
        for diagnostic, fingerprint in zip(self._diagnostics, prints):
            path = relative_path(diagnostic.path, ".") if not diagnostic.path.startswith("/") else diagnostic.path
            identity = f"{diagnostic.code}:{path}:{fingerprint}"
            description = f"{diagnostic.code} {diagnostic.message}"
            if diagnostic.cell is not None:
                description = f"(cell {diagnostic.cell}) {description}"
            end_line = diagnostic.end_line if diagnostic.end_line is not None else diagnostic.line
            positions: Dict[str, Any] = {"begin": {"line": diagnostic.line, "column": diagnostic.col}}
            positions["end"] = {"line": end_line, "column": diagnostic.end_col or diagnostic.col}
            issues.append(
                {
                    "description": description,
                    "check_name": diagnostic.code,
                    "fingerprint": hashlib.md5(identity.encode("utf-8", "surrogatepass")).hexdigest(),
                    "severity": "critical" if diagnostic.code in PSEUDO_RULES else "major",
                    "location": {"path": diagnostic.path, "positions": positions},
                }
            )
        self.stream.write(json.dumps(issues, indent=2, ensure_ascii=False) + "\n")
