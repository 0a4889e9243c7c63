"""Fixtures of the codes nanlint reports itself (NAN000, NAN999; tests/fixtures/engine), which are not rules:
findings must match the `# expect:` markers and the snapshot, like a rule's fixture."""

from pathlib import Path

import libcst as cst
import pytest

from nanlint.config import Settings
from nanlint.engine import lint_source
from nanlint.formatters.text import TextFormatter
from nanlint.registry import all_rules
from nanlint.rule import Rule
from nanlint.testing import compare_with_markers

# Apart from the rules' fixtures: NAN000.py is not valid Python, which every test that reads
# all of tests/fixtures/*.py as source would trip over.
FIXTURES = Path(__file__).parent / "fixtures" / "engine"
DEFAULT_RULES = list(Settings().selection.enabled(all_rules().values()))


class Explodes(Rule):
    """A test-only rule with a bug: it raises on every call to `explode`."""

    code = "TST999"
    name = "explodes"
    message = "never reported"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "explode":
            raise ZeroDivisionError("a bug in a rule")


RUNS = {"NAN000": DEFAULT_RULES, "NAN999": [*DEFAULT_RULES, Explodes]}


@pytest.mark.parametrize("code", sorted(RUNS))
def test_engine_code_fixture(code, update_snapshots):
    fixture = FIXTURES / f"{code}.py"
    source = fixture.read_text(encoding="utf-8")
    diagnostics = lint_source(fixture.name, source, RUNS[code]).diagnostics
    missing, unexpected = compare_with_markers(diagnostics, source)
    assert not missing, f"expected findings not reported (line, code, col): {sorted(missing)}"
    assert not unexpected, f"findings without an `# expect:` marker (line, code, col): {sorted(unexpected)}"
    assert code in {d.code for d in diagnostics} and "# not flagged" in source

    snapshot = FIXTURES / f"{code}.txt"
    output = "".join(TextFormatter(stream=None).format(d) + "\n" for d in diagnostics)  # type: ignore[arg-type]
    if update_snapshots or not snapshot.exists():
        snapshot.write_text(output, encoding="utf-8")
    assert output == snapshot.read_text(encoding="utf-8")


def test_the_internal_error_names_the_rule_and_the_error():
    source = (FIXTURES / "NAN999.py").read_text(encoding="utf-8")
    [error] = [d for d in lint_source("NAN999.py", source, RUNS["NAN999"]).diagnostics if d.code == "NAN999"]
    assert "rule TST999 (explodes)" in error.message and "ZeroDivisionError: a bug in a rule" in error.message
