"""The code shown on each rule's page behaves as the page says: the `## Example` block is
flagged by the rule and the "Use instead:" block is not.

Pages may assume the usual imports (PRELUDE) so that examples stay short, and an
example may be the body of a training step: it is checked as a module and, if that is
not flagged, inside a function. A rule whose example cannot be checked on its own (it
needs code the page does not show) is listed in NOT_SELF_CONTAINED with the reason, and
is skipped explicitly.
"""

import re
import textwrap
from pathlib import Path

import pytest

from nanlint import docs
from nanlint.registry import all_rules
from nanlint.rules import builtin_rules
from nanlint.testing import run_rule

ROOT = Path(__file__).parent.parent

PRELUDE = (
    "import numpy as np\n"
    "import torch\n"
    "import torch.nn as nn\n"
    "import torch.nn.functional as F\n"
    "import tensorflow as tf\n"
    "from tensorflow import keras\n"
    "from tensorflow.keras import layers\n"
    "import jax\n"
    "import jax.numpy as jnp\n"
)

# code -> why its page example is not a complete program
NOT_SELF_CONTAINED = {
    "NAN108": "the log-variance must come from a layer of the enclosing module (`self.fc_var`), which needs the class",
    "NAN112": "the rule fires in differentiable code (a module's `forward`), which the snippet does not show",
}
# Examples that are not flagged even in context: a gap between the page and the rule, kept visible.
KNOWN_GAPS: dict = {}


def forms(snippet):
    """The snippet as a module, and as the body of a function (a training step)."""
    return [PRELUDE + snippet, PRELUDE + "def _step():\n" + textwrap.indent(snippet, "    ")]


def page_of(rule):
    page = ROOT / "rules" / f"{rule.code}.md"
    return page.read_text(encoding="utf-8") if page.is_file() else docs.render(rule)


def example_blocks(page):
    """(flagged example, "use instead" example or None) from a page's `## Example` section."""
    section = page.split("## Example", 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    before, _, after = section.partition("Use instead")
    bad = re.findall(r"```python\n(.*?)```", before, re.S)
    good = re.findall(r"```python\n(.*?)```", after, re.S)
    return (bad[0] if bad else None), (good[0] if good else None)


RULES = [rule for rule in all_rules().values() if rule in builtin_rules()]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_page_example_is_flagged_and_use_instead_is_not(rule):
    if rule.code in NOT_SELF_CONTAINED:
        pytest.skip(f"{rule.code}: {NOT_SELF_CONTAINED[rule.code]}")
    if rule.code in KNOWN_GAPS:
        pytest.xfail(f"{rule.code}: {KNOWN_GAPS[rule.code]}")
    bad, good = example_blocks(page_of(rule))
    assert bad is not None, f"{rule.code}: the page has no ```python block under ## Example"
    assert good is not None, f"{rule.code}: the page has no ```python block after 'Use instead:'"
    flagged = next((found for found in (run_rule(rule, form) for form in forms(bad)) if found), [])
    assert flagged, (
        f"{rule.code}: the page's Example is not flagged (with the usual imports prepended). Make it a "
        f"complete snippet, or add {rule.code} to NOT_SELF_CONTAINED in {Path(__file__).name} with the reason."
    )
    assert all(d.code == rule.code for d in flagged)
    for form in forms(good):
        assert run_rule(rule, form) == [], f"{rule.code}: the page's 'Use instead' example is flagged:\n{form}"


def test_skip_list_names_only_existing_rules():
    codes = {rule.code for rule in RULES}
    assert set(NOT_SELF_CONTAINED) <= codes, set(NOT_SELF_CONTAINED) - codes


def test_example_blocks_are_read_from_the_page():
    page = "# X\n\n## Example\n```python\nbad()\n```\nUse instead:\n```python\ngood()\n```\n\n## References\n"
    assert example_blocks(page) == ("bad()\n", "good()\n")
    assert example_blocks("## Example\n```python\nonly()\n```\n## Known problems\n```python\nx\n```") == (
        "only()\n", None)
