"""SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning, Azure DevOps, ...).

One run; the driver lists every known rule (id, name, short and full description,
help text, help URI when one is known, whether it is on by default), plus the two
pseudo-rules NAN000 and NAN999. Each result carries its location (1-based lines and
columns counted in Unicode code points), a partial fingerprint of the line's content
(the baseline fingerprint, stable when lines move) and the rule's fix as a SARIF fix
when it has one. In a notebook, lines count within the cell and the cell number is
in the location's `properties.cell`.
"""

from __future__ import annotations

import inspect
import json
from pathlib import PurePath
from typing import Any, Dict, List, Optional
from urllib.parse import quote

from nanlint import __version__
from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import PSEUDO_RULES, Formatter

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "nanlintLineHash/v1"


def artifact_uri(path: str) -> str:
    pure = PurePath(path)
    if pure.is_absolute():
        from pathlib import Path

        return Path(path).as_uri()
    return quote(pure.as_posix())


def region(line: int, col: int, end_line: Optional[int], end_col: Optional[int]) -> Dict[str, int]:
    found = {"startLine": line, "startColumn": col}
    if end_line is not None and end_col is not None:
        found.update({"endLine": end_line, "endColumn": end_col})
    return found


def help_uri(rule: type) -> Optional[str]:
    """The rule's `url` attribute, else its page in the repository named in the package metadata."""
    url = getattr(rule, "url", None)
    if url:
        return str(url)
    if not rule.__module__.startswith("nanlint."):
        return None
    repository = _repository_url()
    return f"{repository}/blob/main/rules/{rule.code}.md" if repository else None


def _repository_url() -> Optional[str]:
    try:
        from importlib.metadata import metadata

        entries = metadata("nanlint").get_all("Project-URL") or []
    except Exception:  # PackageNotFoundError, or broken metadata: no URL then
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("repository", "source", "homepage") and url.strip().startswith("http"):
            return url.strip().rstrip("/")
    return None


class SarifFormatter(Formatter):
    def start(self) -> None:
        self._diagnostics: List[Diagnostic] = []

    def handle(self, diagnostic: Diagnostic) -> None:
        self._diagnostics.append(diagnostic)

    def finish(self) -> None:
        descriptors = self._rule_descriptors()
        index = {descriptor["id"]: number for number, descriptor in enumerate(descriptors)}
        from nanlint.baseline import fingerprints

        prints = fingerprints(self._diagnostics, self.line_lookup(), ".")
        results = [self._result(d, index, fp) for d, fp in zip(self._diagnostics, prints)]
        log = {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "nanlint",
                            "version": __version__,
                            "semanticVersion": __version__,
                            "rules": descriptors,
                        }
                    },
                    "columnKind": "unicodeCodePoints",
                    "results": results,
                }
            ],
        }
        self.stream.write(json.dumps(log, indent=2, ensure_ascii=False) + "\n")

    def _rule_descriptors(self) -> List[Dict[str, Any]]:
        descriptors: List[Dict[str, Any]] = []
        for code, info in PSEUDO_RULES.items():
            descriptors.append(
                {
                    "id": code,
                    "name": info["name"],
                    "shortDescription": {"text": info["message"]},
                    "fullDescription": {"text": info["message"]},
                    "defaultConfiguration": {"level": "error"},
                }
            )
        for code in sorted(self.rules):
            rule = self.rules[code]
            doc = inspect.cleandoc(rule.__doc__ or "").strip()
            summary = rule.summary() if hasattr(rule, "summary") else rule.message
            descriptor: Dict[str, Any] = {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": rule.message},
                "fullDescription": {"text": summary or rule.message},
                "help": {"text": doc or rule.message, "markdown": doc or rule.message},
                "defaultConfiguration": {"level": "warning", "enabled": bool(rule.default_enabled)},
            }
            uri = help_uri(rule)
            if uri:
                descriptor["helpUri"] = uri
            if rule.fix_title:
                descriptor["properties"] = {"fixTitle": rule.fix_title}
            descriptors.append(descriptor)
        return sorted(descriptors, key=lambda d: d["id"])

    def _result(self, diagnostic: Diagnostic, index: Dict[str, int], fingerprint: str) -> Dict[str, Any]:
        uri = artifact_uri(diagnostic.path)
        location: Dict[str, Any] = {
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": region(diagnostic.line, diagnostic.col, diagnostic.end_line, diagnostic.end_col),
            }
        }
        if diagnostic.cell is not None:
            location["properties"] = {"cell": diagnostic.cell}
        result: Dict[str, Any] = {
            "ruleId": diagnostic.code,
            "level": "error" if diagnostic.code in PSEUDO_RULES else "warning",
            "message": {"text": diagnostic.message},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        }
        if diagnostic.code in index:
            result["ruleIndex"] = index[diagnostic.code]
        fix = diagnostic.fix
        if fix is not None:
            change: Dict[str, Any] = {
                "artifactLocation": {"uri": uri},
                "replacements": [
                    {
                        "deletedRegion": region(fix.line, fix.col, fix.end_line, fix.end_col),
                        "insertedContent": {"text": fix.replacement},
                    }
                ],
            }
            if diagnostic.cell is not None:
                change["properties"] = {"cell": diagnostic.cell}
            result["fixes"] = [
                {
                    "description": {"text": diagnostic.fix_title or "Apply the suggested edit"},
                    "artifactChanges": [change],
                    "properties": {"safety": fix.safety.value},
                }
            ]
        return result
