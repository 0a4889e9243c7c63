"""Shared plumbing for the training-step rules (NAN302-NAN310).

Not a rule itself (no code): a base class that hands each step block (module,
function, loop) and its events from the semantic model to `check`, knows the
blocks that enclose the current one, and reports a node once even when it is
seen from several blocks (a helper's event inlined into its callers); and the
scans of a step's event sequence that several rules share (the step a clip or a
`zero_grad()` belongs to, the `backward()` calls before an event).
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Set, Tuple

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


# --- reading a step's sequence ---------------------------------------------------------
# `steps.compatible(earlier, later)` takes its events in source order; these helpers keep
# that order so a rule only says which events it pairs.


def own(sequence: Sequence[steps.Event], *kinds: str) -> Iterator[Tuple[int, steps.Event]]:
    """(position, event) of the events of these kinds that belong to this step, not to a nested training loop."""
    return ((index, event) for index, event in enumerate(sequence) if event.kind in kinds and not event.nested)


def is_step_of(event: steps.Event, optimizer: str) -> bool:
    """An optimizer step (`opt.step()`, `scaler.step(opt)`) that applies `optimizer`."""
    return event.kind in steps.OPTIMIZER_STEPS and event.optimizer == optimizer


def backwards_before(sequence: Sequence[steps.Event], index: int) -> List[steps.Event]:
    """The `backward()` calls before position `index` that can run in one pass with the event there."""
    event = sequence[index]
    return [earlier for earlier in sequence[:index]
            if earlier.kind == steps.BACKWARD and steps.compatible(earlier, event)]


def paired_step(sequence: Sequence[steps.Event], index: int, forward: bool = True) -> Optional[int]:
    """Position of the optimizer step that the event at `index` shares its gradients with.

    The nearest step of this block (not of a nested training loop) after it, or before it
    when not `forward`, on a path through both; None when a `backward()` on that path comes
    first, because its new gradients belong to another step."""
    anchor = sequence[index]
    positions = range(index + 1, len(sequence)) if forward else range(index - 1, -1, -1)
    for position in positions:
        event = sequence[position]
        if not (steps.compatible(anchor, event) if forward else steps.compatible(event, anchor)):
            continue
        if event.kind == steps.BACKWARD:
            return None
        if event.kind in steps.OPTIMIZER_STEPS and not event.nested:
            return position
    return None


def next_step_before_any_backward(sequence: Sequence[steps.Event], index: int) -> Optional[steps.Event]:
    """The first optimizer step after position `index` on a path through the event there
    (also one in a nested loop), if no `backward()` on any path comes before it."""
    anchor = sequence[index]
    for event in sequence[index + 1:]:
        if event.kind == steps.BACKWARD:
            return None
        if event.kind in steps.OPTIMIZER_STEPS and steps.compatible(anchor, event):
            return event
    return None
