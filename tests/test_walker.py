"""The fast walk must call exactly what `libcst.visit_batched` calls, in the same order."""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence, Tuple

import libcst as cst
import pytest

from nanlint import walker
from nanlint.engine import lint_source
from nanlint.registry import all_rules

FIXTURES = Path(__file__).parent / "fixtures"

SAMPLE = '''
import torch as T, numpy as np
from torch.nn import functional as F
from . import sibling
from .pkg import (a as b, c,)
from x import *

@decorator(arg=1)
async def f(x: int = 3, *args, y=T.log(2), **kw) -> "T.Tensor":
    """doc"""
    global g
    z = [i ** 2 for i in range(10) if i % 2]  # comment
    w = {k: v for k, v in kw.items()}
    s = {*args}
    t = (x, *args)
    lam = lambda q, r=1: q / r
    async with open(x) as fh, other() as (p, q):
        async for item in fh:
            yield item
    while not x:
        x -= 1
    else:
        pass
    try:
        y = F.softmax(x, dim=-1)[..., 0:1, ::2]
    except (ValueError, TypeError) as error:
        raise RuntimeError("bad") from error
    else:
        y += 1
    finally:
        del z
    match x:
        case [1, 2, *rest] if rest:
            pass
        case {"a": 1, **more}:
            pass
        case Point(x=0) | None:
            pass
    return f"{x!r:>{width}} {y=}" + b"bytes".decode() + ("implicit" "concat")

class Net(T.nn.Module, metaclass=Meta):
    attr: int = 1
    def forward(self, x):
        if (n := len(x)) > 0 and x is not None:
            return x.log().clamp(min=1e-8) @ self.w
        elif x:
            assert x, "msg"
        return -x if x else ~x

print(*[1], **{"a": 2}); x = y = 1; x[1:2] = 3; nonlocal_ = 0
type Alias[T] = list[T]
def generic[T: int, *Ts, **P](a: T) -> T: ...
'''


def _recorder(names: Sequence[str], log: List[Tuple[str, int]]) -> cst.BatchableCSTVisitor:
    namespace = {}
    for name in names:
        def method(self, node, name=name):
            log.append((name, id(node)))

        method.__name__ = name  # libcst's get_visitors selects methods by __name__
        namespace[name] = method
    return type("Recorder", (cst.BatchableCSTVisitor,), namespace)()


def _every_node_method() -> List[str]:
    classes = [c.__name__ for c in walker._node_classes() if not c.__name__.startswith("Base")]
    return [f"{prefix}_{name}" for name in classes for prefix in ("visit", "leave")]


SOME = [f"{prefix}_{name}" for name in ("Call", "Name", "Attribute", "FunctionDef", "Assign", "Import", "ImportFrom",
                                         "Float", "Integer", "ClassDef", "For", "Lambda", "ListComp", "Module")
        for prefix in ("visit", "leave")]
HOOKS = [*SOME, "visit_Call_func", "leave_Call_args", "visit_FunctionDef_returns", "leave_ImportFrom_names",
         "visit_FormattedStringExpression_format_spec", "visit_Param_default", "leave_Lambda_params"]
LAYOUT = [*SOME, "visit_Comment", "leave_Comma", "visit_Add"]
# No hook for names, numbers or strings (as in nanlint's own walk): the walk does not enter them.
FEW = [f"{prefix}_{name}" for name in ("Call", "Assign", "FunctionDef", "Lambda", "BinaryOperation", "Module")
       for prefix in ("visit", "leave")]


def _sources() -> List[Tuple[str, str]]:
    found = [("sample", SAMPLE)]
    found.extend((p.name, p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.py")))
    found.append(("walker.py", Path(walker.__file__).read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("methods", [_every_node_method(), SOME, HOOKS, LAYOUT, FEW], ids=["all", "some", "hooks", "layout", "few"])
@pytest.mark.parametrize("name,source", _sources(), ids=[name for name, _ in _sources()])
def test_walk_calls_the_same_methods_in_the_same_order(name, source, methods):
    module = cst.parse_module(source)
    expected: List[Tuple[str, int]] = []
    got: List[Tuple[str, int]] = []
    cst.visit_batched(module, [_recorder(methods, expected), _recorder(methods[::2], expected)])
    walker.walk(module, [_recorder(methods, got), _recorder(methods[::2], got)])
    assert got == expected
    assert len(got) > 10


def test_layout_classes_hold_only_layout():
    layout = walker.layout_classes()
    names = {c.__name__ for c in layout}
    assert {"SimpleWhitespace", "Comment", "Comma", "LeftParen", "Add"} <= names
    assert not names & {"Name", "Call", "Attribute", "Integer", "SimpleString", "Module"}


def test_method_names_match_libcst_get_visitors():
    for rule in all_rules().values():
        class Probe(rule):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:  # no context needed to list methods
                cst.BatchableCSTVisitor.__init__(self)

        probe = Probe()
        assert set(walker.method_names(Probe)) == set(cst.BatchableCSTVisitor.get_visitors(probe))


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.name)
def test_engine_findings_equal_with_libcst_walk(path, monkeypatch):
    source = path.read_text(encoding="utf-8")
    rules = list(all_rules().values())
    fast = lint_source(str(path), source, rules).diagnostics
    monkeypatch.setattr("nanlint.engine.walk", lambda module, visitors: cst.visit_batched(module, visitors))
    slow = lint_source(str(path), source, rules).diagnostics
    assert fast == slow


class _Pruning(cst.CSTVisitor):
    """Skips function bodies and records calls on leave, like the step collectors do."""

    def __init__(self) -> None:
        super().__init__()
        self.log: List[Tuple[str, int]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.log.append(("def", id(node)))
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(("name", id(node)))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.log.append(("call", id(original_node)))


class _CallsOnly(_Pruning):
    """No hook for names: `walker.visit` does not enter them, libcst does (and nothing differs)."""

    visit_Name = None  # type: ignore[assignment]


def test_few_hooks_leave_names_unentered():
    assert walker._inert(walker._hooked(FEW)) >= {cst.Name, cst.Integer, cst.SimpleString}
    assert cst.Name not in walker._inert(frozenset({"Name", "Call"}))
    assert cst.Name not in walker._inert(frozenset({"Call", "LeftParen"}))  # layout looked at: a name's parentheses
    assert cst.Name in walker._inert(walker._hooked(walker.method_names(_CallsOnly)))
    assert cst.Name not in walker._inert(walker._hooked(walker.method_names(_Pruning)))


@pytest.mark.parametrize("name,source", _sources(), ids=[name for name, _ in _sources()])
def test_children_nodes_and_visit_match_libcst(name, source):
    module = cst.parse_module(source)
    everything: List[cst.CSTNode] = []
    module.visit(type("All", (cst.CSTVisitor,), {"on_visit": lambda self, node: everything.append(node) or True})())
    assert [id(n) for n in walker.nodes(module, layout=True)] == [id(n) for n in everything]
    layout = walker.layout_classes()
    pruned = {id(n) for n in walker.nodes(module)}
    # every node that is not layout is kept, in order; only nodes under layout are left out
    assert [id(n) for n in walker.nodes(module)] == [id(n) for n in everything if id(n) in pruned]
    assert all(id(n) in pruned or _under_layout(n, module, layout) for n in everything)
    assert all(id(n) in pruned for n in everything if not _under_layout(n, module, layout))
    assert len(pruned) < len(everything)
    for node in everything:
        assert [id(c) for c in walker.children(node)] == [id(c) for c in node.children]
    for top in (module, *module.body):
        for collector in (_Pruning, _CallsOnly):
            expected, got = collector(), collector()
            top.visit(expected)
            walker.visit(top, got)
            assert got.log == expected.log


def _under_layout(node: cst.CSTNode, module: cst.Module, layout) -> bool:
    parents = _parents(module)
    while node is not None:
        if type(node) in layout:
            return True
        node = parents.get(id(node))
    return False


_PARENTS: dict = {}


def _parents(module: cst.Module) -> dict:
    if id(module) not in _PARENTS:
        table = {}
        stack = [module]
        while stack:
            current = stack.pop()
            for child in current.children:
                table[id(child)] = current
                stack.append(child)
        _PARENTS.clear()
        _PARENTS[id(module)] = table
    return _PARENTS[id(module)]


@pytest.mark.parametrize("name,source", _sources(), ids=[name for name, _ in _sources()])
def test_positions_match_libcst_position_provider(name, source):
    from libcst.metadata import MetadataWrapper, PositionProvider

    from nanlint.positions import Positions

    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    got = Positions(module)
    every = list(walker.nodes(module, layout=True))
    assert len(every) > 20
    for node in every:
        assert got[node] == expected[node]
    assert got.get(cst.Name("elsewhere")) is None


def test_stored_tables_match_libcst_source():
    """`_libcst_tables.py` saves every process reading libcst's source; it must say what that source says."""
    from libcst._version import __version__ as installed

    from nanlint import _libcst_tables

    if _libcst_tables.LIBCST_VERSION != installed:
        assert walker._stored_tables() is None  # another libcst: the tables are read from its source
        pytest.skip(f"tables made for libcst {_libcst_tables.LIBCST_VERSION}, {installed} installed")
    stored_file = Path(_libcst_tables.__file__).read_text(encoding="utf-8")
    assert stored_file == walker.stored_tables_source(), "run `python -m nanlint.walker` to regenerate"
    assert walker._stored_tables() is _libcst_tables


def test_a_checked_tree_is_freed_by_reference_counting():
    """Nothing may keep the tree in a reference cycle after a file is checked: the runner pauses
    the cyclic collector during a file, so a tree in a cycle would survive until the collector
    ran, which would then have to traverse all of it (this cost several percent of a run)."""
    import gc

    source = ("import torch\n"
              "def train(model, x, params):\n"
              "    opt = torch.optim.SGD(params, lr=10.0)\n"
              "    y = torch.log(torch.softmax(x, -1))\n"
              "    return y / y.std()\n")
    rules = [rule for rule in all_rules().values() if rule.default_enabled]
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        result = lint_source("example.py", source, rules)
        assert len(result.diagnostics) >= 2  # reports were made (and rules refer to them)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage if isinstance(o, cst.CSTNode)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert left == []
