from __future__ import annotations

from typing import Sequence, Set

import libcst as cst

from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import TrainingStepRule, is_loop, own
from nanlint.semantic import steps


class MissingZeroGrad(TrainingStepRule):
    """
    ## What it does
    Flags a loop that calls `backward()` and `optimizer.step()` (or
    `scaler.step(optimizer)`) but never clears the gradients: no `zero_grad()` on
    any optimizer or model, no `set_to_none`, no `p.grad = None` or
    `p.grad.zero_()`, neither in the loop (at any depth, including helpers it
    calls that are defined in the same file) nor in a loop around it.

    ## Why is this bad?
    PyTorch accumulates: every `backward()` adds the new gradients to `.grad`.
    Without clearing, the gradient applied at step *n* is the sum of the
    gradients of all *n* steps so far, so the effective learning rate grows with
    every iteration until the weights diverge and the loss becomes `inf`, then
    NaN. Gradient accumulation is done on purpose by clearing *less often*
    (after the step, inside `if (i + 1) % accum == 0:`), never by not clearing at all.

    ## Example
    ```python
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        loss.backward()
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
    Gradients cleared by a function the file does not define (a trainer's own
    method, an optimizer that zeroes in `step()`) cannot be seen; method calls
    whose name contains `zero_grad`, `clear_grad` or `reset_grad` are taken as
    clearing. A `zero_grad()` once before the loop does not count: it clears only
    the first step. A loop that creates its optimizer in every iteration is not
    flagged: it usually optimizes a tensor created in the same iteration, whose
    gradient starts empty.

    ## References
    - PyTorch docs: `torch.optim.Optimizer.zero_grad`
    - PyTorch FAQ / tutorials: "Zeroing out gradients in PyTorch"
    """

    code = "NAN306"
    name = "missing-zero-grad"
    message = "Gradients are never cleared in this loop; each `backward()` adds to the last and `step()` applies the growing sum"
    fix_title = "Call `optimizer.zero_grad()` once per step, before `backward()` or right after `step()`"
    triggers = ("backward",)

    VALID = [
        Valid("for x in data:\n    opt.zero_grad()\n    f(x).backward()\n    opt.step()"),
        Valid("for i, x in enumerate(data):\n    f(x).backward()\n    if (i + 1) % 4 == 0:\n        opt.step()\n        model.zero_grad(set_to_none=True)"),
        Valid("for epoch in range(3):\n    for p in params:\n        p.grad = None\n    for x in data:\n        f(x).backward()\n    opt.step()"),
        Valid("def train_step(x):\n    f(x).backward()\n    opt.step()"),
    ]
    INVALID = [
        Invalid("for x in data:\n    loss = f(x)\n    loss.backward()\n    opt.step()", line=4, col=5),
        Invalid("def train_step(x):\n    f(x).backward()\n    optimizer.step()\nfor x in data:\n    train_step(x)", line=5, col=5),
    ]

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        if not is_loop(block):
            return
        optimizer_steps = [event for _, event in own(sequence, *steps.OPTIMIZER_STEPS)]
        if not optimizer_steps or not any(event.kind == steps.BACKWARD for event in sequence):
            return
        if any(event.kind == steps.ZERO_GRAD for event in sequence):
            return
        for outer, outer_sequence in self.enclosing():
            if is_loop(outer) and any(event.kind == steps.ZERO_GRAD for event in outer_sequence):
                return
        built_here = _assigned_names(block)
        if any(step.optimizer in built_here for step in optimizer_steps):
            # An optimizer created in each iteration optimizes tensors created in that
            # iteration (a fresh leaf, whose `.grad` starts empty), as in latent optimization.
            return
        self.flag(optimizer_steps[0].site)


def _assigned_names(block: steps.StepBlock) -> Set[str]:
    found: Set[str] = set()
    for statement in steps.small_statements(block):
        if isinstance(statement, cst.Assign):
            for target in statement.targets:
                if isinstance(target.target, (cst.Name, cst.Attribute)):
                    found.add(steps.text_of(target.target))
    return found
