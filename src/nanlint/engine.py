"""Lint one source text: parse once, walk once with every rule, no I/O.

The walk needs no libcst metadata. Positions are computed only for files that
have findings, after the walk: most files have none, and position metadata is a
second full pass over the tree.

Hostile input gives a diagnostic, never a crash or a hang: code nested deeper than
libcst's native parser survives is refused before libcst sees it (judged from the
text, or from CPython's tree when the text cannot rule it out: `nesting`), syntax
errors are reported in CPython's words, libcst and the walk run on a thread with a
large stack, and a rule or the semantic model that raises becomes NAN999.
"""

from __future__ import annotations

import ast
import os
import queue
import sys
import threading
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple, Type

import libcst as cst
from libcst.metadata import CodeRange

from nanlint import noqa
from nanlint.diagnostics import INTERNAL_ERROR_CODE, UNREADABLE_CODE, Diagnostic, Fix, FixSafety
from nanlint.nesting import LINE_BREAKS, depth_bound, too_deeply_nested
from nanlint.parsing import parse_module
from nanlint.rule import CallDispatch, FileContext, NodeFix, Rule, RuleCrash
from nanlint.semantic.model import SemanticModel
from nanlint.positions import Positions
from nanlint.prefilter import rules_that_could_fire
from nanlint.walker import walk

# libcst and the semantic model recurse over the tree; deeply nested code needs room.
_RECURSION_LIMIT = 20000


@dataclass
class LintResult:
    diagnostics: List[Diagnostic]
    parsed: bool = False  # False when no rule could fire and the parse was skipped
    tracebacks: List[str] = field(default_factory=list)


def lint_source(
    path: str,
    source: str,
    rules: Sequence[Type[Rule]],
    options: Optional[Mapping[str, Mapping[str, Any]]] = None,
    apply_noqa: bool = True,
) -> LintResult:
    active = rules_that_could_fire(source, rules)
    if active and _shallow(source):
        # The text shows that no statement nests near the limit, so CPython's tree is not
        # needed: libcst parses first, and CPython is asked only if libcst fails (its syntax
        # errors are the ones users know).
        return _with_large_stack(_lint_with_libcst, path, source, active, options or {}, apply_noqa, _UNASKED)
    # CPython's parser first (~10x cheaper than libcst): its syntax errors, reported the same
    # whether or not a rule could fire, and its tree shows pathological nesting before libcst's
    # native parser sees it (which can take minutes or overflow the stack).
    tree, failure, retry = _python_parse(source, path)
    if failure is not None and not retry:
        return LintResult([failure])
    if tree is not None and not active:
        return LintResult([])
    if tree is not None:
        deep = too_deeply_nested(tree, source, _MAX_NESTING)
        if deep is not None:
            message = f"code nested more than {_MAX_NESTING} levels deep, file not checked"
            return LintResult([Diagnostic(path, deep[0], 1, UNREADABLE_CODE, message)])
    # Without a tree (syntax newer than this Python's?) libcst decides, and `failure` stands if it fails too.
    return _with_large_stack(_lint_with_libcst, path, source, active, options or {}, apply_noqa, failure)


def _lint_with_libcst(path: str, source: str, active: Sequence[Type[Rule]], options: Mapping[str, Mapping[str, Any]],
                      apply_noqa: bool, python_failure: Any) -> LintResult:
    """`python_failure`: CPython's NAN000 for this file, None if CPython parses it, or
    _UNASKED if CPython has not been asked."""
    if sys.getrecursionlimit() < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        module = parse_module(source)
    except Exception as error:  # noqa: BLE001 - libcst also fails on some valid code, e.g. TypeError on `if(lambda: x):`
        if python_failure is _UNASKED:
            python_failure = _python_parse(source, path)[1]
        return LintResult([python_failure or _libcst_failure(path, source, error)])
    if not active:
        return LintResult([])

    context = FileContext(path, source, SemanticModel(), options)
    instances = []
    for rule in active:
        try:
            instances.append(rule(context))
        except Exception as error:  # noqa: BLE001 - a broken (plugin) rule must not stop the file
            context.crashes.append(RuleCrash(_Unstarted(rule), module, error, traceback.format_exc()))
    walk_crash: Optional[str] = None
    try:
        dispatch = CallDispatch(context.semantic, instances)
        walk(module, [context.semantic, *context.analyses.values(), *([dispatch] if dispatch.waiting else []), *instances])
    except RecursionError:
        return LintResult([Diagnostic(path, 1, 1, UNREADABLE_CODE, "file is nested too deeply to analyse")], parsed=True)
    except Exception as error:  # noqa: BLE001 - a bug in the semantic model: report it, go on with other files
        walk_crash = f"{type(error).__name__}: {_one_line(str(error))}"
        context.crashes.append(RuleCrash(_SEMANTIC_MODEL, module, error, traceback.format_exc()))

    diagnostics: List[Diagnostic] = []
    tracebacks: List[str] = []
    if context.reports or context.crashes:
        positions = Positions(module)  # same ranges as libcst's PositionProvider, much cheaper
        for report in context.reports:
            try:
                diagnostics.append(_diagnostic(path, report.rule, report.node, report.message, report.fix, positions, module))
            except Exception as error:  # noqa: BLE001 - e.g. a rule reported a node that is not in this file
                context.crashes.append(RuleCrash(report.rule, report.node, error, traceback.format_exc()))
        for crash in context.crashes:
            where = positions.get(crash.node)
            line, col = (where.start.line, where.start.column + 1) if where else (1, 1)
            message = (
                f"internal error in {_crash_owner(crash.rule)}: "
                f"{type(crash.error).__name__}: {_one_line(str(crash.error))}; please report this bug"
            )
            if walk_crash is not None and crash.rule is _SEMANTIC_MODEL:
                message += " (this file was checked only in part)"
            diagnostics.append(Diagnostic(path, line, col, INTERNAL_ERROR_CODE, message))
            tracebacks.append(f"{path}: {crash.rule.code}\n{crash.traceback}")
        # A report refers to its rule, which refers to the context that lists the report: a cycle
        # that would keep the whole tree alive until the cyclic collector runs. Break it.
        context.reports.clear()
        context.crashes.clear()
    diagnostics = _without_covered(diagnostics, active)
    if apply_noqa and diagnostics:
        suppressions = noqa.parse(source)
        diagnostics = [d for d in diagnostics if d.code == INTERNAL_ERROR_CODE or not suppressions.suppresses(d.line, d.code)]
    diagnostics.sort(key=Diagnostic.sort_key)
    return LintResult(diagnostics, parsed=True, tracebacks=tracebacks)


def _libcst_failure(path: str, source: str, error: Exception) -> Diagnostic:
    """The NAN000 for a file libcst cannot parse and CPython can."""
    if isinstance(error, cst.ParserSyntaxError):
        message = f"libcst cannot parse this file (Python can), file not checked: {_one_line(error.message)}"
        line, col = _inside(source, error.raw_line, error.raw_column + 1)
        return Diagnostic(path, line, col, UNREADABLE_CODE, message)
    if isinstance(error, (RecursionError, MemoryError, ValueError)):
        return Diagnostic(path, 1, 1, UNREADABLE_CODE, _unparsable(error))
    detail = f"{type(error).__name__}: {_one_line(str(error))}"
    return Diagnostic(path, 1, 1, UNREADABLE_CODE, f"libcst cannot parse this file (Python can), file not checked: {detail}")


def _without_covered(diagnostics: List[Diagnostic], active: Sequence[Type[Rule]]) -> List[Diagnostic]:
    """Drop a finding that lies inside another rule's finding which `covers` its code: one
    finding per problem (a hand-written cross entropy, not also each `log` in it). Done before
    noqa, so that silencing the covering finding does not bring the covered ones back."""
    covering = {rule.code: set(rule.covers) for rule in active if rule.covers}
    if not covering or len(diagnostics) < 2:
        return diagnostics
    covers = [d for d in diagnostics if d.code in covering and d.end_line is not None]

    def covered(finding: Diagnostic) -> bool:
        return finding.end_line is not None and any(
            finding.code in covering[cover.code]
            and (cover.line, cover.col) <= (finding.line, finding.col)
            and (finding.end_line, finding.end_col) <= (cover.end_line, cover.end_col)
            for cover in covers)

    return [d for d in diagnostics if not covered(d)]


def _syntax_check(path: str, source: str) -> List[Diagnostic]:
    """NAN000 for a file CPython cannot parse (nothing if it can)."""
    _, failure, _ = _python_parse(source, path)
    return [failure] if failure is not None else []


def _diagnostic(path: str, rule: Rule, node: cst.CSTNode, message: str, fix: Optional[NodeFix],
                positions: Mapping[cst.CSTNode, CodeRange], module: cst.Module) -> Diagnostic:
    where = positions[node]
    return Diagnostic(
        path=path,
        line=where.start.line,
        col=where.start.column + 1,
        code=rule.code,
        message=message,
        end_line=where.end.line,
        end_col=where.end.column + 1,
        fix_title=rule.fix_title,
        fix=_fix(fix, positions, module, rule) if fix is not None else None,
    )


def _fix(fix: NodeFix, positions: Mapping[cst.CSTNode, CodeRange], module: cst.Module, rule: Rule) -> Optional[Fix]:
    where = positions.get(fix.node)
    if where is None:
        return None
    replacement = fix.replacement if isinstance(fix.replacement, str) else module.code_for_node(fix.replacement)
    return Fix(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1, replacement,
               rule.fix_safety or FixSafety.UNSAFE)


# --- robustness: hostile input must give a diagnostic, never a crash or a hang -------------

# Deeper than this, libcst's native parser slows down sharply (seconds at a few hundred
# levels of `a.b.c...`, `x[0][0]...` or `1 + 1 + ...`, minutes at a few thousand) and
# eventually overflows the stack; real code stays below ~30 (the pinned corpus: 21).
_MAX_NESTING = 500
_UNASKED = object()  # CPython's parser has not been asked about this file
# The native parser and the walk recurse on the C stack; run them on a thread with room.
_STACK_BYTES = 256 * 1024 * 1024
_STACK_LOCK = threading.Lock()
# CPython reports these for nesting it refuses; libcst would try, and may crash trying.
_NESTING_ERRORS = ("too many nested", "too many levels", "too many statically nested", "too complex")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _unparsable(error: BaseException) -> str:
    detail = _one_line(str(error))
    return f"file could not be parsed ({type(error).__name__}{': ' + detail if detail else ''}), file not checked"


def _inside(source: str, line: Optional[int], col: Optional[int]) -> "tuple[int, int]":
    """A (line, col) that exists in `source` (1-based; lines end at \\n, \\r\\n or \\r, as libcst counts)."""
    lines = LINE_BREAKS.split(source)
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()  # the empty "line" after a final newline
    line = min(max(line or 1, 1), max(len(lines), 1))
    text = lines[line - 1] if lines else ""
    return line, min(max(col or 1, 1), len(text) + 1)


def _shallow(source: str) -> bool:
    """No statement of `source` can nest more than _MAX_NESTING levels (judged from the text)."""
    bound = depth_bound(source, _MAX_NESTING)
    return bound is not None and bound <= _MAX_NESTING


def _python_parse(source: str, path: str = "") -> "tuple[Optional[ast.Module], Optional[Diagnostic], bool]":
    """(CPython's tree, None, False), or (None, the NAN000 for why there is none, whether libcst
    should still try: the file may use syntax newer than the running Python)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. are not ours to report
            return ast.parse(source), None, False
    except SyntaxError as error:
        message = _one_line(error.msg or "invalid syntax")
        if error.lineno is None:  # e.g. NUL bytes: not a position in the file
            return None, Diagnostic(path, 1, 1, UNREADABLE_CODE, f"syntax error, file not checked: {message}"), False
        line, col = _inside(source, error.lineno, error.offset)
        diagnostic = Diagnostic(path, line, col, UNREADABLE_CODE, f"syntax error, file not checked: {message}")
        return None, diagnostic, not any(marker in message for marker in _NESTING_ERRORS)
    except (RecursionError, MemoryError, ValueError) as error:  # nesting beyond CPython's limits, surrogates
        return None, Diagnostic(path, 1, 1, UNREADABLE_CODE, _unparsable(error)), False


def _with_large_stack(function: Callable[..., LintResult], *args: Any) -> LintResult:
    """`function(*args)` on a thread with a 256 MB stack (reserved, not used, unless needed).

    libcst's native parser recurses on the C stack: on the main thread's 8 MB, a deeply
    nested expression is a segmentation fault that kills the whole run, not an exception.
    One such thread per process serves every file (a thread per file costs a little each,
    and touches fresh stack pages each time).
    """
    return _LARGE_STACK.run(function, *args)


class _LargeStackThread:
    """One long-lived thread with a large stack that runs the calls it is given, one at a time."""

    def __init__(self) -> None:
        self._reset()
        if hasattr(os, "register_at_fork"):
            # A forked child (a worker) inherits this object but not the thread, nor a usable lock.
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()
        self._tasks: "queue.SimpleQueue[Tuple[Callable[..., Any], tuple, queue.SimpleQueue]]" = queue.SimpleQueue()

    def run(self, function: Callable[..., LintResult], *args: Any) -> LintResult:
        if threading.current_thread() is self._thread:  # already on the large stack
            return function(*args)
        with self._lock:
            if not self._started():
                return function(*args)  # no threads, or no such stack, here: run inline
            answer: "queue.SimpleQueue[Tuple[bool, Any]]" = queue.SimpleQueue()
            self._tasks.put((function, args, answer))
            succeeded, value = answer.get()
        if not succeeded:
            raise value
        return value

    def _started(self) -> bool:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return True
        self._tasks = queue.SimpleQueue()
        try:
            with _STACK_LOCK:
                previous = threading.stack_size(_STACK_BYTES)
                try:
                    thread = threading.Thread(target=self._serve, args=(self._tasks,), name="nanlint-lint", daemon=True)
                    thread.start()
                finally:
                    threading.stack_size(previous)
        except (ValueError, RuntimeError, MemoryError):
            return False
        self._thread, self._pid = thread, os.getpid()
        return True

    @staticmethod
    def _serve(tasks: "queue.SimpleQueue") -> None:
        while True:
            function, args, answer = tasks.get()
            try:
                outcome = (True, function(*args))
            except BaseException as error:  # noqa: BLE001 - re-raised in the calling thread
                outcome = (False, error)
            answer.put(outcome)
            del function, args, answer, outcome  # free the file's tree before waiting for the next


_LARGE_STACK = _LargeStackThread()


class _Unstarted:
    """Stands for a rule whose constructor raised, in a RuleCrash."""

    def __init__(self, rule: Type[Rule]) -> None:
        self.code, self.name = rule.code, rule.name


class _SemanticModelOwner:
    code, name = "semantic-model", "semantic model"


_SEMANTIC_MODEL = _SemanticModelOwner()


def _crash_owner(owner: Any) -> str:
    if owner is _SEMANTIC_MODEL:
        return "the semantic model"
    return f"rule {owner.code} ({owner.name})"
