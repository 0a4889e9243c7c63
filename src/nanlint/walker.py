"""A batched walk over a libcst tree that costs a fraction of `libcst.visit_batched`.

`libcst.visit_batched` walks the tree through `_visit_and_replace_children`, which
builds (and validates) a new copy of every node it passes, even for a read-only
visitor, and formats a method name for every node and every field it enters. On
real files that walk costs as much as the parse itself. This walk calls the same
`visit_*`/`leave_*` (and `visit_<Node>_<field>`/`leave_<Node>_<field>`) methods,
on the same original nodes, in the same order, but only reads fields:

* the order of each node type's child fields is read once from libcst's own
  `_visit_and_replace_children` (the field name is the second argument of its
  `visit_required`/`visit_sequence`/... helpers), so it follows libcst exactly;
* fields that can only hold whitespace, comments, operators and brackets are not
  entered when no visitor has a method for such nodes (the field types come from
  libcst's annotations);
* a node that no visitor has a method for and that has nothing else to enter (a
  name, a number, a string) is not entered either;
* dispatch is a per-node-type table built once per walk.

A node type whose child order cannot be read falls back to `node.children`.
`tests/test_walker.py` checks the walk against `libcst.visit_batched` event for event.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import typing
from types import FunctionType
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Type

import libcst as cst
from libcst import CSTNode, MaybeSentinel

VisitorMethod = Callable[[CSTNode], None]

# How libcst's helpers enter a field: one node (maybe absent) or a sequence of nodes.
_ONE, _MANY, _EITHER = 0, 1, 2
_HELPERS = {
    "visit_required": _ONE,
    "visit_optional": _ONE,
    "visit_sentinel": _ONE,
    "visit_sequence": _MANY,
    "visit_iterable": _MANY,
    "visit_body_sequence": _MANY,
    "visit_body_iterable": _MANY,
}
# Nodes that hold only layout: whitespace, comments, operators, brackets and commas.
_LAYOUT_MODULES = ("libcst._nodes.whitespace", "libcst._nodes.op")
_LAYOUT_EXTRA = ("LeftParen", "RightParen", "LeftSquareBracket", "RightSquareBracket", "LeftCurlyBrace",
                 "RightCurlyBrace")

# (field name, kind, enter the attribute hooks even when the field is absent)
Field = Tuple[str, int, bool]


class _Unreadable(Exception):
    pass


def _node_classes() -> List[Type[CSTNode]]:
    seen: set = set()
    stack: List[type] = [CSTNode]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return sorted(seen, key=lambda c: (c.__module__, c.__qualname__))


# --- what to enter, per node class: read from libcst once, stored in `_libcst_tables` ------
#
# Reading libcst's source for the node classes costs about 0.35 s per process (the
# `inspect`/`ast` work below), which would be most of a pre-commit run and be paid
# again by every worker. `_libcst_tables.py` stores the result for one libcst version
# (`python -m nanlint.walker` regenerates it, and a test checks it against the source);
# with any other version the tables are read from libcst's source as before.


def _class_key(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@functools.lru_cache(maxsize=1)
def _stored_tables():  # -> Optional[module]
    """`nanlint._libcst_tables` if it was made for the libcst installed here, else None."""
    try:
        from libcst._version import __version__ as installed

        from nanlint import _libcst_tables as stored
    except ImportError:
        return None
    return stored if stored.LIBCST_VERSION == installed else None


_NOT_STORED = object()


@functools.lru_cache(maxsize=None)
def _field_order(cls: Type[CSTNode]) -> Optional[Tuple[Field, ...]]:
    """The child fields of `cls` in the order libcst visits them, or None if unreadable."""
    stored = _stored_tables()
    if stored is not None:
        found = stored.FIELD_ORDER.get(_class_key(cls), _NOT_STORED)
        if found is not _NOT_STORED:
            return found
    return _read_field_order(cls)


@functools.lru_cache(maxsize=None)
def _read_field_order(cls: Type[CSTNode]) -> Optional[Tuple[Field, ...]]:
    """`_field_order` read from the source of libcst's `_visit_and_replace_children`."""
    for klass in cls.__mro__:
        method = klass.__dict__.get("_visit_and_replace_children")
        if method is not None:
            break
    else:
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    except (OSError, TypeError, SyntaxError):
        return None
    found: List[Field] = []
    seen: Dict[str, int] = {}

    class Collector(ast.NodeVisitor):
        conditional = 0

        def visit_IfExp(self, node: ast.IfExp) -> None:
            self.conditional += 1
            self.generic_visit(node)
            self.conditional -= 1

        def visit_Call(self, node: ast.Call) -> None:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in _HELPERS:
                if len(node.args) < 2 or not isinstance(node.args[1], ast.Constant):
                    raise _Unreadable(name)
                field = node.args[1].value
                if field in seen:  # the same field through two helpers (ImportFrom.names)
                    index = seen[field]
                    found[index] = (field, _EITHER, found[index][2])
                else:
                    seen[field] = len(found)
                    found.append((field, _HELPERS[name], not self.conditional))
            elif name.startswith("visit") or name in ("_visit_and_replace_children", "children"):
                raise _Unreadable(name)  # some other way of entering children: do not guess
            self.generic_visit(node)

    try:
        Collector().visit(tree)
    except _Unreadable:
        return None
    return tuple(found)


def _concrete(tp: object) -> Iterable[type]:
    """The node classes a field annotation admits (None for a non-node part)."""
    origin = typing.get_origin(tp)
    if origin is not None:
        for arg in typing.get_args(tp):
            yield from _concrete(arg)
        return
    if isinstance(tp, type) and issubclass(tp, CSTNode):
        yield tp
        for sub in _subclasses(tp):
            yield sub


@functools.lru_cache(maxsize=None)
def _subclasses(cls: type) -> Tuple[type, ...]:
    out: List[type] = []
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            out.append(sub)
            stack.append(sub)
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _field_types(cls: type) -> Mapping[str, FrozenSet[type]]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - an unreadable annotation only disables pruning
        return {}
    return {name: frozenset(_concrete(tp)) for name, tp in hints.items()}


@functools.lru_cache(maxsize=1)
def layout_classes() -> FrozenSet[type]:
    """Node classes whose whole subtree is layout: no names, no expressions, no statements."""
    candidates = {c for c in _node_classes()
                  if c.__module__ in _LAYOUT_MODULES or (c.__module__.startswith("libcst._nodes.") and c.__name__ in _LAYOUT_EXTRA)}
    changed = True
    while changed:  # keep only classes whose fields hold nothing but other layout classes
        changed = False
        for cls in list(candidates):
            order = _read_field_order(cls) if not inspect.isabstract(cls) else ()
            types = _field_types(cls)
            if order is None or any(name not in types or not types[name] <= candidates for name, _, _ in order or ()):
                candidates.discard(cls)
                changed = True
    return frozenset(candidates)


@functools.lru_cache(maxsize=None)
def child_fields(cls: Type[CSTNode], prune_layout: bool) -> Optional[Tuple[Field, ...]]:
    """The fields to enter for `cls`; layout-only fields are left out when `prune_layout`."""
    order = _field_order(cls)
    if order is None or not prune_layout:
        return order
    stored = _stored_tables()
    if stored is not None:
        found = stored.PRUNED_FIELDS.get(_class_key(cls), _NOT_STORED)
        if found is not _NOT_STORED:
            return found
    return _pruned_fields(cls, order)


def _pruned_fields(cls: Type[CSTNode], order: Tuple[Field, ...]) -> Tuple[Field, ...]:
    layout = layout_classes()
    types = _field_types(cls)
    return tuple(f for f in order if not (f[0] in types and types[f[0]] <= layout))


def visitor_methods(visitors: Iterable[cst.BatchableCSTVisitor]) -> Dict[str, List[VisitorMethod]]:
    methods: Dict[str, List[VisitorMethod]] = {}
    for visitor in visitors:
        if type(visitor).get_visitors is cst.BatchableCSTVisitor.get_visitors:
            found = {name: getattr(visitor, name) for name in method_names(type(visitor))}
        else:
            found = visitor.get_visitors()
        for name, method in found.items():
            methods.setdefault(name, []).append(method)
    return methods


@functools.lru_cache(maxsize=None)
def method_names(cls: type) -> Tuple[str, ...]:
    """The `visit_*`/`leave_*` methods a visitor class defines (libcst's empty stubs excluded).

    The same selection as `BatchableCSTVisitor.get_visitors`, computed once per class
    instead of with `inspect.getmembers` for every instance.
    """
    names = set()
    mro = cls.__mro__
    for index, klass in enumerate(mro):
        for name, value in _own_hooks(klass):
            # `getattr(cls, name)` finds the first class in the MRO that defines the name.
            if name in names or any(name in vars(earlier) for earlier in mro[:index]):
                continue
            attr = value if isinstance(value, FunctionType) else getattr(cls, name, None)
            if callable(attr) and not getattr(attr, "_is_no_op", False):
                names.add(name)
    return tuple(sorted(names))


@functools.lru_cache(maxsize=None)
def _own_hooks(klass: type) -> Tuple[Tuple[str, object], ...]:
    """The `visit_*`/`leave_*` attributes `klass` itself defines, without libcst's ~900 empty
    stubs (plain functions marked as no-ops), which can never be selected: computed once per
    class, not once per visitor class that inherits them."""
    return tuple((name, value) for name, value in vars(klass).items()
                 if (name.startswith("visit_") or name.startswith("leave_"))
                 and not (isinstance(value, FunctionType) and getattr(value, "_is_no_op", False)))


def walk(node: CSTNode, visitors: Sequence[cst.BatchableCSTVisitor]) -> None:
    """`libcst.visit_batched(node, visitors)` without rebuilding the tree."""
    _walk_methods(node, visitor_methods(visitors))


@functools.lru_cache(maxsize=1)
def _layout_names() -> FrozenSet[str]:
    stored = _stored_tables()
    if stored is not None:
        return stored.LAYOUT_NAMES
    return frozenset(cls.__name__ for cls in layout_classes())


def _hooked(names: Iterable[str]) -> FrozenSet[str]:
    """The node classes that `visit_<Node>`/`leave_<Node>` (and `_<field>`) methods hook."""
    return frozenset(name.split("_", 2)[1] for name in names)


def _prunes(hooked: FrozenSet[str]) -> bool:
    """Whether a walk with hooks on these classes leaves out layout-only fields (none is layout)."""
    return hooked.isdisjoint(_layout_names())


@functools.lru_cache(maxsize=64)
def _inert(hooked: FrozenSet[str]) -> FrozenSet[type]:
    """Node classes a walk with hooks on `hooked` need not enter at all: not hooked, and with
    no field to enter (once layout is left out, a name, a number or a string has none).
    A third of the nodes a walk meets are names, and no rule hooks them."""
    prune = _prunes(hooked)
    return frozenset(cls for cls in _node_classes() if cls.__name__ not in hooked and child_fields(cls, prune) == ())


def _walk_methods(root: CSTNode, methods: Mapping[str, List[VisitorMethod]]) -> None:
    every = _hooked(methods)
    prune = _prunes(every)
    inert = _inert(every)
    # visit_<Node>_<field>: node class names have no underscore, so a second one marks a field hook
    hooked = {name.split("_", 2)[1] for name in methods if name.count("_") >= 2}
    table: Dict[type, tuple] = {}
    empty: Tuple[VisitorMethod, ...] = ()

    def entry(cls: type) -> tuple:
        name = cls.__name__
        fields = child_fields(cls, prune and name not in hooked)
        if fields is not None and name in hooked:
            fields = tuple(
                (f, kind, present, tuple(methods.get(f"visit_{name}_{f}", empty)), tuple(methods.get(f"leave_{name}_{f}", empty)))
                for f, kind, present in fields
            )
        elif fields is not None:
            fields = tuple((f, kind, present, None, None) for f, kind, present in fields)
        found = (tuple(methods.get(f"visit_{name}", empty)), tuple(methods.get(f"leave_{name}", empty)), fields)
        table[cls] = found
        return found

    def visit(node: CSTNode) -> None:
        found = table.get(node.__class__)
        if found is None:
            found = entry(node.__class__)
        visits, leaves, fields = found
        for method in visits:
            method(node)
        if fields is None:
            for child in node.children:
                visit(child)
        else:
            for name, kind, present, before, after in fields:
                child = getattr(node, name)
                if before is None:
                    if kind == _MANY and child is not None:
                        for item in child:
                            if item.__class__ not in inert:
                                visit(item)
                    elif kind == _ONE:
                        if child is not None and child.__class__ is not MaybeSentinel and child.__class__ not in inert:
                            visit(child)
                    elif child is None or child.__class__ is MaybeSentinel:
                        pass
                    elif isinstance(child, (tuple, list)):  # a node or a sequence of them (ImportFrom.names)
                        for item in child:
                            if item.__class__ not in inert:
                                visit(item)
                    elif child.__class__ not in inert:
                        visit(child)
                    continue
                absent = child is None or child.__class__ is MaybeSentinel
                if absent and not present:
                    continue
                for method in before:
                    method(node)
                if absent:
                    pass
                elif isinstance(child, (tuple, list)):  # cheaper than isinstance(child, CSTNode), an ABC
                    for item in child:
                        visit(item)
                else:
                    visit(child)
                for method in after:
                    method(node)
        for method in leaves:
            method(node)

    try:
        visit(root)
    finally:
        # `visit` calls itself through its closure cell: a reference cycle that would keep the
        # visitors, and through them the whole tree, alive until the cyclic collector runs.
        del visit


# --- cheap stand-ins for `node.children` and `node.visit(visitor)` ----------------------


def children(node: CSTNode) -> List[CSTNode]:
    """`node.children` (same nodes, same order) without libcst's rebuilding visit."""
    fields = _field_order(node.__class__)
    if fields is None:
        return list(node.children)
    found: List[CSTNode] = []
    for name, kind, _ in fields:
        child = getattr(node, name)
        if child is None or child.__class__ is MaybeSentinel:
            continue
        if isinstance(child, (tuple, list)):  # cheaper than isinstance(child, CSTNode), an ABC
            found.extend(child)
        else:
            found.append(child)
    return found


def nodes(node: CSTNode, layout: bool = False) -> Iterator[CSTNode]:
    """`node` and every node below it, depth first in source order. Unless `layout`,
    fields that can hold only layout (whitespace, comments, operators, brackets) are
    not entered; every name, expression and statement is still reached."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        fields = child_fields(current.__class__, not layout)
        if fields is None:
            stack.extend(reversed(current.children))
            continue
        below: List[CSTNode] = []
        for name, kind, _ in fields:
            child = getattr(current, name)
            if child is None or child.__class__ is MaybeSentinel:
                continue
            if isinstance(child, (tuple, list)):
                below.extend(child)
            else:
                below.append(child)
        stack.extend(reversed(below))


@functools.lru_cache(maxsize=64)  # bounded: a class made per call must not be kept forever
def _visit_table(visitor_class: type) -> Dict[type, tuple]:
    """Per node class, what `visit` calls for a visitor of this class: (visit_ function or
    None, leave_ function or None, child fields). Filled as node classes are met, kept
    for every later `visit` with a visitor of this class (many are short: one expression)."""
    return {}


@functools.lru_cache(maxsize=64)
def _reproducible(cls: type) -> bool:
    """Whether `visit` makes the calls libcst would for a visitor of this class: a `CSTVisitor`
    with libcst's own dispatch and no attribute (`visit_<Node>_<field>`) hooks."""
    return (issubclass(cls, cst.CSTVisitor) and cls.on_visit is cst.CSTVisitor.on_visit
            and cls.on_leave is cst.CSTVisitor.on_leave
            and cls.on_visit_attribute is cst.CSTVisitor.on_visit_attribute
            and cls.on_leave_attribute is cst.CSTVisitor.on_leave_attribute
            and not any(name.count("_") >= 2 for name in method_names(cls)))


@functools.lru_cache(maxsize=64)
def _visit_inert(visitor_class: type) -> FrozenSet[type]:
    """`_inert` for a visitor of this class, kept from one `visit` to the next."""
    return _inert(_hooked(method_names(visitor_class)))


def _visit_entry(visitor_class: type, table: Dict[type, tuple], node_class: type) -> tuple:
    names = method_names(visitor_class)
    prune = _prunes(_hooked(names))
    name = node_class.__name__
    found = (_unbound(visitor_class, f"visit_{name}", names), _unbound(visitor_class, f"leave_{name}", names),
             child_fields(node_class, prune))
    table[node_class] = found
    return found


def _unbound(visitor_class: type, method: str, names: Tuple[str, ...]) -> Optional[Callable[[object, CSTNode], object]]:
    """The method as a function of (visitor, node), or None if the class has no such hook."""
    if method not in names:
        return None
    function = getattr(visitor_class, method)
    if isinstance(function, FunctionType):
        return function
    return lambda visitor, node: getattr(visitor, method)(node)  # a staticmethod, a callable object, ...


def visit(node: CSTNode, visitor: cst.CSTVisitor) -> None:
    """`node.visit(visitor)` for a read-only `CSTVisitor`: the same `visit_*` (a False
    result skips the children) and `leave_*` calls, without rebuilding the tree."""
    cls = type(visitor)
    if not _reproducible(cls):
        node.visit(visitor)  # hooks this walk does not reproduce: let libcst do it
        return
    table = _visit_table(cls)
    inert = _visit_inert(cls)

    def go(current: CSTNode) -> None:
        found = table.get(current.__class__)
        if found is None:
            found = _visit_entry(cls, table, current.__class__)
        before, after, fields = found
        if before is None or before(visitor, current) is not False:
            if fields is None:
                for child in current.children:
                    go(child)
            else:
                for name, kind, _ in fields:
                    child = getattr(current, name)
                    if child is None or child.__class__ is MaybeSentinel:
                        continue
                    if isinstance(child, (tuple, list)):
                        for item in child:
                            if item.__class__ not in inert:
                                go(item)
                    elif child.__class__ not in inert:
                        go(child)
        if after is not None:
            after(visitor, current)

    try:
        go(node)
    finally:
        del go  # break the closure's reference cycle (see `_walk_methods`)


# --- the stored tables -----------------------------------------------------------------


def stored_tables_source() -> str:
    """The text of `_libcst_tables.py` for the libcst installed here, read from its source."""
    from libcst._version import __version__ as installed

    classes = [c for c in _node_classes() if c.__module__.startswith("libcst.")]
    order = {_class_key(c): _read_field_order(c) for c in classes}
    pruned = {_class_key(c): _pruned_fields(c, fields) for c in classes
              if (fields := _read_field_order(c)) is not None}
    names = sorted(cls.__name__ for cls in layout_classes())
    lines = [
        '"""Generated by `python -m nanlint.walker` from libcst\'s source: do not edit.',
        "",
        "What `nanlint.walker` would otherwise read from libcst's source in every process:",
        "the child fields of each node class in libcst's visiting order, those fields",
        "without the layout-only ones, and the names of the layout-only classes.",
        '"""',
        "",
        f"LIBCST_VERSION = {installed!r}",
        "",
        "FIELD_ORDER = {",
        *(f"    {key!r}: {value!r}," for key, value in sorted(order.items())),
        "}",
        "",
        "PRUNED_FIELDS = {",
        *(f"    {key!r}: {value!r}," for key, value in sorted(pruned.items())),
        "}",
        "",
        "LAYOUT_NAMES = frozenset({",
        *(f"    {name!r}," for name in names),
        "})",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).with_name("_libcst_tables.py")
    target.write_text(stored_tables_source(), encoding="utf-8")
    print(f"wrote {target}")
