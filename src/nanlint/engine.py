"""Lint one source text: parse once, walk once with every rule, no I/O.

The walk needs no libcst metadata. Positions are computed only for files that
have findings, after the walk: most files have none, and position metadata is a
second full pass over the tree.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence, Type

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from nanlint import noqa
from nanlint.diagnostics import INTERNAL_ERROR_CODE, UNREADABLE_CODE, Diagnostic, Fix, FixSafety
from nanlint.rule import FileContext, NodeFix, Rule
from nanlint.semantic.model import SemanticModel
from nanlint.walker import walk

# libcst and the semantic model recurse over the tree; deeply nested code needs room.
_RECURSION_LIMIT = 20000


@dataclass
class LintResult:
    diagnostics: List[Diagnostic]
    parsed: bool = False  # False when no rule could fire and the parse was skipped
    tracebacks: List[str] = field(default_factory=list)


def rules_that_could_fire(source: str, rules: Sequence[Type[Rule]]) -> List[Type[Rule]]:
    return [rule for rule in rules if rule.could_fire(source)]


def lint_source(
    path: str,
    source: str,
    rules: Sequence[Type[Rule]],
    options: Optional[Mapping[str, Mapping[str, Any]]] = None,
    apply_noqa: bool = True,
) -> LintResult:
    active = rules_that_could_fire(source, rules)
    if not active:
        # No rule can fire: skip libcst, but still report a syntax error (ast is ~10x faster).
        return LintResult(_syntax_check(path, source))
    if sys.getrecursionlimit() < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        message = f"syntax error, file not checked: {error.message}"
        return LintResult([Diagnostic(path, max(error.raw_line, 1), error.raw_column + 1, UNREADABLE_CODE, message)])
    except (RecursionError, MemoryError, ValueError) as error:
        return LintResult([Diagnostic(path, 1, 1, UNREADABLE_CODE, f"file could not be parsed: {type(error).__name__}")])

    context = FileContext(path, source, SemanticModel(), options or {})
    instances = [rule(context) for rule in active]
    try:
        walk(module, [context.semantic, *instances])
    except RecursionError:
        return LintResult([Diagnostic(path, 1, 1, UNREADABLE_CODE, "file is nested too deeply to analyse")], parsed=True)

    diagnostics: List[Diagnostic] = []
    tracebacks: List[str] = []
    if context.reports or context.crashes:
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for report in context.reports:
            diagnostics.append(_diagnostic(path, report.rule, report.node, report.message, report.fix, positions, module))
        for crash in context.crashes:
            where = positions.get(crash.node)
            line, col = (where.start.line, where.start.column + 1) if where else (1, 1)
            message = (
                f"internal error in rule {crash.rule.code} ({crash.rule.name}): "
                f"{type(crash.error).__name__}: {crash.error}; please report this bug"
            )
            diagnostics.append(Diagnostic(path, line, col, INTERNAL_ERROR_CODE, message))
            tracebacks.append(f"{path}: {crash.rule.code}\n{crash.traceback}")
    if apply_noqa and diagnostics:
        suppressions = noqa.parse(source)
        diagnostics = [d for d in diagnostics if d.code == INTERNAL_ERROR_CODE or not suppressions.suppresses(d.line, d.code)]
    diagnostics.sort(key=Diagnostic.sort_key)
    return LintResult(diagnostics, parsed=True, tracebacks=tracebacks)


def _syntax_check(path: str, source: str) -> List[Diagnostic]:
    try:
        ast.parse(source, filename=path)
    except SyntaxError as error:
        line, col = error.lineno or 1, error.offset or 1
        return [Diagnostic(path, max(line, 1), max(col, 1), UNREADABLE_CODE, f"syntax error, file not checked: {error.msg}")]
    except (RecursionError, MemoryError, ValueError) as error:
        return [Diagnostic(path, 1, 1, UNREADABLE_CODE, f"file could not be parsed: {type(error).__name__}")]
    return []


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
