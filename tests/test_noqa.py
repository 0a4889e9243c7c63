"""noqa parsing, modelled on flake8's table of cases."""

import pytest

from nanlint import noqa


@pytest.mark.parametrize(
    "comment, code, suppressed",
    [
        ("# noqa", "NAN301", True),
        ("#noqa", "NAN301", True),
        ("# NOQA", "NAN301", True),
        ("# noqa: NAN301", "NAN301", True),
        ("# noqa:NAN301", "NAN301", True),
        ("# noqa: nan301", "NAN301", True),
        ("# noqa: NAN3", "NAN301", True),
        ("# noqa: NAN1", "NAN301", False),
        ("# noqa: NAN302", "NAN301", False),
        ("# noqa: NAN302,NAN301", "NAN301", True),
        ("# noqa: NAN302, NAN301", "NAN301", True),
        ("# noqa: NAN302 NAN301", "NAN301", True),
        ("# noqa: NAN301 deliberate, see the paper", "NAN301", True),
        ("# noqa: NAN302 nan is fine here", "NAN301", False),
        ("# noqa:", "NAN301", True),
        ("# type: ignore # noqa: NAN301", "NAN301", True),
        ("# expect: NAN301", "NAN301", False),
        ("# not a noqa comment", "NAN301", False),
    ],
)
def test_inline(comment, code, suppressed):
    source = f"x = 1  {comment}\n"
    assert noqa.parse(source).suppresses(1, code) is suppressed


def test_only_the_commented_line_is_suppressed():
    suppressions = noqa.parse("a = 1  # noqa\nb = 2\n")
    assert suppressions.suppresses(1, "NAN301")
    assert not suppressions.suppresses(2, "NAN301")


def test_noqa_text_inside_strings_is_not_a_comment():
    suppressions = noqa.parse('x = "# noqa"\ny = """\n# noqa\n"""\n')
    assert not suppressions.suppresses(1, "NAN301")
    assert not suppressions.suppresses(3, "NAN301")


@pytest.mark.parametrize("comment", ["# nanlint: noqa", "#nanlint:noqa", "# NANLINT: NOQA"])
def test_file_level(comment):
    assert noqa.parse(f"import torch\n{comment}\nx = 1\n").suppresses(3, "NAN101")


def test_file_level_with_codes_is_not_a_file_opt_out():
    assert not noqa.parse("# nanlint: noqa: NAN301\nx = 1\n").whole_file


def test_untokenizable_source_falls_back_to_a_line_scan():
    suppressions = noqa.parse('x = """unterminated  # noqa\n')
    assert suppressions.suppresses(1, "NAN301")
