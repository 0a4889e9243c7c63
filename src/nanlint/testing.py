"""Helpers for testing rules: run one rule on a source text, read `# expect:` markers."""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Optional, Set, Tuple, Type

from nanlint.diagnostics import Diagnostic
from nanlint.engine import lint_source
from nanlint.rule import Rule

# `# expect: NAN101` or `# expect: NAN101:5` (pin the 1-based column); several codes comma-separated.
EXPECT = re.compile(r"#\s*expect:\s*(?P<items>[A-Z]+\d{3}(?::\d+)?(?:\s*,\s*[A-Z]+\d{3}(?::\d+)?)*)")


def run_rule(rule: Type[Rule], source: str, options: Optional[Mapping[str, Any]] = None, path: str = "example.py") -> List[Diagnostic]:
    """Diagnostics of `rule` alone on `source`; the trigger pre-filter is bypassed so that
    a missing trigger shows up as a failing example rather than a silent skip."""
    result = lint_source(path, source, [_always_run(rule)], {rule.code: dict(options or {})})
    return [d if d.code != "NAN999" else _raise(d) for d in result.diagnostics]


def _raise(diagnostic: Diagnostic) -> Diagnostic:
    raise AssertionError(f"rule crashed: {diagnostic.message}")


def _always_run(rule: Type[Rule]) -> Type[Rule]:
    return type(rule.__name__, (rule,), {"triggers": None, "__module__": rule.__module__, "__doc__": rule.__doc__})


def expected_markers(source: str) -> Set[Tuple[int, str, Optional[int]]]:
    """(line, code, col or None) for every `# expect:` marker in a fixture."""
    found = set()
    for number, line in enumerate(source.splitlines(), start=1):
        match = EXPECT.search(line)
        if not match:
            continue
        for item in match.group("items").split(","):
            code, _, col = item.strip().partition(":")
            found.add((number, code, int(col) if col else None))
    return found


def compare_with_markers(diagnostics: List[Diagnostic], source: str) -> Tuple[Set, Set]:
    """(missing, unexpected): markers without a finding, findings without a marker."""
    expected = expected_markers(source)
    actual = {(d.line, d.code, d.col) for d in diagnostics}
    missing = {
        marker for marker in expected
        if not any(a[0] == marker[0] and a[1] == marker[1] and (marker[2] is None or a[2] == marker[2]) for a in actual)
    }
    unexpected = {
        a for a in actual
        if not any(a[0] == m[0] and a[1] == m[1] and (m[2] is None or a[2] == m[2]) for m in expected)
    }
    return missing, unexpected
