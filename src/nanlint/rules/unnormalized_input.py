"""NAN401 unnormalized-input: raw-range data reaching a model without scaling."""

from __future__ import annotations

from typing import Iterator, Set

import libcst as cst

from nanlint import names
from nanlint.rule import Invalid, Rule, Valid
from nanlint.rules.unguarded_log import shown
from nanlint.semantic import values as v
from nanlint.semantic.calls import argument_value


# Keras calls that only run the model forward.
_INFERENCE_METHODS = frozenset({"predict", "evaluate", "predict_on_batch", "test_on_batch"})


class UnnormalizedInput(Rule):
    """
    ## What it does
    Flags data in a large raw range that reaches a model (a call of the model,
    `forward`, or Keras `fit`/`predict`/`evaluate`/`train_on_batch`) with no
    scaling on the way:
    - images from `keras.datasets.{mnist,fashion_mnist,cifar10,cifar100}.load_data()`
      (uint8, 0-255);
    - images read with `cv2.imread`, `np.array(Image.open(...))`,
      `torchvision.io.read_image`, or produced by a `PILToTensor` transform
      pipeline (also through a dataset and a `DataLoader`);
    - inputs explicitly scaled up by a large constant (`torch.randn(...) * 1000`).

    The data is followed through local assignments, reshapes, `astype`/`float()`,
    indexing and unpacking. Any arithmetic that brings it back to unit scale
    (`x / 255.0`), any call the model cannot read (a `normalize` function, a
    scaler's `fit_transform`), a `ToTensor`/`Normalize`/`ConvertImageDtype` step, or
    a model that contains a normalization or rescaling layer (`Rescaling`,
    `Normalization`, `BatchNorm`, ..., a Keras `Lambda` layer that divides, a
    division of a functional model's `keras.Input`, or a division in its own class
    body) makes the rule silent.

    ## Why is this bad?
    Weights are initialized for inputs of about unit scale. Inputs of hundreds
    give first-layer activations and gradients hundreds of times too large: the
    first updates overshoot, activations grow step after step and overflow to
    `inf`, and the loss turns NaN. Even when training does not diverge it is slow
    and erratic, because the learning rate that suits the first layer does not
    suit the others.

    ## Example
    ```python
    (x_train, y_train), _ = keras.datasets.mnist.load_data()
    model = keras.Sequential([layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10)])
    model.fit(x_train, y_train, epochs=5)
    ```

    Use instead:
    ```python
    (x_train, y_train), _ = keras.datasets.mnist.load_data()
    x_train = x_train.astype("float32") / 255.0
    model = keras.Sequential([layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10)])
    model.fit(x_train, y_train, epochs=5)
    ```

    ## Known problems
    Only models the file builds itself are followed (a local `nn.Module` or Keras
    model class, `keras.Sequential`, `keras.Model`, `torch.nn` layers), and models
    loaded with `keras.models.load_model`, which are taken to expect unit-scale
    input (one saved with a `Rescaling` layer inside is reported wrongly); a model
    passed in as a parameter or kept in an attribute is not, nor are
    `keras.applications` and `torchvision.models` networks; a Keras model built on
    a `keras.applications` backbone is not judged, since the backbone sets its own
    input range (raw pixels for VGG and ResNet, but `[-1, 1]` for MobileNet).
    Images collected with `list.append` and stacked into an array are not followed. A model whose class
    body divides anything, or that uses any normalization layer, is assumed to
    normalize its input. Each data source is reported once, at the first place it
    reaches a model.

    ## References
    - LeCun, Bottou, Orr, Müller, "Efficient BackProp" (1998), section 4.3 (normalizing the inputs)
    - Keras docs: `keras.layers.Rescaling`, `keras.layers.Normalization`
    - torchvision docs: `transforms.ToTensor`, `transforms.v2.ToDtype(scale=True)`
    """

    code = "NAN401"
    name = "unnormalized-input"
    message = "Input data in a large raw range reaches the model without scaling; activations and gradients blow up to NaN"
    fix_title = "Scale the input first (`x / 255.0` for pixels, standardize features), or add a `Rescaling`/`Normalization` step"
    triggers = ("load_data", "PILToTensor", "ToImage", "imread", "Image", "read_image", "decode_", "rand", "normal", "uniform")
    default_options = {"magnitude_threshold": 100.0}

    VALID = [
        Valid("import keras\n(x, y), _ = keras.datasets.mnist.load_data()\nx = x.astype('float32') / 255.0\n"
              "model = keras.Sequential([keras.layers.Dense(10)])\nmodel.fit(x, y)"),
        Valid("import keras\n(x, y), _ = keras.datasets.mnist.load_data()\n"
              "model = keras.Sequential([keras.layers.Rescaling(1 / 255), keras.layers.Dense(10)])\nmodel.fit(x, y)"),
        Valid("import torch\nfrom torch import nn\nmodel = nn.Linear(10, 1)\nout = model(torch.randn(8, 10))"),
    ]
    INVALID = [
        Invalid("import keras\n(x, y), _ = keras.datasets.mnist.load_data()\n"
                "model = keras.Sequential([keras.layers.Dense(10)])\nmodel.fit(x, y)", line=4, col=11),
        Invalid("import torch\nfrom torch import nn\nmodel = nn.Linear(10, 1)\nx = torch.randn(8, 10) * 1000\nout = model(x)",
                line=5, col=13),
    ]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._reported: Set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        inference = type(func) is cst.Attribute and func.attr.value in _INFERENCE_METHODS
        for argument in self._model_inputs(node):
            self._check(argument, inference)

    def _model_inputs(self, call: cst.Call) -> Iterator[cst.BaseExpression]:
        func = call.func
        if type(func) is cst.Attribute and func.attr.value in names.MODEL_INPUT_METHODS:
            model = self.semantic.value(func.value)
        elif type(func) is cst.Attribute and self.semantic.is_module_reference(func.value):
            return
        else:
            model = self.semantic.value(func)
        if "model" not in model.tags or "normalizes-input" in model.tags:
            return
        first = argument_value(call, ("x", "input", "inputs"), 0)
        if first is not None:
            yield first

    def _check(self, argument: cst.BaseExpression, inference: bool) -> None:
        value = self.semantic.value(argument)
        magnitude = value.magnitude
        if magnitude is None or magnitude < self.options["magnitude_threshold"]:
            return
        origin = value.origin
        key = id(origin) if origin is not None else id(argument)
        if key in self._reported:
            return
        self._reported.add(key)
        # At inference no gradient flows: what goes wrong is the output, not the training.
        effect = ("activations are far outside the unit scale the network is built for and its outputs are wrong"
                  if inference else "activations and gradients blow up to NaN")
        if v.RAW_PIXELS in value.tags:
            source = f" from `{shown(origin)}`" if isinstance(origin, cst.CSTNode) else ""
            message = (f"`{shown(argument)}` holds raw 0-255 pixel values{source} and reaches the model unscaled: "
                       f"{effect}; divide by 255.0 or add a `Rescaling`/`Normalize` step")
        else:
            scaled = f" (`{shown(origin)}` scaled up)" if isinstance(origin, cst.CSTNode) else ""
            message = (f"`{shown(argument)}` has values of magnitude about {magnitude:g}{scaled} and reaches the model "
                       f"unnormalized: {effect}; scale it to unit range or standardize it")
        self.report(argument, message)
