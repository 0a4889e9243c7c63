"""The training step as an ordered list of events.

A *step block* is the body of a function or of a loop. Its events are the
training-step calls it makes, in source order, looking into `if`/`with`/`try`
bodies but not into nested loops or functions (those are step blocks of their
own). Order rules (clip before backward, step before backward, ...) read these
sequences instead of scanning text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Union

import libcst as cst

from nanlint import names
from nanlint.semantic.calls import dotted_name, positional_count

ZERO_GRAD = "zero_grad"
BACKWARD = "backward"
CLIP = "clip"
UNSCALE = "unscale"
STEP = "step"
SCALER_STEP = "scaler_step"
SCALER_UPDATE = "scaler_update"
SCHEDULER_STEP = "scheduler_step"

StepBlock = Union[cst.FunctionDef, cst.For, cst.While]


@dataclass(frozen=True)
class Event:
    kind: str
    node: cst.Call
    statement_index: int  # index of the top-level statement of the block that holds it


def _receiver_name(call: cst.Call) -> str:
    if isinstance(call.func, cst.Attribute):
        return (dotted_name(call.func.value) or "").lower()
    return ""


def classify(call: cst.Call, qualified_name: Optional[str]) -> Optional[str]:
    """The training-step event a call is, if any."""
    if qualified_name in names.GRADIENT_CLIPPING:
        return CLIP
    if qualified_name == "torch.autograd.backward":
        return BACKWARD
    if not isinstance(call.func, cst.Attribute):
        return None
    method = call.func.attr.value
    receiver = _receiver_name(call)
    if method in ("backward", "manual_backward"):
        return BACKWARD
    if method in names.GRADIENT_CLIPPING_METHODS:
        return CLIP
    if method == "zero_grad":
        return ZERO_GRAD
    if method == "unscale_":
        return UNSCALE
    if method == "update" and "scaler" in receiver:
        return SCALER_UPDATE
    if method == "step":
        if "scaler" in receiver:
            return SCALER_STEP
        if any(word in receiver for word in ("sched", "lr_", "warmup")):
            return SCHEDULER_STEP
        if positional_count(call) == 0 and ("opt" in receiver or receiver.endswith("optimizer")):
            return STEP
    return None


class _EventCollector(cst.CSTVisitor):
    def __init__(self, resolve) -> None:
        super().__init__()
        self.resolve = resolve
        self.found: List[cst.Call] = []
        self.kinds: List[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_For(self, node: cst.For) -> bool:
        return False

    def visit_While(self, node: cst.While) -> bool:
        return False

    def leave_Call(self, original_node: cst.Call) -> None:
        # leave, not visit: in `scaler.scale(loss).backward()` inner calls come first.
        kind = classify(original_node, self.resolve(original_node.func))
        if kind is not None:
            self.found.append(original_node)
            self.kinds.append(kind)


def block_statements(block: StepBlock) -> Sequence[cst.BaseStatement]:
    body = block.body
    if isinstance(body, cst.IndentedBlock):
        return body.body
    return [body]  # type: ignore[list-item]


def events(block: StepBlock, resolve) -> List[Event]:
    """The events of a step block in source order. `resolve(expr)` gives qualified names."""
    result: List[Event] = []
    for index, statement in enumerate(block_statements(block)):
        collector = _EventCollector(resolve)
        if isinstance(statement, (cst.For, cst.While)):
            continue  # a nested loop is a step block of its own
        statement.visit(collector)
        result.extend(Event(kind, node, index) for kind, node in zip(collector.kinds, collector.found))
    return result


def iter_kinds(sequence: Sequence[Event], kind: str) -> Iterator[Event]:
    return (event for event in sequence if event.kind == kind)
