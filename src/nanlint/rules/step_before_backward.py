from __future__ import annotations

from typing import Sequence

from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import TrainingStepRule, backwards_before, is_step_of, own
from nanlint.semantic import steps


class StepBeforeBackward(TrainingStepRule):
    """
    ## What it does
    Flags `optimizer.step()` (or `scaler.step(optimizer)`) that runs before any
    `backward()` of its loop body or function when the gradients of the
    `backward()` that follows can never reach a step: the same optimizer's
    `zero_grad()` runs either before the `step()` or after that `backward()`.

    A `step()` at the top of the loop that applies the *previous* iteration's
    gradients (`step`, `zero_grad`, forward, `backward`) is a valid deferred
    order and is not flagged.

    ## Why is this bad?
    With `zero_grad(); step(); ...; backward()` every `step()` sees freshly cleared
    gradients, and with `step(); ...; backward(); zero_grad()` every set of
    gradients is cleared before any `step()` sees it. Either way no update uses the
    gradients the loop computes: plain SGD leaves the weights untouched, while
    momentum, Adam and weight decay keep moving them on stale or empty statistics,
    so the loss does not improve and can drift to `inf`/NaN.

    ## Example
    ```python
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        optimizer.step()
        loss.backward()
    ```

    Use instead:
    ```python
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    ```

    ## Known problems
    Only a `zero_grad()` on the same optimizer (same receiver text) counts;
    `model.zero_grad()` and `p.grad = None` loops are not matched to an optimizer.
    Without any clearing in the block, a `step()` before `backward()` is taken to
    be the deferred order and is not flagged.

    ## References
    - PyTorch docs: `torch.optim.Optimizer.step`
    - PyTorch tutorials: "Optimizing Model Parameters" (the training loop)
    """

    code = "NAN308"
    name = "step-before-backward"
    message = "`step()` runs before this step's `backward()` and `zero_grad()` clears the gradients in between; no update uses them"
    fix_title = "Call `optimizer.step()` after `backward()`"
    triggers = ("backward",)

    VALID = [
        Valid("for x in data:\n    opt.zero_grad()\n    f(x).backward()\n    opt.step()"),
        Valid("for x in data:\n    opt.step()\n    opt.zero_grad()\n    f(x).backward()"),
        Valid("for x in data:\n    opt.step()\n    f(x).backward()"),
    ]
    INVALID = [
        Invalid("for x in data:\n    opt.zero_grad()\n    loss = f(x)\n    opt.step()\n    loss.backward()", line=4, col=5),
        Invalid("def train_step(self, x):\n    loss = f(x)\n    self.optimizer.step()\n    loss.backward()\n    self.optimizer.zero_grad()",
                line=3, col=5),
    ]

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        for index, step in own(sequence, *steps.OPTIMIZER_STEPS):
            if not step.optimizer or backwards_before(sequence, index):
                continue
            earlier = sequence[:index]
            backward_index = next((position for position in range(index + 1, len(sequence))
                                   if sequence[position].kind == steps.BACKWARD and steps.compatible(step, sequence[position])), None)
            if backward_index is None:
                continue
            cleared_before = any(self._clears(event, step) and steps.compatible(event, step) for event in earlier)
            cleared_after = self._cleared_after(sequence, backward_index, step)
            if cleared_before or cleared_after:
                self.flag(step.site)

    @staticmethod
    def _clears(event: steps.Event, step: steps.Event) -> bool:
        return event.kind == steps.ZERO_GRAD and not event.nested and event.receiver == step.optimizer

    def _cleared_after(self, sequence: Sequence[steps.Event], backward_index: int, step: steps.Event) -> bool:
        backward = sequence[backward_index]
        for event in sequence[backward_index + 1:]:
            if not steps.compatible(backward, event):
                continue
            if is_step_of(event, step.optimizer):
                return False  # a step uses these gradients
            if self._clears(event, step):
                return True
        return False
