from __future__ import annotations

from typing import Dict, List, Sequence, Set

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
    Flags training (`backward()`, `apply_gradients`, `minimize`, or Keras `fit` /
    `train_on_batch`) in a function that builds a recurrent layer (`nn.LSTM`,
    `nn.GRU`, `nn.RNN` and their cells; Keras `LSTM`, `GRU`, `SimpleRNN`), or
    creates an instance of a class of the file that builds one, when the file has
    no gradient clipping anywhere: no `clip_grad_norm_`/`clip_grad_value_`, no
    `tf.clip_by_*`, no hand-written `p.grad.clamp_`, and no keyword argument about
    clipping (`clipnorm=`, `clipvalue=`, `global_clipnorm=`, `gradient_clip_val=`,
    `max_grad_norm=`, ...). The finding is on the first training call of that function.

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
    The layer (or the class that builds it) and the training code must be in the
    same function; a model built in one function and trained in another is not
    seen. Clipping configured
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
        self.clipped = False
        # Per function (0 for module level): recurrent layers built there, names it calls,
        # and its training calls, in order.
        self.layers: Dict[int, str] = {}
        self.calls: Dict[int, Set[str]] = {}
        self.training: Dict[int, List[cst.CSTNode]] = {}
        self.keras_layer = False
        self.recurrent_classes: Dict[str, str] = {}  # class name -> layer it builds

    def visit_Call(self, node: cst.Call) -> None:
        key = self.semantic.scopes.function_key()
        qualified = self.qualified_name(node)
        if qualified in names.RECURRENT_LAYERS:
            layer = qualified.rsplit(".", 1)[-1]
            self.layers.setdefault(key, layer)
            self.keras_layer = self.keras_layer or not qualified.startswith("torch.")
            for scope in self.semantic.scopes.scopes:
                if scope.kind == "class" and isinstance(scope.node, cst.ClassDef):
                    self.recurrent_classes.setdefault(scope.node.name.value, layer)
        if any("clip" in keyword.lower() or keyword == "max_grad_norm" for keyword in keyword_names(node)):
            self.clipped = True
        if isinstance(node.func, cst.Name):
            self.calls.setdefault(key, set()).add(node.func.value)
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in _KERAS_TRAINING_METHODS and self.keras_layer:
            self.training.setdefault(key, []).append(node)

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        key = self.semantic.scopes.function_key()
        for event in sequence:
            if event.kind in (steps.CLIP, steps.TF_CLIP) and not event.norm_only:
                self.clipped = True
            elif event.kind in _TRAINING and not event.nested:
                self.training.setdefault(key, []).append(event.site)

    def finish(self) -> None:
        if self.clipped:
            return
        for key, sites in self.training.items():
            layer = self.layers.get(key) or next(
                (self.recurrent_classes[name] for name in sorted(self.calls.get(key, ())) if name in self.recurrent_classes), None)
            if layer is not None and sites:
                self.flag(sites[0], f"Recurrent model (`{layer}`) is trained without gradient clipping; "
                                    "one exploding gradient can turn the loss NaN")
