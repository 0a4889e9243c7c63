"""Every rule's fixture: findings must match the `# expect:` markers exactly, and the
default-format output must match the snapshot next to the fixture."""

from pathlib import Path

import pytest

from nanlint.formatters.text import TextFormatter
from nanlint.registry import all_rules
from nanlint.testing import compare_with_markers, run_rule

FIXTURES = Path(__file__).parent / "fixtures"
RULES = list(all_rules().values())


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_fixture_matches_markers(rule):
    fixture = FIXTURES / f"{rule.code}.py"
    assert fixture.is_file(), f"missing fixture {fixture}"
    source = fixture.read_text(encoding="utf-8")
    diagnostics = run_rule(rule, source, path=fixture.name)
    missing, unexpected = compare_with_markers(diagnostics, source)
    assert not missing, f"expected findings not reported (line, code, col): {sorted(missing)}"
    assert not unexpected, f"findings without an `# expect:` marker (line, code, col): {sorted(unexpected)}"
    assert diagnostics, "a fixture must contain at least one positive line"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_fixture_snapshot(rule, update_snapshots):
    fixture = FIXTURES / f"{rule.code}.py"
    snapshot = FIXTURES / f"{rule.code}.txt"
    diagnostics = run_rule(rule, fixture.read_text(encoding="utf-8"), path=fixture.name)
    formatter = TextFormatter(stream=None)  # type: ignore[arg-type]
    output = "".join(formatter.format(d) + "\n" for d in diagnostics)
    if update_snapshots or not snapshot.exists():
        snapshot.write_text(output, encoding="utf-8")
    assert output == snapshot.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_fixture_has_negative_lines(rule):
    source = (FIXTURES / f"{rule.code}.py").read_text(encoding="utf-8")
    assert "# not flagged" in source, "a fixture needs a `# not flagged` section of tricky negatives"
