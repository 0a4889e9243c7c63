"""The examples from the seed articles nanlint grew from (tests/seeds/).

Each `*_bad.py` marks its expected findings with `# expect: CODE`; with every
default rule enabled, exactly those codes are reported on those lines. Each
`*_fixed.py` must produce no finding at all.
"""

from pathlib import Path

import pytest

from nanlint.config import Settings
from nanlint.checker import check_file
from nanlint.registry import all_rules
from nanlint.testing import expected_markers

SEEDS = Path(__file__).parent / "seeds"
DEFAULT_RULES = Settings().selection.enabled(all_rules().values())


def _findings(path):
    return check_file(str(path), Settings(), DEFAULT_RULES).diagnostics


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*_bad.py")), ids=lambda p: p.stem)
def test_bad_seed_examples_are_flagged(path):
    expected = {(line, code) for line, code, _ in expected_markers(path.read_text())}
    assert expected, "a bad seed example needs `# expect:` markers"
    assert {(d.line, d.code) for d in _findings(path)} == expected


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*_fixed.py")), ids=lambda p: p.stem)
def test_fixed_seed_examples_are_clean(path):
    assert _findings(path) == []


def test_bundled_example_is_flagged_and_its_fixed_version_is_clean():
    examples = Path(__file__).parent.parent / "examples"
    codes = {d.code for d in _findings(examples / "train_classifier.py")}
    assert {"NAN301", "NAN302"} <= codes
    assert _findings(examples / "train_classifier_fixed.py") == []
