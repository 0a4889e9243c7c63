from __future__ import annotations

from typing import List, Sequence

import libcst as cst

from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import TrainingStepRule, is_loop
from nanlint.semantic import steps


class ScalerStepWithoutUpdate(TrainingStepRule):
    """
    ## What it does
    Flags `scaler.step(optimizer)` (PyTorch AMP `GradScaler`) in a training loop
    that never calls `scaler.update()`. A `scaler.step` in a function or in a loop
    without `backward()` is flagged only if the file never calls `update()` on a scaler.

    ## Why is this bad?
    `scaler.update()` is what adapts the loss scale: it halves the scale after a
    step whose gradients overflowed to `inf`/NaN (that step was skipped) and grows
    it again after a run of clean steps. Without it the scale stays where it
    started: if that scale overflows float16 every step is skipped, and the
    per-step bookkeeping is never reset, so current PyTorch raises
    `step() has already been called since the last update()` on the second
    iteration. Call `update()` once per iteration, after all `scaler.step` calls.

    ## Example
    ```python
    for inputs, targets in loader:
        optimizer.zero_grad()
        with torch.autocast("cuda"):
            loss = loss_fn(model(inputs), targets)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
    ```

    Use instead:
    ```python
    for inputs, targets in loader:
        optimizer.zero_grad()
        with torch.autocast("cuda"):
            loss = loss_fn(model(inputs), targets)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    ```

    ## Known problems
    An object only *named* like a scaler counts only where the code also calls
    `scale(loss).backward()` or `unscale_` on it in the same block: wrappers such as
    timm's `NativeScaler` have a `step()` that updates by itself. An `update()` anywhere in the loop, in a helper it calls that is defined in
    the same file, or (for a `scaler.step` outside a training loop) anywhere in the
    file, silences the rule, also when it sits in a branch that does not always run.

    ## References
    - PyTorch docs: "Automatic Mixed Precision examples"
    - PyTorch docs: `torch.amp.GradScaler.update`
    """

    code = "NAN305"
    name = "scaler-step-without-update"
    message = "`scaler.step()` runs without `scaler.update()` in the loop; the AMP loss scale never adapts to overflow"
    fix_title = "Call `scaler.update()` once per iteration, after `scaler.step(optimizer)`"
    triggers = ("scaler", "Scaler")

    VALID = [
        Valid("for x in data:\n    scaler.scale(f(x)).backward()\n    scaler.step(opt)\n    scaler.update()"),
        Valid("def step(self):\n    self.scaler.step(self.opt)\ndef after(self):\n    self.scaler.update()"),
        Valid("for x in data:\n    scaler.scale(f(x)).backward()\n    for opt in optimizers:\n        scaler.step(opt)\n    scaler.update()"),
    ]
    INVALID = [
        Invalid("for x in data:\n    opt.zero_grad()\n    scaler.scale(f(x)).backward()\n    scaler.step(opt)", line=4, col=5),
        Invalid("import torch\ngs = torch.amp.GradScaler('cuda')\ndef train_step(x):\n    gs.scale(f(x)).backward()\n    gs.step(opt)",
                line=5, col=5),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.pending: List[steps.Event] = []
        self.updated = False

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        if any(event.kind == steps.SCALER_UPDATE for event in sequence):
            self.updated = True
        training_loop = is_loop(block) and any(event.kind == steps.BACKWARD and not event.nested for event in sequence)
        for event in sequence:
            if event.kind != steps.SCALER_STEP or event.nested:
                continue
            if not (event.known or self._used_as_grad_scaler(event.receiver, sequence)):
                continue  # named like a scaler: may be a wrapper whose `step()` also updates
            if not training_loop:
                self.pending.append(event)
            elif not any(other.kind == steps.SCALER_UPDATE for other in sequence):
                self.flag(event.site)

    @staticmethod
    def _used_as_grad_scaler(receiver: str, sequence: Sequence[steps.Event]) -> bool:
        """`scaler.scale(loss).backward()` or `scaler.unscale_(opt)` on the same object."""
        return any((event.kind == steps.BACKWARD and event.scaled and event.receiver.startswith(receiver + ".scale("))
                   or (event.kind == steps.UNSCALE and event.receiver == receiver) for event in sequence)

    def visit_Call(self, node: cst.Call) -> None:
        # An `update()` at module level, outside any function or loop, counts too.
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "update" and steps.scaler_like(steps.text_of(node.func.value)):
            self.updated = True

    def finish(self) -> None:
        if self.updated:
            return
        for event in self.pending:
            self.flag(event.site)
