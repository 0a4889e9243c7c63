"""Check many files: discovery results in, sorted diagnostics out."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Type

from nanlint.checker import check_bytes, check_file
from nanlint.config import Settings
from nanlint.diagnostics import UNREADABLE_CODE, Diagnostic
from nanlint.discovery import STDIN, Discovered
from nanlint.rule import Rule


@dataclass
class RunResult:
    diagnostics: List[Diagnostic] = field(default_factory=list)
    tracebacks: List[str] = field(default_factory=list)
    files_checked: int = 0
    stdin_data: Optional[bytes] = None  # what was read from stdin, for formats that show source


def run(
    discovered: Discovered,
    settings: Settings,
    rules: Sequence[Type[Rule]],
    stdin_filename: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> RunResult:
    result = RunResult()
    for path, message in discovered.problems:
        result.diagnostics.append(Diagnostic(path, 1, 1, UNREADABLE_CODE, message))
    for path in discovered.files:
        if path == STDIN:
            display = stdin_filename or STDIN
            result.stdin_data = sys.stdin.buffer.read()
            checked = check_bytes(display, result.stdin_data, settings, rules)
        else:
            checked = check_file(path, settings, rules)
        result.files_checked += 1
        if progress is not None:
            progress(result.files_checked, len(discovered.files))
        result.diagnostics.extend(checked.diagnostics)
        result.tracebacks.extend(checked.tracebacks)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result
