"""The base class every rule derives from.

A rule is one small class: a code, a name, a message, a docstring with its
rationale, VALID/INVALID examples, and `visit_*` methods that read the file's
libcst tree with the help of the shared semantic model (`self.semantic`).
Rules keep no global state: every file gets fresh instances.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union

import libcst as cst

from nanlint.diagnostics import FixSafety
from nanlint.semantic import calls
from nanlint.semantic.model import SemanticModel


_Analysis = TypeVar("_Analysis", bound=cst.BatchableCSTVisitor)


@dataclass(frozen=True)
class Valid:
    """An example that must produce no finding for the rule."""

    code: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """An example that must produce exactly one finding, at `line`:`col` (1-based)."""

    code: str
    line: int
    col: int
    fixed: Optional[str] = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeFix:
    """Replace `node` with `replacement` (a node or source text)."""

    node: cst.CSTNode
    replacement: Union[cst.CSTNode, str]


@dataclass(frozen=True)
class Report:
    rule: "Rule"
    node: cst.CSTNode
    message: str
    fix: Optional[NodeFix] = None


@dataclass(frozen=True)
class RuleCrash:
    rule: "Rule"
    node: cst.CSTNode
    error: BaseException
    traceback: str


@dataclass
class FileContext:
    """What a rule may know about the file it checks."""

    path: str
    source: str
    semantic: SemanticModel
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    reports: List[Report] = field(default_factory=list)
    crashes: List[RuleCrash] = field(default_factory=list)
    # Analyses that several rules read (e.g. the dtype tracking of NAN501-NAN503), one per file.
    analyses: Dict[type, cst.BatchableCSTVisitor] = field(default_factory=dict)

    def analysis(self, kind: Type[_Analysis]) -> _Analysis:
        """The file's one `kind(semantic)`, built on the first request. The walk feeds it every
        node right after the semantic model and before any rule, so each rule that asks for it
        reads the same facts, computed once."""
        found = self.analyses.get(kind)
        if found is None:
            found = self.analyses[kind] = kind(self.semantic)
        return found  # type: ignore[return-value]


class Rule(cst.BatchableCSTVisitor):
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    message: ClassVar[str] = ""
    fix_title: ClassVar[Optional[str]] = None
    fix_safety: ClassVar[Optional[FixSafety]] = None
    # Rules too noisy or too opinionated for everyone are enabled only when selected explicitly.
    default_enabled: ClassVar[bool] = True
    # Substrings a file must contain for the rule to possibly fire (any one of them).
    # The engine skips parsing a file when no enabled rule's trigger is present.
    # None means "always run". The list must be exact: a file that could produce a
    # finding must contain one of these.
    triggers: ClassVar[Optional[Tuple[str, ...]]] = None
    # Codes of findings that say the same as this rule's finding when they lie inside the
    # expression it reports (its fix replaces that expression): those are not reported.
    covers: ClassVar[Tuple[str, ...]] = ()
    # Configurable thresholds: option name -> default value.
    default_options: ClassVar[Mapping[str, Any]] = {}
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        self.semantic = context.semantic
        merged = dict(self.default_options)
        merged.update(context.options.get(self.code, {}))
        merged.update(context.options.get(self.name, {}))
        self.options: Mapping[str, Any] = merged
        self._crashed = False

    # --- reporting -----------------------------------------------------------

    def report(self, node: cst.CSTNode, message: Optional[str] = None, fix: Optional[NodeFix] = None) -> None:
        self.context.reports.append(Report(self, node, message or self.message, fix))

    # --- helpers shared by rules ---------------------------------------------

    # Exact class tests, not isinstance: these run on every node, and libcst's node classes are
    # ABCs, slow to test a non-matching node against.
    def operation(self, node: cst.CSTNode) -> Optional[str]:
        return self.semantic.operation(node) if type(node) is cst.Call else None

    def is_call_to(self, node: cst.CSTNode, *operations: str) -> bool:
        return self.operation(node) in operations

    def qualified_name(self, node: cst.CSTNode) -> Optional[str]:
        if type(node) is cst.Call:
            node = node.func  # type: ignore[attr-defined]
        return self.semantic.qualified_name(node)  # None for anything but a name or an attribute

    @staticmethod
    def arg(call: cst.Call, keywords: Sequence[str] = (), position: Optional[int] = None) -> Optional[cst.BaseExpression]:
        return calls.argument_value(call, keywords, position)

    @classmethod
    def could_fire(cls, source: str) -> bool:
        return cls.triggers is None or any(trigger in source for trigger in cls.triggers)

    # --- isolation: a rule that raises is reported, the walk goes on ----------

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        # The same methods as `super().get_visitors()`, whose `inspect.getmembers` per instance
        # costs milliseconds per file; the names are looked up once per class. A `visit_Call`
        # marked `for_operations` is left out: the file's `CallDispatch` calls it.
        from nanlint.walker import method_names

        dispatched = call_operations(type(self)) is not None
        return {name: self._guarded(getattr(self, name)) for name in method_names(type(self))
                if not (dispatched and name == "visit_Call")}

    def _guarded(self, method: Callable[[cst.CSTNode], None]) -> Callable[[cst.CSTNode], None]:
        def guarded(node: cst.CSTNode) -> None:  # made for every method of every rule, per file: kept bare
            if self._crashed:
                return
            try:
                method(node)
            except Exception as error:  # noqa: BLE001 - any bug in a rule must not stop the file
                self._crashed = True
                self.context.crashes.append(RuleCrash(self, node, error, traceback.format_exc()))

        return guarded

    @classmethod
    def summary(cls) -> str:
        """The first paragraph of "What it does", for tables."""
        doc = cls.__doc__ or ""
        section = doc.split("## What it does", 1)[-1].split("##", 1)[0]
        text = " ".join(section.split())
        return text.split(". ")[0].rstrip(".") if text else cls.message


# --- calls handed to the rules that look at them ----------------------------------------


def for_operations(*operations: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a rule's `visit_Call` that looks only at calls of these operations (the canonical
    names of `names.py`: "log", "sqrt", ...) and returns at once on any other call.

    The walk then asks the semantic model for each call's operation once and calls only the
    rules that wait for it, instead of calling every rule's `visit_Call` on every call for
    each to ask and return (a file has thousands of calls and a dozen such rules). The
    method is called exactly where it would have been, on the same calls that pass its test."""
    def mark(method: Callable[..., None]) -> Callable[..., None]:
        method.operations = frozenset(operations)  # type: ignore[attr-defined]
        return method

    return mark


def call_operations(rule: type) -> Optional[FrozenSet[str]]:
    """The operations a rule's `visit_Call` is marked for (`for_operations`), None if it is not."""
    method = getattr(rule, "visit_Call", None)
    found = getattr(method, "operations", None)
    return found if isinstance(found, frozenset) else None


class CallDispatch(cst.BatchableCSTVisitor):
    """One `visit_Call` for the rules of a file whose `visit_Call` is `for_operations`."""

    def __init__(self, semantic: SemanticModel, rules: Sequence[Rule]) -> None:
        super().__init__()
        self.semantic = semantic
        self.waiting: Dict[str, List[Callable[[cst.CSTNode], None]]] = {}
        for rule in rules:
            for operation in sorted(call_operations(type(rule)) or ()):
                self.waiting.setdefault(operation, []).append(rule._guarded(rule.visit_Call))

    def visit_Call(self, node: cst.Call) -> None:
        for method in self.waiting.get(self.semantic.operation(node), ()):  # type: ignore[arg-type]
            method(node)
