"""Skipping files by trigger text must be exact: the same findings with and without the skip.

Every registered rule is covered automatically (rules are taken from the registry,
so a rule added later is checked too), on every fixture and seed file and on a
sample of the real corpus when it has been downloaded.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import List

import pytest

from nanlint import engine
from nanlint.loader import LoadError, decode_source
from nanlint.registry import all_rules
from nanlint.rule import Rule

TESTS = Path(__file__).parent
CORPUS = TESTS.parent / "benchmarks" / ".cache" / "corpus"
# How many corpus files to compare (each is parsed twice); NANLINT_PREFILTER_SAMPLE=0 means all.
SAMPLE = int(os.environ.get("NANLINT_PREFILTER_SAMPLE", "40"))


def _local_files() -> List[Path]:
    found = sorted((TESTS / "fixtures").glob("*.py"))
    for folder in ("seeds", "data", "hostile"):
        if (TESTS / folder).is_dir():
            found.extend(sorted((TESTS / folder).rglob("*.py")))
    return found


def _corpus_sample() -> List[Path]:
    files = sorted(CORPUS.rglob("*.py")) if CORPUS.is_dir() else []
    random.Random(7).shuffle(files)
    return files if SAMPLE == 0 else files[:SAMPLE]


def _findings(path: Path, monkeypatch, skip: bool):
    data = path.read_bytes()
    source = decode_source(data)
    if isinstance(source, LoadError):
        pytest.skip(f"{path.name} is not decodable source")
    rules = list(all_rules().values())  # every rule, including those off by default
    with monkeypatch.context() as patch:
        if not skip:
            patch.setattr(engine, "rules_that_could_fire", lambda text, chosen: list(chosen))
            for rule in rules:
                patch.setattr(rule, "triggers", None)
        return engine.lint_source(str(path), source, rules).diagnostics


def _check(path: Path, monkeypatch) -> None:
    skipped = _findings(path, monkeypatch, skip=True)
    unskipped = _findings(path, monkeypatch, skip=False)
    missed = [d for d in unskipped if d not in skipped]
    assert not missed, f"the trigger skip hides findings (fix the rule's `triggers`): {missed}"
    assert skipped == unskipped


def test_every_rule_is_covered():
    rules = all_rules()
    assert len(rules) >= 2
    for rule in rules.values():
        assert rule.triggers is None or (isinstance(rule.triggers, tuple) and all(
            isinstance(t, str) and t for t in rule.triggers)), f"{rule.code}: triggers must be a tuple of non-empty strings"


@pytest.mark.parametrize("path", _local_files(), ids=lambda p: str(p.relative_to(TESTS)))
def test_skip_is_exact_on_test_files(path, monkeypatch):
    _check(path, monkeypatch)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="real corpus not downloaded (python benchmarks/corpus.py fetches it)")
@pytest.mark.parametrize("path", _corpus_sample(), ids=lambda p: str(p.relative_to(CORPUS)) if CORPUS in p.parents else p.name)
def test_skip_is_exact_on_corpus_sample(path, monkeypatch):
    _check(path, monkeypatch)


def test_a_wrong_trigger_is_caught(monkeypatch):
    """The check can fail: a rule whose trigger misses what it flags shows up as a difference."""
    rules = [rule for rule in all_rules().values() if rule.triggers and rule.INVALID]
    if not rules:
        pytest.skip("no rule with triggers and INVALID examples")
    rule = rules[0]
    source = rule.INVALID[0].code
    monkeypatch.setattr(rule, "triggers", ("text that is not in the example",))
    skipped = engine.lint_source("example.py", source, [rule], rule.INVALID[0].options and {rule.code: rule.INVALID[0].options}).diagnostics
    monkeypatch.setattr(rule, "triggers", None)
    unskipped = engine.lint_source("example.py", source, [rule], rule.INVALID[0].options and {rule.code: rule.INVALID[0].options}).diagnostics
    assert skipped == [] and unskipped != []


# --- the one-pass search finds exactly what a search per trigger finds -------------------


def _one_by_one(source: str, rules) -> list:
    return [rule for rule in rules if rule.triggers is None or any(t in source for t in rule.triggers)]


def _texts() -> List[str]:
    texts = []
    for path in [*_local_files(), *_corpus_sample()]:
        source = decode_source(path.read_bytes())
        if not isinstance(source, LoadError):
            texts.append(source)
    # Triggers at the very ends, overlapping ones ("Adam" inside "AdamW"), text beyond ASCII.
    texts += ["", "Adam", "xAdamW", "import torch\ny = torch.log(x) / n", "é = torch.sqrt(ü)  # ∑ log",
              "log\udcff sqrt"]  # a lone surrogate: no UTF-8 for it, searched for one by one
    return texts


@pytest.mark.parametrize("with_library", [True, False], ids=["aho-corasick", "one-by-one"])
def test_one_pass_search_matches_a_search_per_trigger(with_library, monkeypatch):
    from nanlint import prefilter

    if not with_library:
        monkeypatch.setattr(prefilter, "AhoCorasick", None)
    elif prefilter.AhoCorasick is None:
        pytest.skip("ahocorasick_rs is not installed (Python 3.9)")
    prefilter._search_for.cache_clear()
    rules = list(all_rules().values())
    for text in _texts():
        assert prefilter.rules_that_could_fire(text, rules) == _one_by_one(text, rules)
    prefilter._search_for.cache_clear()


def test_changed_triggers_are_searched_for(monkeypatch):
    from nanlint import prefilter

    rules = list(all_rules().values())
    first = rules[0]
    assert first not in prefilter.rules_that_could_fire("nothing_here_at_all", rules)
    monkeypatch.setattr(first, "triggers", ("nothing_here",))
    assert first in prefilter.rules_that_could_fire("nothing_here_at_all", rules)


def test_rules_with_odd_triggers_are_asked_themselves(monkeypatch):
    from nanlint import prefilter

    class Listed(Rule):
        code, name = "NAN991", "listed"
        triggers = (["unhashable"],)  # type: ignore[assignment]

    class Empty(Rule):
        code, name = "NAN992", "empty"
        triggers = ("",)

    class Asks(Rule):
        code, name = "NAN993", "asks"

        @classmethod
        def could_fire(cls, source: str) -> bool:
            return source.startswith("yes")

    rules = [*all_rules().values(), Listed, Empty, Asks]
    found = prefilter.rules_that_could_fire("yes", rules)
    assert Listed in found  # a broken trigger: the rule runs, its guard reports what fails
    assert Empty in found and Asks in found
    assert Asks not in prefilter.rules_that_could_fire("no", rules)
