"""Scopes and the bindings of names in them, built during the one walk.

nanlint does not use libcst's generic ScopeProvider: it is the slowest part of a
libcst linter and answers far more than the rules ask. Instead the walk records,
in order, what each name was last bound to in the scopes that enclose the node
being visited. Straight-line code reads exactly; code with branches reads the
binding that comes last in the source, which is what a reader would assume too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

import libcst as cst


@dataclass(frozen=True)
class ImportBinding:
    """`import torch as T` binds T -> "torch"; `from torch import log` binds log -> "torch.log"."""

    qualified_name: str


@dataclass(frozen=True)
class ValueBinding:
    """`name = expr`: the facts about expr, computed when the assignment was walked."""

    node: Optional[cst.BaseExpression]
    value: object  # semantic.values.Value; typed loosely to keep this module import-light


@dataclass(frozen=True)
class DefinitionBinding:
    """A function or class defined in this file."""

    node: Union[cst.FunctionDef, cst.ClassDef]


Binding = Union[ImportBinding, ValueBinding, DefinitionBinding]


@dataclass
class Scope:
    kind: str  # "module", "function", "class", "lambda", "comprehension"
    node: Optional[cst.CSTNode]
    bindings: Dict[str, Binding] = field(default_factory=dict)


class ScopeStack:
    """The scopes that enclose the node being walked, innermost last."""

    def __init__(self) -> None:
        self.scopes: List[Scope] = [Scope("module", None)]
        # Changes whenever a lookup could answer differently (lets the model cache answers).
        self.version = 0

    @property
    def current(self) -> Scope:
        return self.scopes[-1]

    @property
    def module(self) -> Scope:
        return self.scopes[0]

    def push(self, kind: str, node: cst.CSTNode) -> Scope:
        self.version += 1
        scope = Scope(kind, node)
        self.scopes.append(scope)
        return scope

    def pop(self) -> None:
        self.version += 1
        if len(self.scopes) > 1:
            self.scopes.pop()

    def bind(self, name: str, binding: Binding) -> None:
        self.version += 1
        self.current.bindings[name] = binding

    def lookup(self, name: str) -> Optional[Binding]:
        innermost = len(self.scopes) - 1
        for index in range(innermost, -1, -1):
            scope = self.scopes[index]
            # Python skips class bodies when resolving names inside their methods.
            if scope.kind == "class" and index != innermost:
                continue
            binding = scope.bindings.get(name)
            if binding is not None:
                return binding
        return None

    def function_scope(self) -> Optional[Scope]:
        for scope in reversed(self.scopes):
            if scope.kind in ("function", "lambda"):
                return scope
        return None

    # Keys for what rules collect per function or per class while the walk goes on.

    def function_key(self) -> int:
        """Identity of the innermost enclosing function or lambda; 0 at module level."""
        scope = self.function_scope()
        return id(scope.node) if scope is not None and scope.node is not None else 0

    def class_key(self) -> int:
        """Identity of the innermost enclosing class; 0 outside any class."""
        for scope in reversed(self.scopes):
            if scope.kind == "class":
                return id(scope.node)
        return 0
