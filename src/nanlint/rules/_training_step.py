"""Shared plumbing for the training-step rules (NAN302-NAN310).

Not a rule itself (no code): a base class that hands each step block (module,
function, loop) and its events from the semantic model to `check`, knows the
blocks that enclose the current one, and reports a node once even when it is
seen from several blocks (a helper's event inlined into its callers).
"""

from __future__ import annotations

from typing import List, Sequence, Set, Tuple

import libcst as cst

from nanlint.rule import Rule
from nanlint.semantic import steps

Frame = Tuple[steps.StepBlock, List[steps.Event]]


class TrainingStepRule(Rule):
    code = ""
    check_module = False  # also hand the module body to `check`

    def __init__(self, context) -> None:
        super().__init__(context)
        self.frames: List[Frame] = []
        self._reported: Set[int] = set()

    # --- the blocks --------------------------------------------------------------------

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        raise NotImplementedError

    def _enter(self, block: steps.StepBlock) -> None:
        sequence = self.semantic.step_events(block)
        self.frames.append((block, sequence))
        if sequence:
            self.check(block, sequence)

    def _leave(self) -> None:
        if self.frames:
            self.frames.pop()

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.check_module:
            # Asked at the end: module-level code reads names bound anywhere above it.
            self._enter(original_node)
            self._leave()
        self.finish()

    def finish(self) -> None:
        """Called once at the end of the file."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._leave()

    def visit_For(self, node: cst.For) -> None:
        self._enter(node)

    def leave_For(self, original_node: cst.For) -> None:
        self._leave()

    def visit_While(self, node: cst.While) -> None:
        self._enter(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._leave()

    def enclosing(self) -> List[Frame]:
        """The blocks around the current one, innermost first."""
        return list(reversed(self.frames[:-1]))

    # --- reporting -----------------------------------------------------------------------

    def flag(self, node: cst.CSTNode, message=None) -> None:
        if id(node) in self._reported:
            return
        self._reported.add(id(node))
        self.report(node, message)


def is_loop(block: steps.StepBlock) -> bool:
    return isinstance(block, (cst.For, cst.While))


def own(sequence: Sequence[steps.Event]) -> List[steps.Event]:
    """The events of this step (not those of nested training loops)."""
    return [event for event in sequence if not event.nested]


def between(sequence: Sequence[steps.Event], start: int, end: int, *kinds: str) -> List[steps.Event]:
    return [event for event in sequence[start + 1:end] if event.kind in kinds]
