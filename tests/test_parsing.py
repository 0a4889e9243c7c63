"""nanlint's parse (libcst's, without re-validating the parser's nodes) gives libcst's tree."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from nanlint.parsing import parse_module

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("tests/fixtures/*.py"), *ROOT.glob("examples/*.py"), *ROOT.glob("src/nanlint/**/*.py")])


def test_there_are_sources_to_compare():
    assert len(SOURCES) > 50


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_same_tree_as_libcst(path):
    source = path.read_text(encoding="utf-8")
    ours = parse_module(source)
    theirs = cst.parse_module(source)
    assert ours.deep_equals(theirs)
    assert ours.code == source


def test_nodes_built_after_a_parse_are_validated():
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_nodes_built_after_a_failed_parse_are_validated():
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("x = (\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_a_worker_forked_mid_parse_validates_again():
    """The fork handler restores validation and a free lock in the child, whatever the parent held."""
    from libcst._nodes.base import CSTNode

    import nanlint.parsing as parsing

    held = parsing._LOCK
    held.acquire()
    CSTNode.__post_init__ = parsing._skip_validation
    try:
        parsing._after_fork_in_child()
        assert parsing._LOCK is not held and not parsing._LOCK.locked()
        with pytest.raises(cst.CSTValidationError):
            cst.Name("not a name")
    finally:
        held.release()
        CSTNode.__post_init__ = parsing._VALIDATE
