from __future__ import annotations

from typing import Sequence

from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import (
    TrainingStepRule,
    backwards_before,
    next_step_before_any_backward,
    own,
    paired_step,
)
from nanlint.semantic import steps


class ClipAfterStep(TrainingStepRule):
    """
    ## What it does
    Flags gradient clipping (`clip_grad_norm_`, `clip_grad_value_`, the
    `accelerator`/`fabric` forms, `p.grad.clamp_(...)`) that runs after
    `optimizer.step()` (or `scaler.step(optimizer)`) in the same training step:
    after the `backward()` that produced the gradients, after the step that used
    them, and before the next `backward()`.

    ## Why is this bad?
    `optimizer.step()` reads the gradients when it runs. Clipping afterwards changes
    gradients that have already been applied (and that `zero_grad()` is about to
    clear), so every update uses the raw, unclipped gradients. The clipping that was
    meant to stop an exploding gradient does nothing: one large gradient moves the
    weights far enough that the loss overflows to `inf` and then NaN.

    ## Example
    ```python
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
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
    Calls are ordered within one function or loop body and the helpers it calls
    that are defined in the same file. A clip followed by a second optimizer's
    `step()` is taken to serve that optimizer and is not flagged. Clipping with an
    infinite threshold (used only to measure the gradient norm) is not flagged.

    ## References
    - PyTorch docs: `torch.nn.utils.clip_grad_norm_`
    - PyTorch docs: "Automatic Mixed Precision examples", gradient clipping
    """

    code = "NAN303"
    name = "clip-after-step"
    message = "Gradients are clipped after `step()` has applied them; the update used the unclipped gradients"
    fix_title = "Clip after `backward()` and before `optimizer.step()`"
    triggers = ("clip_grad", "clip_gradients", "clip_grads", ".grad")

    VALID = [
        Valid("import torch\nfor x in data:\n    opt.zero_grad()\n    f(x).backward()\n    torch.nn.utils.clip_grad_norm_(params, 1.0)\n    opt.step()"),
        Valid("import torch\nfor x in data:\n    f(x).backward()\n    opt.step()\n    norm = torch.nn.utils.clip_grad_norm_(params, float('inf'))"),
        Valid("import torch\nfor x in data:\n    f(x).backward()\n    opt_a.step()\n    torch.nn.utils.clip_grad_norm_(b_params, 1.0)\n    opt_b.step()"),
    ]
    INVALID = [
        Invalid("import torch\nfor x in data:\n    opt.zero_grad()\n    f(x).backward()\n    opt.step()\n    torch.nn.utils.clip_grad_norm_(params, 1.0)", line=6, col=5),
        Invalid("def train_step(batch):\n    scaler.scale(loss(batch)).backward()\n    scaler.step(optimizer)\n    scaler.update()\n    accelerator.clip_grad_norm_(model.parameters(), 1.0)", line=5, col=5),
    ]

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        for index, clip in own(sequence, steps.CLIP):
            if clip.norm_only:
                continue
            step_index = paired_step(sequence, index, forward=False)
            if step_index is None:
                continue  # new gradients since the last step (or no step before): the clip is in the right place
            if not backwards_before(sequence, step_index):
                continue  # a step with no backward before it: the clip may prepare the next step
            if next_step_before_any_backward(sequence, index) is not None:
                continue  # the clip serves a later step
            self.flag(clip.site)
