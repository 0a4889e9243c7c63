"""The text-level nesting bound (`nanlint.nesting.depth_bound`) never under-estimates.

The engine skips CPython's parse for a file when `depth_bound` shows that no statement
can nest beyond the limit libcst is trusted with; an under-estimate would hand libcst
code it may take minutes on. So the bound is checked against the depth CPython's tree
gives (counted as the guard counts it), on nanlint's own test files, on real code, on
grammar-generated programs and on generated expressions full of the things that fool a
text reader: brackets and quotes inside strings and comments, f-strings nested in
f-strings, format specs, line continuations, brackets spanning lines.
"""

from __future__ import annotations

import ast
import io
import os
import random
import tokenize
import warnings
from pathlib import Path
from typing import List, Optional

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nanlint import engine, nesting
from nanlint.config import Settings
from nanlint.registry import all_rules

TESTS = Path(__file__).parent
CORPUS = TESTS.parent / "benchmarks" / ".cache" / "corpus"
# How many corpus files to check; NANLINT_NESTING_SAMPLE=0 checks all of them (about a minute).
SAMPLE = int(os.environ.get("NANLINT_NESTING_SAMPLE", "150"))
EXAMPLES = int(os.environ.get("NANLINT_FUZZ_EXAMPLES", "150"))


def _tree(source: str) -> Optional[ast.Module]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def deepest_statement(tree: ast.Module) -> int:
    """The exact depth the guard measures: the deepest expression below any statement."""
    deepest = 0
    pending = [(statement, 0) for statement in tree.body]
    while pending:
        node, depth = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                pending.append((child, 0))
                continue
            below = nesting.deeper(depth, child)
            deepest = max(deepest, below)
            pending.append((child, below))
    return deepest


def assert_bound_holds(source: str, readable: bool = False) -> None:
    tree = _tree(source)
    if tree is None:
        return
    bound = nesting.depth_bound(source)
    if readable:
        assert bound is not None, "valid code the text reader gave up on"
    if bound is not None:
        assert deepest_statement(tree) <= bound, source
    # With a limit, short lines are not counted, but a statement past the limit still shows.
    limited = nesting.depth_bound(source, 40)
    if deepest_statement(tree) > 40:
        assert limited is None or limited > 40


def _local_files() -> List[Path]:
    found = sorted((TESTS / "fixtures").rglob("*.py"))
    for folder in ("seeds", "data", "golden"):
        if (TESTS / folder).is_dir():
            found.extend(sorted((TESTS / folder).rglob("*.py")))
    found.extend(sorted((TESTS.parent / "src" / "nanlint").rglob("*.py")))
    return found


def _corpus_sample() -> List[Path]:
    files = sorted(CORPUS.rglob("*.py")) if CORPUS.is_dir() else []
    random.Random(11).shuffle(files)
    return files if SAMPLE == 0 else files[:SAMPLE]


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


@pytest.mark.parametrize("path", _local_files(), ids=lambda p: str(p.relative_to(TESTS.parent)))
def test_bound_holds_on_our_files(path):
    assert_bound_holds(_text(path))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="real corpus not downloaded (python benchmarks/corpus.py fetches it)")
def test_bound_holds_on_real_code():
    for path in _corpus_sample():
        assert_bound_holds(_text(path))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="real corpus not downloaded (python benchmarks/corpus.py fetches it)")
def test_logical_lines_contain_pythons_own():
    """Every logical line Python's tokenizer finds lies inside one the reader found."""
    for path in _corpus_sample():
        source = _text(path)
        if "\r" in source or _tree(source) is None:
            continue
        starts = [0]
        for line in source.splitlines(keepends=True):
            starts.append(starts[-1] + len(line))
        ours = nesting._logical_lines(source, 0)
        assert ours is not None, path
        first = None
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
                continue
            offset = starts[token.start[0] - 1] + token.start[1]
            if first is None:
                first = offset
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                end = starts[token.start[0] - 1] + token.start[1]
                if end > first:  # (tokenize ends a file without a final newline with an empty NEWLINE)
                    assert any(a <= first and end <= b for a, b, _, _ in ours), (path, source[first:end][:200])
                first = None


@pytest.mark.parametrize("source", [
    # brackets and quotes in strings and comments do not end or extend a logical line
    "x = ')' + \"(\" + '''\n)''' + f(a)  # (\n",
    "x = r'\\' + 1\n",  # a raw string's backslash still escapes the quote for the tokenizer
    "x = rb'\\\\' + Rb\"(\" + BR'x' + u'y'\n",
    "if x:pass\nelif'(':pass\n",
    "x = f'{a:>{width}}' + f\"{b!r:{'x'}}\" + f'{{(' + f'}}'\n",
    "x = f'''{\n a +\n b}'''\n",
    "x = (1,\n  # a comment with ( and '\n  2)\n",
    "x = 1 + \\\n  2\n",
    "x = 1 + \\\r\n  2\r\n",
    "x = 1\ry = 2\r",
    "def f(\n  a=')',\n  b='''\n  (''',\n):\n    return a\n",
    "x = [i for i in y if i]  # ]]]\n",
    "x = {'a': (1, [2, {3}])}\n",
])
def test_tricky_text_is_read_exactly(source):
    assert_bound_holds(source, readable=True)


@pytest.mark.parametrize("source", [
    "x = f\"{d[\"key\"]}\"\n",  # Python 3.12: the same quote inside a replacement field
    "x = f'{f'{f'{1}'}'}'\n",
    "x = f'{a # a comment\n}'\n",
])
def test_python_312_f_strings_are_read(source):
    lines = nesting._logical_lines(source, 0)
    assert lines is not None and [(a, b) for a, b, _, _ in lines] == [(0, len(source) - 1)]


@pytest.mark.parametrize("source", [
    "x = (\n" + "1 +\n" * 600 + "1)\n",  # a chain spread over many short lines
    "x = " + "1 + \\\n" * 600 + "1\n",  # ... or joined by backslashes
    "x = f'''{(\n" + "1 +\n" * 600 + "1)}'''\n",  # ... or inside an f-string's field
    "x = ')' + (" + "-" * 600 + "1)\n",  # a bracket in a string does not close the real one
    "x = [  # ]\n" + "y." * 600 + "z]\n",  # ... nor does one in a comment
], ids=["parentheses", "backslashes", "f-string", "string", "comment"])
def test_deep_code_spread_over_lines_is_seen(source):
    assert deepest_statement(ast.parse(source)) > 500
    bound = nesting.depth_bound(source, 500)
    assert bound is None or bound > 500


@pytest.mark.parametrize("source", [
    "x = (1\n",  # unclosed
    "x = 1)\n",  # unbalanced
    "x = (1]\n",  # mismatched
    "x = 'abc\n",  # unterminated
    "x = f'{a'\n",
    "x = '''abc\n",
    "if x:\n" + "".join(" " * (i + 1) + "if x:\n" for i in range(100)) + " " * 101 + "pass\n",
])
def test_unreadable_text_gives_no_bound(source):
    assert nesting.depth_bound(source) is None


# --- generated code -------------------------------------------------------------------

_LITERAL_CHARACTERS = "ab ()[]{}#'\"\\\n:"
# Forms an expression may take; `$a` and `$b` stand for two smaller expressions.
_FORMS = [
    "$a + $b",
    "($a and\n $b)",
    "$a if $b else c",
    "-$a",
    "not $a",
    "f($a, k=$b)",
    "($a).attr",
    "a[$a:$b]",
    "[$a,  # a comment with ) ] } ' \"\n $b]",
    "{'k': $a, **$b}",
    "(lambda q: $a)",
    "[q for q in $a if $b]",
    "($a +\\\n $b)",
    'f"""x{{{$a}}}y"""',
    "f'''{$a:>{w}}'''",
    "'''\n(''' + $a",
]


def _leaf(rnd: random.Random) -> str:
    kind = rnd.randrange(4)
    if kind == 0:
        return rnd.choice(["a", "b", "x", "torch", "lam", "f", "rf", "br"])
    if kind == 1:
        return str(rnd.randrange(100))
    text = "".join(rnd.choice(_LITERAL_CHARACTERS) for _ in range(rnd.randrange(8)))
    return rnd.choice(["", "b", "u", "R"]) + repr(text)


def _expression(rnd: random.Random, budget: int) -> str:
    """A random expression of at most `budget` leaves, made of the forms above."""
    if budget <= 1 or rnd.random() < 0.15:
        return _leaf(rnd)
    split = rnd.randrange(1, budget)
    form = rnd.choice(_FORMS)
    return form.replace("$a", _expression(rnd, split)).replace("$b", _expression(rnd, budget - split))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False), st.integers(1, 60))
def test_bound_holds_on_generated_expressions(rnd, budget):
    source = "".join(f"v{i} = {_expression(rnd, budget)}\n" for i in range(rnd.randrange(1, 4)))
    assume(_tree(source) is not None)
    assert_bound_holds(source, readable=True)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_bound_holds_on_grammar_generated_programs(source):
    assert_bound_holds(source)


# --- the engine's use of it ---------------------------------------------------------------

RULES = list(Settings().selection.enabled(all_rules().values()))


def test_shallow_file_is_not_parsed_by_cpython(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("CPython's parser was asked")

    monkeypatch.setattr(engine, "_python_parse", refuse)
    result = engine.lint_source("t.py", "import torch\nopt = torch.optim.Adam(m.parameters(), lr=1.0)\n", RULES)
    assert [d.code for d in result.diagnostics] == ["NAN301"]


def test_syntax_errors_are_still_in_cpythons_words():
    result = engine.lint_source("t.py", "import torch\nx = torch.log(y\n", RULES)
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "NAN000" and "'(' was never closed" in diagnostic.message


def test_deep_file_still_goes_through_cpythons_tree():
    source = "import torch\nx = torch.log(" + " + ".join(["y"] * 600) + ")\n"
    [diagnostic] = engine.lint_source("t.py", source, RULES).diagnostics
    assert diagnostic.code == "NAN000" and "nested more than 500 levels" in diagnostic.message
