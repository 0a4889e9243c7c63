from __future__ import annotations

from typing import Sequence

from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import TrainingStepRule, backwards_before, next_step_before_any_backward, own
from nanlint.semantic import steps


class ClipWithoutUnscale(TrainingStepRule):
    """
    ## What it does
    Under PyTorch automatic mixed precision, flags gradient clipping that runs
    before `scaler.step(optimizer)` without `scaler.unscale_(optimizer)` before it.
    The scaler is recognised from `GradScaler()` / `ShardedGradScaler()` in the file
    or, failing that, from a receiver named like `scaler`.

    ## Why is this bad?
    `scaler.scale(loss).backward()` leaves every gradient multiplied by the loss
    scale (65536 at the start, changing during training). `clip_grad_norm_` then
    compares the threshold with the *scaled* norm, so it clips almost always and
    by a factor that follows the loss scale, not the gradients: the effective
    learning rate shrinks by orders of magnitude and jumps whenever the scale
    changes; `clip_grad_value_` clamps scaled values, which after unscaling are
    tiny. Clipping meant to keep training stable instead distorts every update.
    PyTorch's documented order is `scaler.unscale_(optimizer)`, clip, then
    `scaler.step(optimizer)`.

    ## Example
    ```python
    scaler.scale(loss).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    scaler.step(optimizer)
    scaler.update()
    ```

    Use instead:
    ```python
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    scaler.step(optimizer)
    scaler.update()
    ```

    ## Known problems
    `accelerator.clip_grad_norm_`, `fabric.clip_gradients` and Lightning's
    `clip_gradients` unscale for you and are not flagged. A clip in a helper that
    has no `scaler.scale(loss).backward()` of its own is flagged only if the
    scaler is built in the file (`GradScaler()`) and the file never calls
    `unscale_`, since the caller may unscale before calling it. A scaler created
    with `enabled=False` is still treated as scaling.

    ## References
    - PyTorch docs: "Automatic Mixed Precision examples", "Working with Unscaled Gradients"
    - PyTorch docs: `torch.amp.GradScaler.unscale_`
    """

    code = "NAN304"
    name = "clip-without-unscale"
    message = "Gradients are clipped while still multiplied by the AMP loss scale; the threshold is compared with scaled gradients"
    fix_title = "Call `scaler.unscale_(optimizer)` before clipping"
    triggers = ("scaler", "Scaler")

    VALID = [
        Valid("import torch\nfor x in data:\n    scaler.scale(f(x)).backward()\n    scaler.unscale_(opt)\n"
              "    torch.nn.utils.clip_grad_norm_(params, 1.0)\n    scaler.step(opt)\n    scaler.update()"),
        Valid("for x in data:\n    accelerator.backward(f(x))\n    accelerator.clip_grad_norm_(params, 1.0)\n    opt.step()"),
        Valid("import torch\nfor x in data:\n    f(x).backward()\n    torch.nn.utils.clip_grad_norm_(params, 1.0)\n    opt.step()"),
    ]
    INVALID = [
        Invalid("import torch\nfor x in data:\n    scaler.scale(f(x)).backward()\n    torch.nn.utils.clip_grad_norm_(params, 1.0)\n"
                "    scaler.step(opt)\n    scaler.update()", line=4, col=5),
        Invalid("import torch\nfrom torch.cuda.amp import GradScaler\ngs = GradScaler()\ndef train_step(x):\n"
                "    gs.scale(f(x)).backward()\n    if clip:\n        torch.nn.utils.clip_grad_value_(params, 0.5)\n"
                "    gs.step(opt)\n    gs.update()", line=7, col=9),
    ]

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        for index, clip in own(sequence, steps.CLIP):
            if clip.managed or clip.norm_only:
                continue
            scaler_step = next_step_before_any_backward(sequence, index)
            if scaler_step is None or scaler_step.kind != steps.SCALER_STEP:
                continue  # no step before the next backward, or a plain optimizer step: not the AMP path
            if any(event.kind == steps.UNSCALE for event in sequence[:index]):
                continue
            scaled_backward = any(event.scaled for event in backwards_before(sequence, index))
            if not scaled_backward and (not scaler_step.known or "unscale_" in self.context.source):
                # No `scaler.scale(loss).backward()` here: the caller may unscale before calling
                # this helper, and an object merely named `scaler` may be a wrapper that unscales.
                continue
            self.flag(clip.site)
