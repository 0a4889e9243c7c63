"""Check one file (or one stdin text) under the effective settings."""

from __future__ import annotations

from typing import Sequence, Type

from nanlint.config import Settings
from nanlint.diagnostics import UNREADABLE_CODE, Diagnostic
from nanlint.engine import LintResult, lint_source
from nanlint.loader import LoadError, decode_source
from nanlint.rule import Rule


def rules_for_file(path: str, settings: Settings, rules: Sequence[Type[Rule]]) -> Sequence[Type[Rule]]:
    root = str(settings.root) if settings.root else None
    return settings.per_file_ignores.filter(rules, path, root)


def check_bytes(path: str, data: bytes, settings: Settings, rules: Sequence[Type[Rule]]) -> LintResult:
    if path.lower().endswith(".ipynb"):
        return check_notebook(path, data, settings, rules)
    text = decode_source(data)
    if isinstance(text, LoadError):
        return LintResult([Diagnostic(path, text.line, text.col, UNREADABLE_CODE, text.message)])
    return check_text(path, text, settings, rules)


def check_text(path: str, text: str, settings: Settings, rules: Sequence[Type[Rule]]) -> LintResult:
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
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        reason = error.strerror or str(error)
        return LintResult([Diagnostic(path, 1, 1, UNREADABLE_CODE, f"cannot read file: {reason}")])
    return check_bytes(path, data, settings, rules)
