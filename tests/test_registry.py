"""Meta tests: codes, names, documentation and fixtures stay consistent for every rule."""

import re
from pathlib import Path

import pytest

from nanlint import docs
from nanlint.registry import all_rules
from nanlint.rules import builtin_rules

ROOT = Path(__file__).parent.parent
RULES = list(all_rules().values())


def test_codes_are_unique_well_formed_and_sorted():
    codes = [rule.code for rule in builtin_rules()]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"NAN\d{3}", code) for code in codes)
    assert "NAN000" not in codes and "NAN999" not in codes  # reserved for unreadable files and crashes


def test_names_are_unique_kebab_case_and_name_the_problem():
    rule_names = [rule.name for rule in RULES]
    assert len(rule_names) == len(set(rule_names))
    for name in rule_names:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name
        assert not name.startswith(("no-", "avoid-", "disallow-")), name


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented_and_exemplified(rule):
    doc = rule.__doc__ or ""
    for heading in docs.REQUIRED_SECTIONS:
        assert heading in doc, f"{rule.code} docstring lacks {heading!r}"
    assert ("## Fix safety" in doc) == (rule.fix_safety is not None)
    assert rule.VALID and rule.INVALID
    assert rule.message and not rule.message.endswith(".")
    assert rule.message[0].isupper() or rule.message[0] == "`"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_page_is_generated_from_the_rule(rule):
    page = ROOT / "rules" / f"{rule.code}.md"
    assert page.is_file(), f"run `python -m nanlint.docs rules` to create {page}"
    assert page.read_text(encoding="utf-8") == docs.render(rule), f"{page} is stale: run `python -m nanlint.docs rules`"


def test_engine_code_pages_are_current():
    for code in docs.ENGINE_CODES:
        page = ROOT / "rules" / f"{code}.md"
        assert page.read_text(encoding="utf-8") == docs.render_engine_code(code), f"{page} is stale"


def test_no_orphan_pages_fixtures_or_snapshots():
    codes = {rule.code for rule in builtin_rules()}
    pages = {p.stem for p in (ROOT / "rules").glob("NAN*.md")}
    fixtures = {p.name.split(".")[0] for p in (ROOT / "tests" / "fixtures").glob("NAN*.*")}
    assert pages == codes | set(docs.ENGINE_CODES)  # the engine's own codes have pages too
    assert fixtures <= codes, f"fixtures without a rule: {sorted(fixtures - codes)}"
    engine = {p.name.split(".")[0] for p in (ROOT / "tests" / "fixtures" / "engine").glob("*.*")}
    assert engine == set(docs.ENGINE_CODES), "every code the engine reports has a fixture, and nothing else is there"


def test_rule_index_and_readme_list_every_code():
    index = (ROOT / "rules" / "README.md").read_text(encoding="utf-8")
    assert index == docs.render_index(builtin_rules())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in builtin_rules():
        assert rule.code in readme, f"README does not list {rule.code}"
