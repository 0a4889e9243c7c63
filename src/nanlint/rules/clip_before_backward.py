from __future__ import annotations

from typing import List, Sequence

from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import TrainingStepRule
from nanlint.semantic import steps


class ClipBeforeBackward(TrainingStepRule):
    """
    ## What it does
    Flags gradient clipping (`clip_grad_norm_`, `clip_grad_value_`, the
    deprecated `clip_grad_norm`, and the `accelerator`/`fabric` forms) that runs
    before the `backward()` of the same training step, in the same loop body or
    function.

    ## Why is this bad?
    Clipping acts on the gradients that exist when it runs. Before `backward()`
    those are last step's gradients (or none), so the new gradients are never
    clipped: an exploding gradient goes straight into `optimizer.step()`, the
    weights jump, and the loss turns into `inf` and then NaN. The code looks
    protected but is not.

    ## Example
    ```python
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        loss.backward()
        optimizer.step()
    ```

    Use instead:
    ```python
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    ```

    ## Known problems
    Only calls written in the same function or loop body are ordered; a clip
    hidden in a helper function is not seen. A clip followed by an optimizer
    `step()` before the next `backward()` belongs to the previous step and is not flagged.

    ## References
    - PyTorch docs: `torch.nn.utils.clip_grad_norm_`
    - Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent neural networks" (2013)
    """

    code = "NAN302"
    name = "clip-before-backward"
    message = "Gradients are clipped before `backward()` computes them; the new gradients go unclipped into the step"
    fix_title = "Move the clipping call after `backward()` and before `optimizer.step()`"
    triggers = ("clip_grad", "clip_gradients")

    VALID = [
        Valid("import torch\nfor x in data:\n    loss = f(x)\n    loss.backward()\n    torch.nn.utils.clip_grad_norm_(params, 1.0)\n    opt.step()"),
        Valid("import torch\nfor x in data:\n    torch.nn.utils.clip_grad_norm_(params, 1.0)\n    opt.step()\n    opt.zero_grad()\n    loss = f(x)\n    loss.backward()"),
    ]
    INVALID = [
        Invalid("import torch\nfor x in data:\n    loss = f(x)\n    torch.nn.utils.clip_grad_norm_(params, 1.0)\n    loss.backward()\n    opt.step()", line=4, col=5),
        Invalid("from torch.nn.utils import clip_grad_value_\ndef train_step(x):\n    loss = f(x)\n    clip_grad_value_(params, 0.5)\n    scaler.scale(loss).backward()", line=4, col=5),
    ]

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        backward_seen = False
        pending: List[steps.Event] = []  # clips not yet followed by a backward or a step
        for event in sequence:
            if event.kind == steps.BACKWARD:
                if not backward_seen:
                    for clip in pending:
                        if steps.compatible(clip, event):
                            self.flag(clip.site)
                backward_seen = True
                pending = []
            elif event.kind in steps.OPTIMIZER_STEPS:
                pending = []  # the clip belonged to the step that just ran
            elif event.kind == steps.CLIP and not event.nested and not event.norm_only and not backward_seen:
                pending.append(event)
