"""Each rule's VALID/INVALID examples are tests (and appear in its documentation)."""

import pytest

from nanlint.registry import all_rules
from nanlint.testing import run_rule

CASES = [
    pytest.param(rule, kind, index, example, id=f"{rule.code}-{kind}-{index}")
    for rule in all_rules().values()
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, example in enumerate(examples)
]


@pytest.mark.parametrize("rule, kind, index, example", CASES)
def test_example(rule, kind, index, example):
    diagnostics = run_rule(rule, example.code, example.options)
    if kind == "valid":
        assert diagnostics == [], f"VALID example reported: {diagnostics}"
        return
    assert [(d.code, d.line, d.col) for d in diagnostics] == [(rule.code, example.line, example.col)]
    if example.fixed is not None:
        fix = diagnostics[0].fix
        assert fix is not None, "example expects a fix"
        from nanlint.fixes import apply_fixes

        assert apply_fixes(example.code, [fix]) == example.fixed
