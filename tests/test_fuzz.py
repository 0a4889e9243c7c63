"""Property-based fuzzing: for any program, and for any bytes, nanlint answers.

Programs come from hypothesmith (grammar-valid Python) and from a strategy that builds
ML-flavoured code (imports of every framework, `log`/`softmax`/`exp`/divisions,
optimizers, training loops with backward/step/clipping, models, argparse) around random
expressions, so that the rules actually reach their deep paths. Every rule runs on
every example: the trigger pre-filter is switched off.

Properties: the engine never raises and always returns a list of diagnostics; no
internal error (NAN999) is ever reported; every position lies inside the file; linting
is deterministic; the command line gives the same findings for a file and for stdin.
Any bytes given to the checker (as `.py` or `.ipynb`) give NAN000 or findings, never a
crash.

The default run is sized for CI. Set NANLINT_FUZZ_EXAMPLES for a longer run, e.g.
`NANLINT_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py`.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from typing import List

import hypothesmith
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nanlint.checker import check_bytes
from nanlint.cli import main
from nanlint.config import Settings
from nanlint.diagnostics import INTERNAL_ERROR_CODE, UNREADABLE_CODE, Diagnostic
from nanlint.engine import LintResult, lint_source
from nanlint.loader import LoadError, decode_source
from nanlint.registry import all_rules
from nanlint.selection import Selection
from nanlint.testing import _always_run

EXAMPLES = int(os.environ.get("NANLINT_FUZZ_EXAMPLES", "60"))
# The engine raises the recursion limit on first use; do it now, so that Hypothesis does not
# see it change during a test (and warn).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
# A few CLI round trips per example are slower: a fraction of the examples.
FUZZ_CLI = settings(FUZZ, max_examples=max(10, EXAMPLES // 4))

RULES = list(all_rules().values())
EVERY_RULE = [_always_run(rule) for rule in RULES]  # triggers off: every rule walks every example
EVERYTHING = Settings(selection=Selection(select=tuple(rule.code for rule in RULES)))
NEWLINE = re.compile(r"\r\n?|\n")


# --- properties ------------------------------------------------------------------------------


def lines_of(source: str) -> List[str]:
    """Lines as libcst and CPython count them: `\\n`, `\\r\\n` and `\\r` end a line."""
    lines = NEWLINE.split(source)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def assert_inside(source: str, diagnostic: Diagnostic) -> None:
    lines = lines_of(source)
    where = f"{diagnostic.line}:{diagnostic.col} {diagnostic.code} {diagnostic.message}"
    assert 1 <= diagnostic.line <= max(len(lines), 1), where
    text = lines[diagnostic.line - 1] if lines else ""
    assert 1 <= diagnostic.col <= len(text) + 1, where
    if diagnostic.end_line is not None:
        assert diagnostic.line <= diagnostic.end_line <= max(len(lines), 1), where
        end_text = lines[diagnostic.end_line - 1] if lines else ""
        assert 1 <= (diagnostic.end_col or 1) <= len(end_text) + 1, where
        assert (diagnostic.line, diagnostic.col) <= (diagnostic.end_line, diagnostic.end_col or 1), where


def check_program(source: str) -> LintResult:
    result = lint_source("fuzz.py", source, EVERY_RULE)
    assert isinstance(result, LintResult) and isinstance(result.diagnostics, list)
    for diagnostic in result.diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.code != INTERNAL_ERROR_CODE, f"{diagnostic.message}\n{''.join(result.tracebacks)}\n{source}"
        assert diagnostic.message and "\n" not in diagnostic.message
        assert_inside(source, diagnostic)
    assert result.diagnostics == sorted(result.diagnostics, key=Diagnostic.sort_key)
    return result


# --- ML-flavoured programs -------------------------------------------------------------------

IMPORTS = [
    "import torch\n", "import torch as th\n", "import torch.nn as nn\n", "import torch.nn.functional as F\n",
    "from torch import log, softmax, exp, sqrt\n", "from torch.nn.functional import log_softmax as ls\n",
    "import numpy as np\n", "import tensorflow as tf\n", "from tensorflow import keras\n",
    "import keras.backend as K\n", "import jax.numpy as jnp\n", "import jax\n", "import math\n",
    "import argparse\n", "from torch.cuda.amp import GradScaler, autocast\n", "import optax\n",
    "from torch import optim\n", "import torch.optim as optim\n", "from torch.optim import SGD, Adam, AdamW\n",
]
NAMES = ["x", "y", "p", "q", "logits", "probs", "prob", "eps", "lr", "model", "loss", "target", "t", "a", "b",
         "scores", "weights", "var", "std", "norm", "mask", "attn", "args", "cfg", "scaler", "opt", "optimizer",
         "batch", "log", "exp", "softmax", "torch", "F", "np", "tf", "self", "_"]
NUMBERS = ["0", "1", "0.0", "1.0", "-1", "2", "1e-8", "1e-12", "1e-3", "0.5", "10.0", "100", "1e30", "1e-45",
           "float('inf')", "float('nan')", "math.inf", "np.inf", "True", "None", "65504", "3.4e38", "0x10",
           # spellings and sizes the constant folder must survive
           "0o17", "0b11", "1_000", "-0.0", "1e400", "1j", "1" + "0" * 400, "(10 ** 10 ** 10)", "(3 ** 99999999999)"]
FUNCTIONS = [
    "torch.log", "torch.exp", "torch.sqrt", "torch.rsqrt", "torch.softmax", "F.softmax", "F.log_softmax",
    "torch.sigmoid", "F.sigmoid", "np.log", "np.exp", "np.sqrt", "tf.math.log", "tf.exp", "tf.nn.softmax",
    "jnp.log", "jnp.exp", "K.log", "log", "exp", "sqrt", "softmax", "ls", "th.log", "torch.log1p", "torch.log2",
    "torch.clamp", "torch.clip", "torch.pow", "torch.div", "torch.where", "torch.acos", "torch.asin",
    "torch.atanh", "torch.logsumexp", "torch.tanh", "torch.norm", "torch.std", "torch.var", "F.normalize",
    "F.binary_cross_entropy", "F.cross_entropy", "F.nll_loss", "F.kl_div", "nn.BCELoss()", "nn.NLLLoss()",
    "torch.nn.utils.clip_grad_norm_", "torch.empty", "torch.randn", "torch.zeros", "torch.ones", "abs", "max",
    "min", "sum", "len", "float", "int", "math.log", "math.sqrt", "torch.optim.SGD", "torch.optim.Adam",
    "optim.AdamW", "SGD", "Adam", "optax.adam", "keras.optimizers.Adam", "tf.keras.losses.BinaryCrossentropy",
    "torch.finfo", "np.finfo", "torch.isnan", "torch.nan_to_num", "GradScaler", "autocast", "model",
    "nn.Linear", "nn.LSTM", "nn.init.normal_", "nn.init.constant_", "torch.distributions.Normal",
]
METHODS = ["log", "exp", "sqrt", "sum", "mean", "clamp", "clamp_min", "softmax", "log_softmax", "sigmoid",
           "backward", "step", "zero_grad", "item", "half", "float", "std", "var", "norm", "pow", "div", "abs",
           "detach", "to", "cuda", "max", "min", "unscale_", "update", "scale", "parameters", "masked_fill",
           "reciprocal", "log1p", "acos", "fill_", "normal_", "uniform_"]
KEYWORDS = ["dim", "eps", "min", "max", "lr", "weight_decay", "momentum", "from_logits", "reduction", "p",
            "dtype", "keepdim", "max_norm", "std", "mean", "clip_value", "default", "type", "beta", "eps"]
OPERATORS = ["+", "-", "*", "/", "//", "**", "%", "@", "<", ">", "==", "!=", "<=", "and", "or", "&", "|"]

atoms = st.one_of(st.sampled_from(NAMES), st.sampled_from(NUMBERS), st.sampled_from(['"mean"', "'sum'", '""']))


def _receiver(expression: str) -> str:
    """`x` stays `x.log()`; `1e-8` or `-x` needs parentheses to take a method or an index."""
    return expression if expression[:1].isalpha() or expression[:1] in "_([{" and not expression.startswith("not ") \
        else f"({expression})"


def _compound(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(FUNCTIONS), children),
        st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(FUNCTIONS), children, children),
        st.builds(lambda f, a, k, b: f"{f}({a}, {k}={b})", st.sampled_from(FUNCTIONS), children,
                  st.sampled_from(KEYWORDS), children),
        st.builds(lambda a, m: f"{_receiver(a)}.{m}()", children, st.sampled_from(METHODS)),
        st.builds(lambda a, m, b: f"{_receiver(a)}.{m}({b})", children, st.sampled_from(METHODS), children),
        st.builds(lambda a, o, b: f"({a} {o} {b})", children, st.sampled_from(OPERATORS), children),
        st.builds(lambda o, a: f"{o}({a})" if a.startswith("not ") else f"{o}{a}",
                  st.sampled_from(["-", "+", "~", "not "]), children),
        st.builds(lambda a, b: f"{_receiver(a)}[{b}]", children, children),
        st.builds(lambda a, b, c: f"({a} if {b} else {c})", children, children, children),
        st.builds(lambda a, b: f"[{a}, {b}]", children, children),
        st.builds(lambda k, a: f"{{{k!r}: {a}}}", st.sampled_from(KEYWORDS), children),
        st.builds(lambda n, a: f"(lambda {n}: {a})", st.sampled_from(NAMES[:10]), children),
        st.builds(lambda a, n, b: f"[{a} for {n} in {b}]", children, st.sampled_from(NAMES[:10]), children),
    )


expressions = st.recursive(atoms, _compound, max_leaves=8)

# Statements that reach the rules' deep paths, with random expressions in their holes.
SNIPPETS = [
    "loss = torch.log(torch.softmax({e}, dim=-1))", "p = F.softmax({e}, -1)\nlogp = p.log()",
    "probs = torch.sigmoid({e})\nloss = -(t * torch.log(probs) + (1 - t) * torch.log(1 - probs)).mean()",
    "y = {e} / {e}.sum()", "y = {e} / ({e} + {e})", "z = torch.sqrt({e})", "z = torch.sqrt(({e} ** 2).sum(-1))",
    "w = torch.exp({e})", "w = torch.exp({e}) / torch.exp({e}).sum()", "n = {e} / {e}.norm(dim=-1, keepdim=True)",
    "a = torch.acos({e})", "v = torch.log({e}.clamp(min={e}))", "v = torch.log({e} + {e})",
    "opt = torch.optim.SGD(model.parameters(), lr={e})", "opt = optim.Adam(model.parameters(), lr={e}, eps={e})",
    "criterion = nn.BCELoss()\nloss = criterion(torch.sigmoid({e}), t)", "loss = F.nll_loss({e}, t)",
    "loss = F.binary_cross_entropy(torch.sigmoid({e}), t)", "loss = F.cross_entropy(torch.softmax({e}, 1), t)",
    "x = {e}.half()\ny = x / (x.std() + {e})", "eps = {e}\nx = x / (x.var() + eps).sqrt()",
    "h = torch.empty({e}, {e})", "nn.init.normal_(w, std={e})", "scale = 1 / math.sqrt({e})",
    "mask = {e} == float('nan')", "ok = {e} != {e}", "x = torch.where({e} > 0, torch.log({e}), {e})",
    "lr = {e}\nopt = torch.optim.Adam(params, lr=lr)", "cfg = {{'lr': {e}}}\nopt = SGD(params, lr=cfg['lr'])",
    "parser.add_argument('--lr', type=float, default={e})\nargs = parser.parse_args()\n"
    "opt = torch.optim.SGD(params, lr=args.lr)",
    "scaler = GradScaler()\nscaler.scale(loss).backward()\ntorch.nn.utils.clip_grad_norm_(m.parameters(), {e})\n"
    "scaler.step(opt)\nscaler.update()",
    "loss.backward()\nopt.step()\ntorch.nn.utils.clip_grad_norm_(model.parameters(), {e})",
    "for x, t in loader:\n    torch.nn.utils.clip_grad_norm_(model.parameters(), {e})\n    loss = crit(model(x), t)\n"
    "    loss.backward()\n    opt.step()",
    "for x, t in loader:\n    loss = crit(model(x), t)\n    loss.backward()\n    opt.step()",
    "rnn = nn.LSTM({e}, {e})\nfor x in data:\n    out, _ = rnn(x)\n    out.sum().backward()\n    opt.step()",
    "logits = model({e})\nloss = tf.math.log(tf.nn.softmax(logits))", "k = K.log({e})", "j = jnp.log(jnp.exp({e}))",
    "model.compile(optimizer='adam', loss='binary_crossentropy')", "d = torch.distributions.Normal({e}, {e})",
    "tiny = torch.finfo(torch.float16).tiny\nx = x + {e}", "q = x.masked_fill(mask, float('-inf')).softmax(-1)",
    "q = torch.logsumexp({e}, dim=0) - {e}", "r = {e} ** {e}", "r = torch.pow({e}, -1)", "r = 1.0 / {e}",
]


def _fill(template: str, fill: List[str]) -> str:
    parts = template.split("{e}")
    out = parts[0]
    for index, part in enumerate(parts[1:]):
        out += fill[index % len(fill)] + part
    return out.replace("{{", "{").replace("}}", "}")


# Holes are often plain names and numbers (so the rules recognise the pattern), sometimes anything.
holes = st.one_of(st.sampled_from(NAMES[:16]), st.sampled_from(NUMBERS), expressions)
snippets = st.builds(_fill, st.sampled_from(SNIPPETS), st.lists(holes, min_size=6, max_size=6))
targets = st.one_of(st.sampled_from(NAMES), st.builds(lambda a, b: f"{a}, {b}", st.sampled_from(NAMES),
                                                     st.sampled_from(NAMES)),
                    st.builds(lambda a, m: f"{a}.{m}", st.sampled_from(NAMES), st.sampled_from(NAMES)))


def _simple_statement(indent: str) -> st.SearchStrategy[str]:
    return st.one_of(
        snippets.map(lambda text: "".join(f"{indent}{line}\n" for line in text.split("\n"))),
        st.builds(lambda t, e: f"{indent}{t} = {e}\n", targets, expressions),
        st.builds(lambda t, o, e: f"{indent}{t} {o}= {e}\n", st.sampled_from(NAMES[:12]),
                  st.sampled_from(["+", "-", "*", "/"]), expressions),
        st.builds(lambda e: f"{indent}{e}\n", expressions),
        st.builds(lambda e: f"{indent}return {e}\n", expressions),
        st.sampled_from([f"{indent}loss.backward()\n", f"{indent}optimizer.step()\n", f"{indent}opt.zero_grad()\n",
                         f"{indent}scaler.scale(loss).backward()\n", f"{indent}scaler.step(opt)\n",
                         f"{indent}scaler.update()\n", f"{indent}scaler.unscale_(opt)\n",
                         f"{indent}torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n",
                         f"{indent}parser = argparse.ArgumentParser()\n",
                         f"{indent}args = parser.parse_args()\n", f"{indent}pass\n", f"{indent}break\n",
                         f"{indent}del x\n", f"{indent}global lr\n", f"{indent}import torch\n",
                         f"{indent}x = yield\n", f"{indent}raise ValueError\n"]),
        st.builds(lambda n, e: f"{indent}parser.add_argument('--{n}', type=float, default={e})\n",
                  st.sampled_from(["lr", "eps", "weight-decay", "clip"]), expressions),
        st.builds(lambda e: f"{indent}assert {e}\n", expressions),
        st.builds(lambda e: f"{indent}x = {e}  # noqa\n", expressions),
        st.builds(lambda e: f"{indent}x = {e}  # noqa: NAN1\n", expressions),
    )


def _block(indent: str, depth: int) -> st.SearchStrategy[str]:
    statements = _simple_statement(indent)
    if depth < 2:
        inner = indent + "    "
        body = st.deferred(lambda: _block(inner, depth + 1))
        statements = st.one_of(
            statements,
            st.builds(lambda n, e, b: f"{indent}for {n} in {e}:\n{b}", st.sampled_from(["x", "batch", "(x, t)", "i"]),
                      expressions, body),
            st.builds(lambda n, p, b: f"{indent}def {n}({p}):\n{b}", st.sampled_from(["forward", "train", "f", "step"]),
                      st.sampled_from(["", "self, x", "x, eps=1e-8", "lr=1.0, *args, **kw", "x: float = 0.0"]), body),
            st.builds(lambda n, base, b: f"{indent}class {n}({base}):\n{b}", st.sampled_from(["Net", "Model"]),
                      st.sampled_from(["nn.Module", "torch.nn.Module", "keras.Model", "object", ""]), body),
            st.builds(lambda e, b, c: f"{indent}if {e}:\n{b}{indent}else:\n{c}", expressions, body, body),
            st.builds(lambda e, b: f"{indent}while {e}:\n{b}", expressions, body),
            st.builds(lambda e, b: f"{indent}with {e} as ctx:\n{b}", expressions, body),
            st.builds(lambda b, c: f"{indent}try:\n{b}{indent}except Exception as err:\n{c}", body, body),
            st.builds(lambda b: f"{indent}with torch.autocast('cuda'):\n{b}", body),
        )
    return st.lists(statements, min_size=1, max_size=5 if depth == 0 else 3).map("".join)


@st.composite
def ml_programs(draw) -> str:
    imports = ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"] if draw(st.booleans()) else []
    imports += draw(st.lists(st.sampled_from(IMPORTS), max_size=6))
    body = draw(_block("", 0))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    program = "".join(imports) + body
    return program.replace("\n", newline) if newline != "\n" else program


ml_spliced = st.builds(lambda a, b, c: a + b + "\n" + c, ml_programs(), hypothesmith.from_grammar(), ml_programs())


# --- generated programs ------------------------------------------------------------------


@FUZZ
@given(hypothesmith.from_grammar())
@example("")
@example("\ufeffx = 1\n")
@example("import torch\r\nx = torch.log(torch.softmax(y, -1))\r")
def test_grammar_programs(source):
    check_program(source)


@settings(FUZZ, max_examples=max(5, EXAMPLES // 10))  # from_node is slow to generate
@given(hypothesmith.from_node())
def test_node_programs(source):
    check_program(source)


@FUZZ
@given(ml_programs())
@example("import torch\nif(lambda x: torch.log(x)):\n    pass\n")  # libcst raised TypeError (found by fuzzing)
@example("import torch\nfor x, t in loader:\n    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)\n"
         "    loss.backward()\n    opt.step()\n")
def test_ml_programs(source):
    first = check_program(source)
    assert lint_source("fuzz.py", source, EVERY_RULE).diagnostics == first.diagnostics  # deterministic


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))  # hypothesmith halves are slow to generate
@given(ml_spliced)
def test_ml_programs_spliced_with_grammar_programs(source):
    check_program(source)


@FUZZ
@given(ml_programs(), st.data())
def test_mutilated_ml_programs(source, data):
    """Truncated, with a character removed or an indentation broken: NAN000 or findings."""
    cut = data.draw(st.integers(0, len(source)))
    mutation = data.draw(st.sampled_from(["truncate", "drop", "dedent", "insert"]))
    if mutation == "truncate":
        source = source[:cut]
    elif mutation == "drop":
        source = source[:cut] + source[cut + 1:]
    elif mutation == "dedent":
        source = source.replace("\n    ", "\n  ", 1)
    else:
        source = source[:cut] + data.draw(st.sampled_from(["(", ")", ":", "\t", "\x0c", "'''", "\\", "\ufeff"])) \
            + source[cut:]
    check_program(source)


@FUZZ_CLI
@given(st.one_of(ml_programs(), hypothesmith.from_grammar()))
def test_file_and_stdin_agree(source):
    """The command line reports the same findings for a file and for the same text on stdin."""
    select = ",".join(rule.code for rule in RULES)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz_input.py"
        path.write_bytes(source.encode("utf-8", "surrogatepass"))
        runner = CliRunner()
        old = os.getcwd()
        os.chdir(folder)
        try:
            from_file = runner.invoke(main, ["--isolated", "--select", select, "fuzz_input.py"],
                                      catch_exceptions=False)
            from_stdin = runner.invoke(main, ["--isolated", "--select", select, "--stdin-filename",
                                              "fuzz_input.py", "-"], input=path.read_bytes(), catch_exceptions=False)
        finally:
            os.chdir(old)
    assert from_file.stdout == from_stdin.stdout
    assert from_file.exit_code == from_stdin.exit_code
    assert from_file.exit_code in (0, 1), from_file.stdout
    assert "Traceback" not in from_file.stderr + from_stdin.stderr


# --- arbitrary bytes ---------------------------------------------------------------------------

COOKIES = [b"", b"# -*- coding: latin-1 -*-\n", b"# coding: utf-8\n", b"# coding=cp1252\n", b"# vim: set fileencoding=utf-16 :\n",
           b"# coding: undefined\n", b"# coding: punycode\n", b"# coding: base64\n", b"# coding: rot13\n",
           b"# coding: unicode_escape\n", b"# coding: idna\n", b"# coding: no-such\n", b"\xef\xbb\xbf",
           b"\xef\xbb\xbf# coding: latin-1\n", b"#!/usr/bin/env python\n# coding: utf-8-sig\n", b"\xff\xfe", b"\xfe\xff"]
program_bytes = st.builds(lambda s: s.encode("utf-8", "surrogatepass"), ml_programs())
any_bytes = st.one_of(
    st.binary(max_size=2048),
    st.builds(lambda cookie, body: cookie + body, st.sampled_from(COOKIES), st.one_of(st.binary(max_size=512),
                                                                                      program_bytes)),
    st.builds(lambda body, cut, junk: body[:cut] + junk + body[cut:], program_bytes, st.integers(0, 400),
              st.binary(min_size=1, max_size=8)),
)


def check_any_bytes(name: str, data: bytes) -> LintResult:
    result = check_bytes(name, data, EVERYTHING, EVERY_RULE)
    assert isinstance(result.diagnostics, list)
    for diagnostic in result.diagnostics:
        assert diagnostic.code != INTERNAL_ERROR_CODE, f"{diagnostic.message}\n{''.join(result.tracebacks)}\n{data!r}"
        assert diagnostic.line >= 1 and diagnostic.col >= 1
        assert diagnostic.message and "\n" not in diagnostic.message
    return result


@FUZZ
@given(any_bytes)
@example(b"\x00")
@example(b"\xef\xbb\xbf")
@example(b"# coding: undefined\nx = 1\n")
def test_any_bytes_as_python(data):
    result = check_any_bytes("fuzz.py", data)
    text = decode_source(data)
    if isinstance(text, LoadError):
        assert [d.code for d in result.diagnostics] == [UNREADABLE_CODE]
    else:
        for diagnostic in result.diagnostics:
            assert_inside(text, diagnostic)


notebook_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40), ml_programs()),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(["cells", "cell_type", "source", "metadata", "nbformat",
                                                                "outputs", "code", "markdown", "language_info",
                                                                "kernelspec", "name"]), children, max_size=5)),
    max_leaves=15,
)


@st.composite
def notebooks(draw) -> bytes:
    import json

    cells = draw(st.lists(st.fixed_dictionaries({
        "cell_type": st.sampled_from(["code", "code", "markdown", "raw", 3]),
        "source": st.one_of(ml_programs(), st.lists(st.sampled_from(["%matplotlib inline\n", "!pip install x\n",
                                                                     "%%bash\n", "x = !ls\n", "y?\n", "import torch\n",
                                                                     "loss = torch.log(p)\n", "    z = (\n"]),
                                                    max_size=5), notebook_json),
    }), max_size=5))
    document = draw(st.one_of(st.just({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                              notebook_json))
    return json.dumps(document).encode()


@FUZZ
@given(st.one_of(notebooks(), any_bytes))
def test_any_bytes_as_notebook(data):
    check_any_bytes("fuzz.ipynb", data)


# --- determinism across processes ------------------------------------------------------------


def test_output_does_not_depend_on_the_hash_seed(tmp_path):
    """Every rule over every fixture, in two processes with different string hashing: a rule
    that reported, say, the first element of a set would give different messages."""
    import subprocess

    root = Path(__file__).resolve().parent
    every_rule = ",".join(rule.code for rule in RULES)
    outputs = []
    for seed in ("0", "4242"):
        done = subprocess.run(
            [sys.executable, "-m", "nanlint", "--isolated", "--no-cache", "--jobs", "1", "--select", every_rule,
             str(root / "fixtures"), str(root.parent / "examples")],
            capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=900)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert " NAN999 " not in outputs[0]
