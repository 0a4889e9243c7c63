"""Applying fixes: text edits from the end backwards, a re-parse check, an atomic write."""

from __future__ import annotations

import os
import tempfile
from typing import Iterable, List, Optional

import libcst as cst

from nanlint.diagnostics import Fix


def _offset(lines: List[str], line: int, col: int) -> int:
    return sum(len(text) for text in lines[: line - 1]) + col - 1


def apply_fixes(source: str, fixes: Iterable[Fix]) -> str:
    """Apply non-overlapping fixes; a fix that overlaps one already applied is skipped."""
    lines = source.splitlines(keepends=True)
    edits = sorted(
        ((_offset(lines, f.line, f.col), _offset(lines, f.end_line, f.end_col), f.replacement) for f in fixes),
        reverse=True,
    )
    result = source
    limit: Optional[int] = None
    for start, end, replacement in edits:
        if limit is not None and end > limit:
            continue
        result = result[:start] + replacement + result[end:]
        limit = start
    return result


def reparses(source: str) -> bool:
    try:
        cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return False
    return True


def write_atomically(path: str, text: str, encoding: str = "utf-8") -> None:
    """Write next to the target and rename over it: a crash never leaves a half-written file.

    A symbolic link is followed: the file it points to is replaced, and the link stays a link.
    """
    path = os.path.realpath(path)
    folder = os.path.dirname(path)
    mode = os.stat(path).st_mode if os.path.exists(path) else None
    handle, temporary = tempfile.mkstemp(prefix=".nanlint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding=encoding, newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
