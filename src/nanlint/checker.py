"""Check one file (or one stdin text) under the effective settings."""

from __future__ import annotations

import os
import traceback
from typing import Callable, Sequence, Type

from nanlint.config import Settings
from nanlint.diagnostics import INTERNAL_ERROR_CODE, UNREADABLE_CODE, Diagnostic
from nanlint.engine import LintResult, lint_source
from nanlint.loader import LoadError, decode_source
from nanlint.rule import Rule


def rules_for_file(path: str, settings: Settings, rules: Sequence[Type[Rule]]) -> Sequence[Type[Rule]]:
    root = str(settings.root) if settings.root else None
    return settings.per_file_ignores.filter(rules, path, root)


def check_bytes(path: str, data: bytes, settings: Settings, rules: Sequence[Type[Rule]]) -> LintResult:
    return _isolated(path, lambda: _check_bytes(path, data, settings, rules))


def _check_bytes(path: str, data: bytes, settings: Settings, rules: Sequence[Type[Rule]]) -> LintResult:
    if path.lower().endswith(".ipynb"):
        return check_notebook(path, data, settings, rules)
    if len(data) > settings.max_file_size:
        return LintResult([_too_large(path, len(data), settings)])
    text = decode_source(data)
    if isinstance(text, LoadError):
        return LintResult([Diagnostic(path, text.line, text.col, UNREADABLE_CODE, text.message)])
    return check_text(path, text, settings, rules)


def check_text(path: str, text: str, settings: Settings, rules: Sequence[Type[Rule]]) -> LintResult:
    if len(text) > settings.max_file_size:
        return LintResult([_too_large(path, len(text), settings)])
    return lint_source(path, text, rules_for_file(path, settings, rules), settings.rule_options)


def check_notebook(path: str, data: bytes, settings: Settings, rules: Sequence[Type[Rule]]) -> LintResult:
    """A notebook's code cells, checked as one program; positions come back as cell + line."""
    from nanlint import notebooks

    notebook = notebooks.load_notebook(data)
    if isinstance(notebook, LoadError):
        return LintResult([Diagnostic(path, notebook.line, notebook.col, UNREADABLE_CODE, notebook.message)])
    result = check_text(path, notebook.text, settings, rules)
    result.diagnostics = notebooks.to_cells(result.diagnostics, notebook)
    return result


def check_file(path: str, settings: Settings, rules: Sequence[Type[Rule]]) -> LintResult:
    return _isolated(path, lambda: _check_file(path, settings, rules))


def _check_file(path: str, settings: Settings, rules: Sequence[Type[Rule]]) -> LintResult:
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > settings.max_file_size and not path.lower().endswith(".ipynb"):
                return LintResult([_too_large(path, size, settings)])  # not even read into memory
            data = handle.read()
    except OSError as error:
        reason = error.strerror or str(error)
        return LintResult([Diagnostic(path, 1, 1, UNREADABLE_CODE, f"cannot read file: {reason}")])
    return _check_bytes(path, data, settings, rules)


def _too_large(path: str, size: int, settings: Settings) -> Diagnostic:
    return Diagnostic(path, 1, 1, UNREADABLE_CODE,
                      f"file is too large to check ({size / 1e6:.1f} MB; `max-file-size` is "
                      f"{settings.max_file_size / 1e6:g} MB), file not checked")


def _isolated(path: str, check: Callable[[], LintResult]) -> LintResult:
    """Files are independent: whatever goes wrong with one becomes its NAN999, and the run goes on."""
    try:
        return check()
    except Exception as error:  # noqa: BLE001 - last line of defence; rules are isolated in the engine
        detail = " ".join(str(error).split())
        message = f"internal error while checking this file: {type(error).__name__}: {detail}; please report this bug"
        return LintResult([Diagnostic(path, 1, 1, INTERNAL_ERROR_CODE, message)],
                          tracebacks=[f"{path}: internal error\n{traceback.format_exc()}"])
