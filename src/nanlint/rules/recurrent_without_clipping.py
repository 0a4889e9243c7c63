from __future__ import annotations

from typing import List, Optional, Sequence

import libcst as cst

from nanlint import names
from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import TrainingStepRule
from nanlint.semantic import steps
from nanlint.semantic.calls import keyword_names

_TRAINING = (steps.BACKWARD, steps.APPLY_GRADIENTS, steps.MINIMIZE)
_KERAS_TRAINING_METHODS = frozenset({"fit", "train_on_batch"})


class RecurrentWithoutClipping(TrainingStepRule):
    """
    ## What it does
    Flags a file that builds a recurrent layer (`nn.LSTM`, `nn.GRU`, `nn.RNN` and
    their cells; Keras `LSTM`, `GRU`, `SimpleRNN`) and trains in the same file
    (`backward()`, `apply_gradients`, `minimize`, or Keras `fit` /
    `train_on_batch` for a Keras layer) without any gradient clipping: no
    `clip_grad_norm_`/`clip_grad_value_`, no `tf.clip_by_*`, no hand-written
    `p.grad.clamp_`, and no keyword argument about clipping (`clipnorm=`,
    `clipvalue=`, `global_clipnorm=`, `gradient_clip_val=`, `max_grad_norm=`, ...).
    The finding is on the first training call.

    Off by default: it is advice, not a bug. Enable it with `select`/`extend-select`.

    ## Why is this bad?
    Backpropagation through time multiplies by the recurrent weight matrix once
    per time step, so gradients of recurrent networks can grow exponentially with
    sequence length. One exploding gradient is enough to move the weights so far
    that the next forward pass overflows and the loss is NaN from then on.
    Clipping the gradient norm is the standard remedy (Pascanu et al., 2013).

    ## Example
    ```python
    model = nn.LSTM(128, 256)
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs)[0], targets)
        loss.backward()
        optimizer.step()
    ```

    Use instead:
    ```python
    model = nn.LSTM(128, 256)
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs)[0], targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    ```

    ## Known problems
    The layer and the training code must be in the same file; clipping configured
    elsewhere (a Lightning `Trainer(gradient_clip_val=...)` in another module, the
    Hugging Face `Trainer`, which clips by default) is not seen, which is why a
    LightningModule's `training_step` is not treated as training here.

    ## References
    - Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent neural networks" (2013)
    - PyTorch docs: `torch.nn.utils.clip_grad_norm_`; Keras docs: optimizer `clipnorm`
    """

    code = "NAN310"
    name = "recurrent-without-clipping"
    message = "Recurrent model is trained without gradient clipping; one exploding gradient can turn the loss NaN"
    fix_title = "Clip gradients after `backward()` (`clip_grad_norm_`) or set `clipnorm`/`global_clipnorm` on the optimizer"
    default_enabled = False
    triggers = ("LSTM", "GRU", "RNN")

    VALID = [
        Valid("import torch\nmodel = torch.nn.LSTM(8, 16)\nfor x in data:\n    opt.zero_grad()\n    f(model, x).backward()\n"
              "    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n    opt.step()"),
        Valid("from tensorflow import keras\nmodel = keras.Sequential([keras.layers.LSTM(32), keras.layers.Dense(1)])\n"
              "model.compile(optimizer=keras.optimizers.Adam(clipnorm=1.0), loss='mse')\nmodel.fit(x, y)"),
        Valid("import torch\nmodel = torch.nn.Linear(8, 16)\nfor x in data:\n    f(model, x).backward()\n    opt.step()"),
    ]
    INVALID = [
        Invalid("import torch\nmodel = torch.nn.LSTM(8, 16)\nfor x in data:\n    opt.zero_grad()\n    f(model, x).backward()\n    opt.step()",
                line=5, col=5),
        Invalid("from tensorflow import keras\nmodel = keras.Sequential([keras.layers.GRU(32), keras.layers.Dense(1)])\n"
                "model.compile(optimizer='adam', loss='mse')\nmodel.fit(x, y)", line=4, col=1),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.layer: Optional[str] = None
        self.keras_layer = False
        self.training: List[cst.CSTNode] = []
        self.clipped = False

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.qualified_name(node)
        if qualified in names.RECURRENT_LAYERS:
            self.layer = self.layer or qualified.rsplit(".", 1)[-1]
            self.keras_layer = self.keras_layer or not qualified.startswith("torch.")
        if any("clip" in keyword.lower() or keyword == "max_grad_norm" for keyword in keyword_names(node)):
            self.clipped = True
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _KERAS_TRAINING_METHODS and self.keras_layer:
            self.training.append(node)

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        for event in sequence:
            if event.kind in (steps.CLIP, steps.TF_CLIP) and not event.norm_only:
                self.clipped = True
            elif event.kind in _TRAINING and not event.nested:
                self.training.append(event.site)

    def finish(self) -> None:
        if self.layer is None or self.clipped or not self.training:
            return
        self.flag(self.training[0], f"Recurrent model (`{self.layer}`) is trained without gradient clipping; "
                                    "one exploding gradient can turn the loss NaN")
