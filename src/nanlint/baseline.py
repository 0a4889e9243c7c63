"""Baselines: adopt nanlint in a large code base by reporting only findings that are new.

`nanlint --write-baseline FILE` records today's findings; `nanlint --baseline FILE`
then reports only the findings that are not in it. A finding is identified by its
code, its file (relative to the baseline file's folder) and a fingerprint of the
*content* of its line (whitespace-normalised), plus an occurrence index among
identical lines of that file. Line numbers are not part of it, so a finding stays
matched when code above it is added or removed, when the file is reindented, or when
a notebook's cells are reordered.

A finding whose line is edited counts as new: that is the point of a baseline.
Internal errors (NAN999) are never baselined.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from nanlint.diagnostics import INTERNAL_ERROR_CODE, Diagnostic

FORMAT_VERSION = 1

Key = Tuple[str, str, str]  # (code, relative path, fingerprint)


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a nanlint baseline."""


def normalise(line: Optional[str]) -> str:
    return " ".join((line or "").split())


def relative_path(path: str, root: str) -> str:
    """`path` relative to `root` with forward slashes (as given if on another drive)."""
    try:
        return os.path.relpath(os.path.abspath(path), os.path.abspath(root)).replace(os.sep, "/")
    except ValueError:
        return path.replace(os.sep, "/")


def content_hash(code: str, path: str, line_text: Optional[str]) -> str:
    digest = hashlib.sha256(f"{code}\0{path}\0{normalise(line_text)}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:20]


def fingerprints(diagnostics: Sequence[Diagnostic], sources: Any, root: str = ".") -> List[str]:
    """One stable fingerprint per diagnostic: content hash + `:` + occurrence index.

    `sources` gives the line text (a SourceLines, or anything with `line(path, line, cell)`).
    """
    seen: Dict[Tuple[str, str], int] = defaultdict(int)
    result: List[str] = [""] * len(diagnostics)
    # Occurrences are counted in position order, whatever order the caller passes.
    for index in sorted(range(len(diagnostics)), key=lambda i: diagnostics[i].sort_key()):
        diagnostic = diagnostics[index]
        path = relative_path(diagnostic.path, root)
        text = sources.line(diagnostic.path, diagnostic.line, diagnostic.cell) if sources is not None else None
        digest = content_hash(diagnostic.code, path, text)
        result[index] = f"{digest}:{seen[(path, digest)]}"
        seen[(path, digest)] += 1
    return result


def keys(diagnostics: Sequence[Diagnostic], sources: Any, root: str) -> List[Key]:
    prints = fingerprints(diagnostics, sources, root)
    return [(d.code, relative_path(d.path, root), fp) for d, fp in zip(diagnostics, prints)]


def write(file: str, diagnostics: Sequence[Diagnostic], sources: Any) -> int:
    """Record `diagnostics` in `file`; returns the number of findings written."""
    root = os.path.dirname(os.path.abspath(file))
    recorded = [d for d in diagnostics if d.code != INTERNAL_ERROR_CODE]
    entries = []
    for diagnostic, (code, path, fingerprint) in zip(recorded, keys(recorded, sources, root)):
        entry: Dict[str, Any] = {"code": code, "path": path, "fingerprint": fingerprint}
        if diagnostic.cell is not None:
            entry["cell"] = diagnostic.cell
        entry["line"] = diagnostic.line  # informational only: not used for matching
        entry["message"] = diagnostic.message
        entries.append(entry)
    entries.sort(key=lambda e: (e["path"], e.get("cell") or 0, e["line"], e["code"], e["fingerprint"]))
    document = {"nanlint-baseline": FORMAT_VERSION, "findings": entries}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        with open(file, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as error:
        raise BaselineError(f"cannot write baseline {file}: {error.strerror or error}") from None
    return len(entries)


def load(file: str) -> Set[Key]:
    try:
        with open(file, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(f"baseline {file} does not exist (create it with --write-baseline {file})") from None
    except OSError as error:
        raise BaselineError(f"cannot read baseline {file}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BaselineError(f"baseline {file} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("nanlint-baseline") != FORMAT_VERSION:
        raise BaselineError(f"{file} is not a nanlint baseline (version {FORMAT_VERSION})")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"baseline {file} has no list of findings")
    found: Set[Key] = set()
    for entry in findings:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(key), str) for key in ("code", "path", "fingerprint")
        ):
            raise BaselineError(f"baseline {file} has a malformed entry: {entry!r}")
        found.add((entry["code"], entry["path"], entry["fingerprint"]))
    return found


def new_findings(diagnostics: Sequence[Diagnostic], file: str, sources: Any) -> List[Diagnostic]:
    """The diagnostics that are not recorded in the baseline `file` (NAN999 always kept)."""
    known = load(file)
    root = os.path.dirname(os.path.abspath(file))
    return [
        diagnostic
        for diagnostic, key in zip(diagnostics, keys(diagnostics, sources, root))
        if diagnostic.code == INTERNAL_ERROR_CODE or key not in known
    ]
