from __future__ import annotations

from typing import Sequence

from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import TrainingStepRule, is_step_of, own, paired_step
from nanlint.semantic import steps


class ZeroGradBetweenBackwardAndStep(TrainingStepRule):
    """
    ## What it does
    Flags `optimizer.zero_grad()` that runs after `backward()` and before the same
    optimizer's `step()` (or `scaler.step(optimizer)`), with no other `backward()`
    in between, on one path through the loop body or function.

    ## Why is this bad?
    `zero_grad()` clears (or sets to `None`) the gradients that `backward()` just
    computed, so `step()` applies nothing: with plain SGD the weights never move,
    with momentum or Adam they keep drifting on stale state, with weight decay they
    shrink toward zero. The loss does not go down, and a model that only ever
    sees empty updates while its statistics keep moving can end in NaN. Gradient
    accumulation done on purpose clears *after* `step()` (often inside
    `if (i + 1) % accum == 0:`) and is not flagged.

    ## Example
    ```python
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
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
    Only a `zero_grad()` on the optimizer that steps is flagged: `model.zero_grad()`
    and hand-written `p.grad = None` loops may clear a different model's gradients
    (a GAN clears the generator between the discriminator's backward and step).
    A `zero_grad()` under a condition that the `step()` does not share (`if not
    torch.isfinite(loss): optimizer.zero_grad()`) discards a bad batch on purpose
    and is not flagged.

    ## References
    - PyTorch docs: `torch.optim.Optimizer.zero_grad`
    - PyTorch tutorials: "Optimizing Model Parameters" (the training loop)
    """

    code = "NAN307"
    name = "zero-grad-between-backward-and-step"
    message = "`zero_grad()` between `backward()` and `step()` clears the gradients just computed; the step applies nothing"
    fix_title = "Call `zero_grad()` before the forward pass or right after `step()`"
    triggers = ("backward",)

    VALID = [
        Valid("for x in data:\n    opt.zero_grad()\n    f(x).backward()\n    opt.step()"),
        Valid("for i, x in enumerate(data):\n    f(x).backward()\n    if (i + 1) % 4 == 0:\n        opt.step()\n        opt.zero_grad()"),
        Valid("for x in data:\n    loss = f(x)\n    loss.backward()\n    if not finite(loss):\n        opt.zero_grad()\n        continue\n    opt.step()"),
        Valid("for x in data:\n    d_loss(x).backward()\n    opt_g.zero_grad()\n    opt_d.step()"),
    ]
    INVALID = [
        Invalid("for x in data:\n    f(x).backward()\n    opt.zero_grad()\n    opt.step()", line=3, col=5),
        Invalid("def train_step(self, x):\n    self.scaler.scale(f(x)).backward()\n    self.optimizer.zero_grad(set_to_none=True)\n"
                "    self.scaler.step(self.optimizer)\n    self.scaler.update()", line=3, col=5),
    ]

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        for index, zero in own(sequence, steps.ZERO_GRAD):
            if zero.manual or not zero.receiver:
                continue
            step_index = paired_step(sequence, index)
            if step_index is None:
                continue  # new gradients after the clear (or no step after it): the usual order
            step = sequence[step_index]
            if step.optimizer != zero.receiver:
                continue
            step_arms = {(node, arm) for node, arm, _ in step.branches}
            if any((node, arm) not in step_arms for node, arm, _ in zero.branches):
                continue  # cleared only sometimes before a step that always runs: discarding a bad batch on purpose
            if self._backward_before(sequence, index, step):
                self.flag(zero.site)

    @staticmethod
    def _backward_before(sequence: Sequence[steps.Event], index: int, step: steps.Event) -> bool:
        """A backward earlier on the same path whose gradients no step of this optimizer used yet."""
        zero = sequence[index]
        for position in range(index - 1, -1, -1):
            event = sequence[position]
            if not (steps.compatible(event, zero) and steps.compatible(event, step)):
                continue
            if is_step_of(event, step.optimizer):
                return False
            if event.kind == steps.ZERO_GRAD and event.receiver == zero.receiver:
                return False  # already cleared once: the gradients in between are what is cleared again
            if event.kind == steps.BACKWARD:
                return True
        return False
