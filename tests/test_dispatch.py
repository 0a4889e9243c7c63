"""A `visit_Call` marked `for_operations` is called on the calls of those operations, and on no other."""

from __future__ import annotations

from typing import List

import libcst as cst

from nanlint import names
from nanlint.diagnostics import INTERNAL_ERROR_CODE
from nanlint.engine import lint_source
from nanlint.registry import all_rules
from nanlint.rule import Rule, call_operations, for_operations

SOURCE = """\
import torch
import numpy as np
a = torch.log(x)
b = x.sqrt()
c = np.log(y) + print(z)
d = f(torch.exp(w)).log()
"""
# Builtins the semantic model names itself (`max(a, b)` -> "maximum", ...).
_BUILTIN_OPERATIONS = {"maximum", "minimum", "max", "min", "abs", "sum", "pow", "len"}


def _recording(*operations: str):
    seen: List[str] = []

    class Recording(Rule):
        code, name, message = "TST931", "recording", "never reported"

        @for_operations(*operations)
        def visit_Call(self, node: cst.Call) -> None:
            seen.append(cst.Module(body=[]).code_for_node(node))

    return Recording, seen


def _every_call(source: str) -> List[str]:
    seen: List[str] = []

    class Every(Rule):
        code, name, message = "TST932", "every", "never reported"

        def visit_Call(self, node: cst.Call) -> None:
            op = self.operation(node)
            if op in ("log", "sqrt"):
                seen.append(cst.Module(body=[]).code_for_node(node))

    lint_source("t.py", source, [Every])
    return seen


def test_marked_visit_call_sees_exactly_the_calls_of_its_operations():
    rule, seen = _recording("log", "sqrt")
    assert call_operations(rule) == frozenset({"log", "sqrt"})
    lint_source("t.py", SOURCE, [rule])
    assert seen == ["torch.log(x)", "x.sqrt()", "np.log(y)", "f(torch.exp(w)).log()"]
    assert seen == _every_call(SOURCE)  # the same calls, in the same order, as asking every call


def test_unmarked_rules_are_not_dispatched():
    assert call_operations(Rule) is None
    rule, seen = _recording("exp")
    lint_source("t.py", SOURCE, [rule])
    assert seen == ["torch.exp(w)"]


def test_a_crash_in_a_dispatched_visit_call_is_that_rule_s_alone():
    class Crashing(Rule):
        code, name, message = "TST933", "crashing", "never reported"

        @for_operations("log")
        def visit_Call(self, node: cst.Call) -> None:
            raise ValueError("deliberate")

    rule, seen = _recording("log")
    found = lint_source("t.py", SOURCE, [Crashing, rule]).diagnostics
    assert [d.code for d in found] == [INTERNAL_ERROR_CODE]
    assert "TST933" in found[0].message and found[0].line == 3
    assert len(seen) == 3  # the other rule still saw every log


def test_every_marked_operation_exists():
    # A misspelled operation would silently switch the rule's visit_Call off.
    known = set(names.OPERATION_OF.values()) | {op for op, _ in names.METHODS.values()} | _BUILTIN_OPERATIONS
    marked = {rule.code: call_operations(rule) for rule in all_rules().values() if call_operations(rule)}
    assert len(marked) >= 10
    for code, operations in marked.items():
        assert operations <= known, f"{code}: unknown operations {sorted(operations - known)}"
