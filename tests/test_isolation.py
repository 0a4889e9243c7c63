"""A bug in one rule (or in the semantic model) costs one diagnostic, not the run.

A deliberately broken rule is registered next to the real ones: its crash becomes an
NAN999 that names the rule and the file and asks for a bug report, every other
finding stands, the exit status is 2, and `--show-tracebacks` prints the traceback.
"""

from __future__ import annotations

import os
import re

import libcst as cst
import pytest
from click.testing import CliRunner

import nanlint.registry
from nanlint.cli import main
from nanlint.engine import lint_source
from nanlint.registry import all_rules
from nanlint.rule import Rule
from nanlint.semantic.model import SemanticModel

BAD_LR = "import torch\nopt = torch.optim.Adam(params, lr=1.0)\n"  # NAN301 at 2:7


class CrashingRule(Rule):
    """Raises on the second call of every file."""

    code = "TST901"
    name = "crashing-rule"
    message = "never reported"

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = 0

    def visit_Call(self, node: cst.Call) -> None:
        self.calls += 1
        if self.calls == 2:
            raise ZeroDivisionError("deliberate failure in a test rule")


class BrokenConstructorRule(Rule):
    code = "TST902"
    name = "broken-constructor"
    message = "never reported"

    def __init__(self, context) -> None:
        raise RuntimeError("deliberate failure while starting")


class ForeignNodeRule(Rule):
    """Reports a node that is not part of the file (a rule bug the engine must survive)."""

    code = "TST903"
    name = "foreign-node"
    message = "reported at a node built by the rule"

    def visit_Module(self, node: cst.Module) -> None:
        self.report(cst.Name("not_in_this_file"))


class BrokenTriggerRule(Rule):
    code = "TST904"
    name = "broken-trigger"
    message = "never reported"

    @classmethod
    def could_fire(cls, source: str) -> bool:
        raise ValueError("deliberate failure in could_fire")

    def visit_Call(self, node: cst.Call) -> None:
        raise KeyError("deliberate failure after a broken trigger")


@pytest.fixture
def with_rules(monkeypatch):
    """Register extra rules for the command line (the registry is otherwise cached)."""

    def register(*extra):
        table = dict(all_rules())
        table.update({rule.code: rule for rule in extra})
        monkeypatch.setattr(nanlint.registry, "all_rules", lambda: table)

    return register


@pytest.fixture
def project(tmp_path):
    (tmp_path / "a.py").write_text(BAD_LR + "y = f(g(x))\n", encoding="utf-8")  # two calls: TST901 raises here
    (tmp_path / "b.py").write_text(BAD_LR, encoding="utf-8")  # one call: TST901 does not raise
    (tmp_path / "c.py").write_text("import torch\nz = torch.optim.SGD(p, lr=10.0)\nw = h(1)\n", encoding="utf-8")
    return tmp_path


def invoke(folder, *args):
    old = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, ["--isolated", "--extend-select", "TST", *args, "."], catch_exceptions=False)
    finally:
        os.chdir(old)


def test_crashing_rule_is_reported_and_the_run_goes_on(project, with_rules):
    with_rules(CrashingRule)
    result = invoke(project)
    lines = result.stdout.splitlines()
    internal = [line for line in lines if " NAN999 " in line]
    assert len(internal) == 2, result.stdout  # a.py and c.py have two calls, b.py one
    assert {line.split(":", 1)[0] for line in internal} == {"a.py", "c.py"}
    for line in internal:
        assert "TST901" in line and "crashing-rule" in line and "ZeroDivisionError" in line
        assert "please report this bug" in line
    # the crash sits on the call that raised: a.py line 3 (`f(g(x))` is the second call)
    assert any(line.startswith("a.py:3:") for line in internal), internal
    # the real rule's findings stand, for the crashing files and the others
    assert "a.py:2:7: NAN301 " in result.stdout
    assert "b.py:2:7: NAN301 " in result.stdout
    assert "c.py:2:5: NAN301 " in result.stdout
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_show_tracebacks(project, with_rules):
    with_rules(CrashingRule)
    quiet = invoke(project)
    loud = invoke(project, "--show-tracebacks")
    assert quiet.stdout == loud.stdout
    assert "Traceback" not in quiet.stderr
    assert loud.stderr.count("Traceback (most recent call last)") == 2
    assert "ZeroDivisionError: deliberate failure in a test rule" in loud.stderr
    assert "in visit_Call" in loud.stderr
    assert re.search(r"^a\.py: TST901$", loud.stderr, re.MULTILINE), loud.stderr


def test_rule_that_cannot_start(project, with_rules):
    with_rules(BrokenConstructorRule)
    result = invoke(project)
    internal = [line for line in result.stdout.splitlines() if " NAN999 " in line]
    assert len(internal) == 3 and all("TST902" in line and "RuntimeError" in line for line in internal)
    assert "b.py:2:7: NAN301 " in result.stdout
    assert result.exit_code == 2


def test_rule_that_reports_a_foreign_node(project, with_rules):
    with_rules(ForeignNodeRule)
    result = invoke(project)
    internal = [line for line in result.stdout.splitlines() if " NAN999 " in line]
    assert len(internal) == 3 and all("TST903" in line for line in internal), result.stdout
    assert "a.py:2:7: NAN301 " in result.stdout
    assert result.exit_code == 2


def test_rule_with_a_broken_trigger(project, with_rules):
    with_rules(BrokenTriggerRule)
    result = invoke(project)
    internal = [line for line in result.stdout.splitlines() if " NAN999 " in line]
    assert len(internal) == 3 and all("TST904" in line and "KeyError" in line for line in internal), result.stdout
    assert "c.py:2:5: NAN301 " in result.stdout
    assert result.exit_code == 2


def test_semantic_model_that_raises(project, monkeypatch):
    """The model is shared by all rules: its crash aborts that file's walk (its answers
    would be wrong from there on), is reported once, and the other files are checked."""
    real = SemanticModel.leave_Assign

    def leave_assign(self, node):
        if "f(g(x))" in cst.Module([]).code_for_node(node):
            raise AttributeError("deliberate failure in the semantic model")
        return real(self, node)

    monkeypatch.setattr(SemanticModel, "leave_Assign", leave_assign)
    result = invoke(project, "--show-tracebacks")
    internal = [line for line in result.stdout.splitlines() if " NAN999 " in line]
    assert len(internal) == 1 and internal[0].startswith("a.py:1:1: "), result.stdout
    assert "semantic model" in internal[0] and "AttributeError" in internal[0] and "report" in internal[0]
    assert "a.py:2:7: NAN301 " in result.stdout  # reported before the model failed
    assert "b.py:2:7: NAN301 " in result.stdout and "c.py:2:5: NAN301 " in result.stdout
    assert "deliberate failure in the semantic model" in result.stderr
    assert result.exit_code == 2


def test_unexpected_failure_outside_the_rules(project, monkeypatch):
    """Anything else that goes wrong while checking one file (here: the engine itself)
    is that file's NAN999; the other files are still checked."""
    import nanlint.checker

    real = nanlint.checker.lint_source

    def failing(path, *args, **kwargs):
        if path.endswith("a.py"):
            raise OSError("deliberate failure inside the engine")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(nanlint.checker, "lint_source", failing)
    result = invoke(project, "--show-tracebacks")
    internal = [line for line in result.stdout.splitlines() if " NAN999 " in line]
    assert internal == ["a.py:1:1: NAN999 internal error while checking this file: OSError: deliberate failure "
                        "inside the engine; please report this bug"]
    assert "b.py:2:7: NAN301 " in result.stdout and "c.py:2:5: NAN301 " in result.stdout
    assert "Traceback" in result.stderr
    assert result.exit_code == 2


def test_internal_error_is_not_silenced_by_noqa():
    source = "import torch\nx = f(1)  # noqa\ny = g(2)  # noqa: TST901\n"
    result = lint_source("n.py", source, [CrashingRule])
    assert [(d.line, d.code) for d in result.diagnostics] == [(3, "NAN999")]
    assert result.tracebacks and "ZeroDivisionError" in result.tracebacks[0]
