"""Selection decisions: longest prefix wins, a tie means ignore, off-by-default rules need naming."""

import pytest

from nanlint.rule import Rule
from nanlint.selection import PerFileIgnores, Selection


class OnRule(Rule):
    code = "NAN123"
    name = "on-rule"


class OffRule(Rule):
    code = "NAN310"
    name = "off-rule"
    default_enabled = False


@pytest.mark.parametrize(
    "select, ignore, extend, rule, enabled",
    [
        (("NAN",), (), (), OnRule, True),
        (("NAN",), (), (), OffRule, False),
        (("ALL",), (), (), OffRule, False),
        (("NAN",), (), ("NAN310",), OffRule, True),
        (("NAN3",), (), (), OffRule, True),
        (("NAN",), ("NAN1",), (), OnRule, False),
        (("NAN12",), ("NAN1",), (), OnRule, True),
        (("NAN1",), ("NAN12",), (), OnRule, False),
        (("NAN1",), ("NAN1",), (), OnRule, False),
        (("NAN2",), (), (), OnRule, False),
        ((), (), ("NAN123",), OnRule, True),
        (("NAN",), ("ALL",), (), OnRule, False),
    ],
)
def test_decisions(select, ignore, extend, rule, enabled):
    assert Selection(select, ignore, extend).is_enabled(rule) is enabled


def test_per_file_ignores_match_path_name_and_prefix():
    ignores = PerFileIgnores((("tests/*", ("NAN1",)), ("conftest.py", ("NAN",))))
    assert ignores.ignored_for("tests/test_a.py") == ("NAN1",)
    assert ignores.ignored_for("pkg/conftest.py") == ("NAN",)
    assert ignores.ignored_for("src/a.py") == ()
    assert ignores.filter([OnRule, OffRule], "tests/test_a.py") == [OffRule]
