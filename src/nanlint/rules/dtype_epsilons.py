"""Precision-aware rules: epsilons and mask values that do not survive the working dtype.

NAN501 epsilon-vanishes-in-dtype, NAN502 adam-epsilon-in-half, NAN503
mask-value-overflows-half. Each rounds the constant exactly to the dtype the code
visibly works in (`semantic.precision`) and says in its message what the constant
becomes.
"""

from __future__ import annotations

import math
from typing import List, Optional, Tuple

import libcst as cst

from nanlint import names
from nanlint.rule import Invalid, Rule, Valid, for_operations
from nanlint.semantic.calls import argument_value, dotted_name
from nanlint.semantic.precision import (
    FLOAT32,
    FORMATS,
    Dtype,
    PrecisionTracker,
    is_literal,
    round_to,
    shortest,
    source,
)
from nanlint.semantic.scope import ValueBinding
from nanlint.walker import children

# Evidence that a file can run in reduced precision (every NAN50x finding needs one).
_HALF_TRIGGERS = ("half", "Half", "float16", "autocast")
_FLOOR_KEYWORDS = ("min", "clip_value_min", "a_min", "x_min", "min_value")
_CEILING_KEYWORDS = ("max", "clip_value_max", "a_max", "max_value")
# Frameworks whose arrays are float64 unless the code says otherwise.
_FLOAT64_ROOTS = ("numpy.", "cupy.", "scipy.", "math.")
# A constant added as a guard is small; larger ones are offsets, not epsilons.
_GUARD_LIMIT = 1e-3
# Magnitude above which a constant is a "masking" value (-1e4 fits float16; -1e5 does not).
_MASK_MAGNITUDE = 65504.0


class PrecisionRule(Rule):
    """Base of the NAN50x rules: reads the file's shared `PrecisionTracker`. Has no code."""

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self.precision = context.analysis(PrecisionTracker)

    # --- helpers ---------------------------------------------------------------------

    def constant(self, expr: Optional[cst.BaseExpression]) -> Optional[float]:
        if expr is None:
            return None
        value = self.semantic.constant(expr)
        if value is None:
            value = self.precision.finfo(expr)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def shown(self, expr: cst.BaseExpression, value: float) -> str:
        """`1 - 1e-8` for the literal; `1 - epsilon` (= 0.99999999) when names stand for the numbers."""
        text = source(expr)
        literal = shortest(value, FLOAT32) if round_to(value, FLOAT32) == value else shortest(value)
        if is_literal(expr) or text == literal:
            return f"`{text}`"
        substituted = self._substituted(expr)
        if substituted is not None and substituted != text:
            return f"`{text}` (`{substituted}`)"
        return f"`{text}` (= {literal})"

    def _substituted(self, expr: cst.BaseExpression) -> Optional[str]:
        """`1 - epsilon` -> "1 - 1e-8": the expression with its names replaced by their constants."""
        if is_literal(expr) and type(expr) is not cst.BinaryOperation:
            return source(expr)
        if type(expr) is cst.BinaryOperation and not expr.lpar:
            left, right = self._substituted(expr.left), self._substituted(expr.right)
            if left is None or right is None:
                return None
            operator = source(expr.operator).strip()
            return f"{left} {operator} {right}"
        value = self.constant(expr)
        if value is None:
            return None
        return shortest(value, FLOAT32) if round_to(value, FLOAT32) == value else shortest(value)


def _one_minus(expr: cst.BaseExpression, semantic, depth: int = 0) -> bool:  # type: ignore[no-untyped-def]
    """`1 - eps`, `1.0 - 1e-8`, or a name bound to one."""
    if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Subtract:
        left, right = semantic.constant(expr.left), semantic.constant(expr.right)
        return left == 1 and right is not None and right > 0
    if type(expr) is cst.Name and depth < 3:
        binding = semantic.scopes.lookup(expr.value)
        if isinstance(binding, ValueBinding) and isinstance(binding.node, cst.BaseExpression):
            return _one_minus(binding.node, semantic, depth + 1)
    return False


class EpsilonVanishesInDtype(PrecisionRule):
    """
    ## What it does
    Flags a guard constant that rounds away in the dtype the code works in:
    - the upper bound of `clamp(p, eps, 1 - eps)` / `clip(...)` / `clip_by_value(...)`
      when `1 - eps` rounds to exactly 1.0 (in float32, any `eps` up to about
      3e-8, such as `1e-8`; in float16, up to about 2.4e-4);
    - a positive lower bound of such a clamp that rounds to 0.0 (`1e-8` in float16);
    - `x + eps` where `x` is visibly float16 (`.half()`, `.to(torch.float16)`,
      `dtype=torch.float16`, a network output under `torch.autocast`, or
      `torch.set_default_dtype(torch.float16)`) and `eps` rounds to 0.0 there.

    The rounding is evaluated exactly (round to nearest, ties to even, with
    subnormals) and the message says what the constant becomes. PyTorch, TensorFlow,
    Keras and JAX arrays are taken to be float32 unless the code shows another dtype;
    NumPy arrays float64, where only an epsilon that Python itself already lost
    (`1 - 1e-20 == 1.0`) is reported. A clamp of `torch.rand(...)` /
    `np.random.rand(...)` is not judged on its upper bound: those samples are
    below 1 anyway.

    ## Why is this bad?
    A Python scalar meets a tensor in the tensor's dtype. `1 - 1e-8` is 0.99999999
    in Python, but the nearest float32 is 1.0, so `torch.clamp(p, 1e-8, 1 - 1e-8)`
    lets `p` reach exactly 1 and `log(1 - p)` is `-inf`: the loss is `inf` and its
    gradient NaN. In float16 the smallest positive number is about 6e-8, so
    `1e-8` is 0 and `x + 1e-8` no longer keeps `x` away from 0: `log` gives
    `-inf` and a division gives `inf`.

    ## Example
    ```python
    def binary_cross_entropy(outputs, targets, epsilon=1e-8):
        outputs = torch.clamp(outputs, epsilon, 1 - epsilon)
        return -(targets * torch.log(outputs) + (1 - targets) * torch.log(1 - outputs)).mean()
    ```

    Use instead:
    ```python
    def binary_cross_entropy(outputs, targets, epsilon=1e-7):
        outputs = torch.clamp(outputs, epsilon, 1 - epsilon)  # 1 - 1e-7 is 0.99999988 in float32
        return -(targets * torch.log(outputs) + (1 - targets) * torch.log(1 - outputs)).mean()
    ```
    or, better, keep the logits and use `F.binary_cross_entropy_with_logits`.
    For float16 use an epsilon of at least about 1e-4, or `torch.finfo(x.dtype).eps`.

    ## Known problems
    The dtype is read from the source: a tensor whose dtype is not visible is taken to
    be its framework's default (float32), so an epsilon that vanishes only in float16
    is reported only where float16 is visible. A `.clip()` method call is taken to
    be NumPy's (float64) unless the operand is visibly a float32 or float16 tensor.

    ## References
    - IEEE 754 binary32 and binary16 formats (machine epsilon 2**-23 and 2**-10)
    - PyTorch docs: `torch.finfo`
    - Micikevicius et al., "Mixed Precision Training" (2018)
    """

    code = "NAN501"
    name = "epsilon-vanishes-in-dtype"
    message = "Epsilon rounds away in the working dtype; the guard it was meant to be does not hold"
    fix_title = "Use an epsilon the dtype can represent (float32: 1e-7 next to 1; float16: 1e-4), or `torch.finfo(dtype).eps`"
    triggers = ("clamp", "clip", *_HALF_TRIGGERS, "set_floatx")

    VALID = [
        Valid("import torch\np = torch.clamp(p, 1e-7, 1 - 1e-7)"),
        Valid("import numpy as np\np = np.clip(p, 1e-8, 1 - 1e-8)"),
        Valid("import torch\np = torch.clamp(p, 0.0, 1.0)"),
        Valid("import torch\ny = torch.log(x + 1e-8)"),
        Valid("import torch\nx = h.half()\ny = torch.log(x + 1e-4)"),
    ]
    INVALID = [
        Invalid("import torch\noutputs = torch.clamp(outputs, 1e-8, 1 - 1e-8)", line=2, col=11),
        Invalid("import tensorflow as tf\np = tf.clip_by_value(p, 1e-10, 1.0 - 1e-10)", line=2, col=5),
        Invalid("import torch\ndef bce(p, y, eps=1e-8):\n    p = p.clamp(eps, 1 - eps)\n    return p", line=3, col=9),
        Invalid("import torch\nx = h.half()\ny = torch.log(x + 1e-8)", line=3, col=15),
        Invalid("import torch\nx = h.to(torch.float16)\np = x.sigmoid().clamp(1e-5, 1 - 1e-5)", line=3, col=5),
    ]

    @for_operations("clamp")
    def visit_Call(self, node: cst.Call) -> None:
        if self.operation(node) == "clamp":
            self._check_clamp(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) is not cst.Add:
            return
        for guard, other in ((node.right, node.left), (node.left, node.right)):
            eps = self.constant(guard)
            if eps is None or not 0 < eps < _GUARD_LIMIT or self.constant(other) is not None:
                continue
            dtype = self.precision.dtype_of(other) or self.precision.default_dtype
            if dtype is None or not dtype.low or round_to(eps, dtype.format) != 0:
                continue
            self.report(
                node,
                f"{self.shown(guard, eps)} is 0.0 in {dtype.name} ({dtype.evidence}): `{source(other)} + "
                f"{source(guard)}` is still 0 where `{source(other)}` is 0, so the guard does not keep it "
                "from `log(0)` or a division by 0",
            )
            return

    def _check_clamp(self, call: cst.Call) -> None:
        method = self.semantic.is_method_call(call)
        floor_position = 0 if method else 1
        func_name = call.func.attr.value if type(call.func) is cst.Attribute else ""
        floor_expr = argument_value(call, _FLOOR_KEYWORDS, floor_position)
        ceiling_expr = None if "min" in func_name else argument_value(call, _CEILING_KEYWORDS, floor_position + 1)
        dtype = self._working_dtype(call)
        if dtype is None:
            return
        fmt = dtype.format
        ceiling = self.constant(ceiling_expr)
        operand = self.semantic.operand(call)
        if operand is not None and self._below_one(operand):
            ceiling = None  # `torch.rand(...)` is below 1 whatever the clamp's upper bound
        if ceiling_expr is not None and ceiling is not None and 0.5 < ceiling <= 1:
            if round_to(ceiling, fmt) >= 1.0 and (ceiling < 1 or _one_minus(ceiling_expr, self.semantic)):
                self.report(
                    call,
                    f"{self.shown(ceiling_expr, ceiling)} is 1.0 in {dtype.name} ({dtype.evidence}): the clamp does not "
                    "keep values below 1, so `1 - p` can be 0 and `log(1 - p)` is -inf",
                )
                return
        floor = self.constant(floor_expr)
        if floor_expr is not None and floor is not None and 0 < floor < _GUARD_LIMIT and round_to(floor, fmt) == 0:
            self.report(
                call,
                f"{self.shown(floor_expr, floor)} is 0.0 in {dtype.name} ({dtype.evidence}): the clamp keeps 0 in range, "
                "so `log(p)` can be -inf and `1 / p` inf",
            )

    def _below_one(self, expr: cst.BaseExpression) -> bool:
        """A uniform sample in [0, 1) (`torch.rand`, `np.random.rand`), through local names."""
        for _ in range(4):
            if type(expr) is cst.Name:
                binding = self.semantic.scopes.lookup(expr.value)
                if not (isinstance(binding, ValueBinding) and isinstance(binding.node, cst.BaseExpression)):
                    return False
                expr = binding.node
                continue
            if type(expr) is cst.Call:
                qualified = self.qualified_name(expr)
                if qualified in names.UNIT_UNIFORM_SAMPLERS:
                    if not qualified.endswith(".uniform"):
                        return True
                    # the upper end: np.random.uniform(low, high), tf.random.uniform(shape, minval, maxval),
                    # jax.random.uniform(key, shape, dtype, minval, maxval)
                    position = 4 if qualified.startswith("jax.random") else 2 if qualified.startswith(
                        ("tensorflow.", "keras.")) else 1
                    return argument_value(expr, ("maxval", "high"), position) is None
            return False
        return False

    def _working_dtype(self, call: cst.Call) -> Optional[Dtype]:
        operand = self.semantic.operand(call)
        found = self.precision.dtype_of(operand) if operand is not None else None
        if found is not None:
            return found
        if self.precision.default_dtype is not None:
            return self.precision.default_dtype
        qualified = self.qualified_name(call)
        if qualified is None:
            method = call.func.attr.value if type(call.func) is cst.Attribute else ""
            if method.startswith("clamp"):
                return Dtype("float32", "PyTorch's default dtype")
            return Dtype("float64", "`.clip()` may be NumPy's")  # only what vanishes even in float64
        if qualified.startswith(_FLOAT64_ROOTS):
            return Dtype("float64", "NumPy's default dtype")
        if qualified.startswith("torch."):
            return Dtype("float32", "PyTorch's default dtype")
        if qualified.startswith(("tensorflow.", "keras.", "tf_keras.")):
            return Dtype("float32", "TensorFlow's default dtype")
        if qualified.startswith(("jax.", "flax.")):
            return Dtype("float32", "JAX's default dtype")
        return None


class AdamEpsilonInHalf(PrecisionRule):
    """
    ## What it does
    Flags an Adam-family optimizer (Adam, AdamW, Adamax, NAdam, RAdam, RMSprop,
    Adagrad, Adadelta; PyTorch, Keras and TF1 spellings) whose epsilon, given or
    default, is 0.0 in float16, on parameters that are visibly float16: a model
    converted with `.half()` / `.to(torch.float16)` in the same scope, class or
    module (before or after the optimizer is created), or a program-wide default of
    float16 (`torch.set_default_dtype(torch.float16)`,
    `keras.backend.set_floatx("float16")`).

    ## Why is this bad?
    Adam divides by `sqrt(v) + eps`. Its state has the parameters' dtype, and in
    float16 the default `eps=1e-8` is exactly 0 (the smallest float16 is about
    6e-8). Small gradients square to 0 in float16, so `sqrt(v)` is 0 too and the
    update is `m / 0`: `inf`, or NaN when `m` is 0 as well. One such step puts
    `inf`/NaN into the weights.

    ## Example
    ```python
    model = Net().cuda().half()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ```

    Use instead:
    ```python
    model = Net().cuda()  # keep float32 master weights
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scaler = torch.cuda.amp.GradScaler()  # and run the forward pass under torch.autocast
    ```
    or, if the weights must be float16, an epsilon float16 can hold (`eps=1e-4`).

    ## Known problems
    `fused=True` optimizers do their arithmetic in float32 and are not flagged. A
    model converted in another file or by a framework (`accelerate`, Lightning
    `precision="16-true"`) is not seen.

    ## References
    - Kingma and Ba, "Adam: A Method for Stochastic Optimization" (2015), Algorithm 1
    - PyTorch docs: `torch.optim.Adam` (`eps`), Automatic Mixed Precision
    - Keras docs: `keras.optimizers.Adam` (`epsilon`), `keras.backend.set_floatx`
    """

    code = "NAN502"
    name = "adam-epsilon-in-half"
    message = "Optimizer epsilon is 0.0 in float16, the parameters' dtype; the update divides by 0"
    fix_title = "Keep float32 master weights and use `torch.autocast` with a `GradScaler`, or set `eps=1e-4`"
    triggers = ("half", "Half", "float16")

    VALID = [
        Valid("import torch\nmodel = Net().cuda()\nopt = torch.optim.Adam(model.parameters())"),
        Valid("import torch\nmodel = Net().half()\nopt = torch.optim.Adam(model.parameters(), eps=1e-4)"),
        Valid("import torch\nmodel = Net().bfloat16()\nopt = torch.optim.Adam(model.parameters())"),
    ]
    INVALID = [
        Invalid("import torch\nmodel = Net().cuda().half()\nopt = torch.optim.Adam(model.parameters(), lr=1e-3)",
                line=3, col=7),
        Invalid("from torch import optim\nmodel = Net()\nopt = optim.AdamW(model.parameters())\nmodel.half()",
                line=3, col=7),
    ]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        # (call, optimizer, eps, eps text, provenance dtype, where the parameters' owner is named)
        self._candidates: List[Tuple[cst.Call, str, float, str, Optional[Dtype], Optional[tuple]]] = []

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.qualified_name(node)
        spec = names.OPTIMIZER_EPSILON.get(qualified or "")
        if spec is None:
            return
        keyword, position, default = spec
        fused = argument_value(node, ("fused",))
        if type(fused) is cst.Name and fused.value == "True":
            return
        eps_expr = argument_value(node, (keyword,), position)
        eps = self.constant(eps_expr) if eps_expr is not None else default
        if eps is None or eps <= 0:
            return
        if eps_expr is not None:
            text = self.shown(eps_expr, eps)
        else:
            text = f"`{keyword}={shortest(default)}` (the default)"
        owner = self._parameters_owner(node)
        provenance = self.precision.dtype_of(owner) if owner is not None else None
        place = self.precision.place(dotted_name(owner)) if owner is not None and dotted_name(owner) else None
        self._candidates.append((node, qualified.rsplit(".", 1)[-1], eps, text, provenance, place))  # type: ignore[union-attr]

    def leave_Module(self, original_node: cst.Module) -> None:
        for call, optimizer, eps, text, provenance, place in self._candidates:
            dtype = provenance
            if dtype is None and place is not None:
                conversions = self.precision.matching(place)
                dtype = conversions[-1].dtype if conversions else None
            if dtype is None:
                dtype = self.precision.default_dtype
            if dtype is None or not dtype.low or round_to(eps, dtype.format) != 0:
                continue
            self.report(
                call,
                f"`{optimizer}` epsilon {text} is 0.0 in {dtype.name}, the parameters' dtype ({dtype.evidence}): "
                "where `sqrt(v)` is 0 the update divides by 0 and the weights become inf/NaN",
            )

    def _parameters_owner(self, call: cst.Call) -> Optional[cst.BaseExpression]:
        """`model` in `Adam(model.parameters())`, `Adam(filter(f, model.parameters()))`, param groups."""
        params = argument_value(call, ("params",), 0)
        if params is None:
            return None
        stack: List[cst.CSTNode] = [params]
        while stack:
            node = stack.pop()
            if (type(node) is cst.Call and type(node.func) is cst.Attribute
                    and node.func.attr.value in ("parameters", "named_parameters")):
                return node.func.value
            stack.extend(reversed(children(node)))  # `node.children`, without libcst rebuilding the node
        return None


class MaskValueOverflowsHalf(PrecisionRule):
    """
    ## What it does
    Flags a masking constant that overflows the dtype the masked tensor visibly has:
    `masked_fill(mask, -1e9)`, `torch.where(mask, scores, -1e9)`,
    `torch.full_like(scores, -1e9)`, or an additive mask `mask * -1e9`, where the
    tensor is float16 (any constant beyond 65504, such as `-1e5`, `-1e9` or
    `torch.finfo(torch.float32).min`) or bfloat16 (`torch.finfo(torch.float32).min`).
    Evidence of the dtype: an explicit conversion (`.half()`, `.to(torch.float16)`,
    `dtype=torch.float16`), a matrix product or network output computed under
    `torch.autocast`, a Keras `mixed_float16` policy or float16 default, or, for code
    in a `torch.nn.Module` subclass, a model converted to half precision elsewhere in
    the same file.

    ## Why is this bad?
    The constant becomes `-inf` in float16. `masked_fill` then refuses the value
    ("value cannot be converted to type at::Half without overflow"), and an additive
    mask turns every masked score into `-inf`: a row where everything is masked
    (padding) is all `-inf`, and its softmax is `exp(-inf) / 0`, NaN, which spreads
    through the next layers into the loss.

    ## Example
    ```python
    with torch.autocast("cuda"):
        scores = q @ k.transpose(-2, -1)
        scores = scores.masked_fill(mask == 0, -1e9)
    ```

    Use instead:
    ```python
    with torch.autocast("cuda"):
        scores = q @ k.transpose(-2, -1)
        scores = scores.masked_fill(mask == 0, torch.finfo(scores.dtype).min)
    ```

    ## Known problems
    `float("-inf")` masks are not flagged: they are the same in every dtype, and
    whether a row can be fully masked is not visible in the source.

    ## References
    - PyTorch docs: Automatic Mixed Precision (`torch.autocast` op lists), `torch.finfo`
    - Keras mixed precision guide (masking values in float16)
    """

    code = "NAN503"
    name = "mask-value-overflows-half"
    message = "Mask value overflows the reduced-precision dtype to -inf; fully masked rows become NaN"
    fix_title = "Use `torch.finfo(scores.dtype).min` (or -1e4 in float16) as the mask value"
    triggers = _HALF_TRIGGERS

    VALID = [
        Valid("import torch\nscores = (q @ k.T).masked_fill(mask, -1e9)"),
        Valid("import torch\nwith torch.autocast('cuda'):\n    s = q @ k.T\n    s = s.masked_fill(mask, torch.finfo(s.dtype).min)"),
        Valid("import torch\nwith torch.autocast('cuda', dtype=torch.bfloat16):\n    s = q @ k.T\n    s = s.masked_fill(mask, -1e9)"),
    ]
    INVALID = [
        Invalid("import torch\nwith torch.autocast('cuda'):\n    s = q @ k.T\n    s = s.masked_fill(mask, -1e9)", line=4, col=29),
        Invalid("import torch\nx = scores.half()\ny = x.masked_fill(mask, torch.finfo(torch.float32).min)", line=3, col=25),
    ]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._model_classes: set = set()
        # sites in model classes whose dtype was not visible: (value node, value, tensor text)
        self._deferred: List[Tuple[cst.BaseExpression, float, str]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            qualified = self.qualified_name(base.value) or ""
            if qualified.startswith("torch.nn.") or (
                    qualified.startswith("<local>.") and qualified[len("<local>."):] in self._model_classes):
                self._model_classes.add(node.name.value)

    def visit_Call(self, node: cst.Call) -> None:
        site = self._mask_site(node)
        if site is not None:
            self._check(*site)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) is not cst.Multiply:
            return
        for value_expr, tensor in ((node.right, node.left), (node.left, node.right)):
            value = self.constant(value_expr)
            if value is not None and abs(value) > _MASK_MAGNITUDE and self.constant(tensor) is None:
                self._check(tensor, value_expr, value)
                return

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self._deferred:
            return
        converted = [c for c in self.precision.conversions if c.dtype.low and c.model]
        if not converted:
            return
        dtype = converted[0].dtype
        for value_expr, value, tensor_text in self._deferred:
            if math.isinf(round_to(value, dtype.format)):
                self._report(value_expr, value, tensor_text, Dtype(dtype.name, f"the file converts a model with "
                                                                   f"`{source(converted[0].node)}`"))

    def _mask_site(self, call: cst.Call) -> Optional[Tuple[cst.BaseExpression, cst.BaseExpression, float]]:
        """(masked tensor, value expression, value) for masked_fill / where / full_like."""
        method = call.func.attr.value if type(call.func) is cst.Attribute else None
        qualified = self.qualified_name(call)
        pairs: List[Tuple[Optional[cst.BaseExpression], Optional[cst.BaseExpression]]] = []
        if method in ("masked_fill", "masked_fill_") and qualified is None:
            pairs.append((call.func.value, argument_value(call, ("value",), 1)))  # type: ignore[union-attr]
        elif qualified == "torch.masked_fill":
            pairs.append((argument_value(call, ("input",), 0), argument_value(call, ("value",), 2)))
        elif qualified == "torch.full_like":
            pairs.append((argument_value(call, ("input",), 0), argument_value(call, ("fill_value",), 1)))
        elif self.operation(call) == "where":
            first, second = argument_value(call, ("input", "x"), 1), argument_value(call, ("other", "y"), 2)
            pairs += [(first, second), (second, first)]
        for tensor, value_expr in pairs:
            if tensor is None or value_expr is None:
                continue
            value = self.constant(value_expr)
            if value is not None and abs(value) > _MASK_MAGNITUDE and not math.isinf(value):
                return tensor, value_expr, value
        return None

    def _check(self, tensor: cst.BaseExpression, value_expr: cst.BaseExpression, value: float) -> None:
        if math.isinf(value):
            return
        dtype = self.precision.dtype_of(tensor) or self.precision.compute_dtype
        if dtype is not None:
            if dtype.low and math.isinf(round_to(value, dtype.format)):
                self._report(value_expr, value, source(tensor), dtype)
            return
        if self._in_model_class():
            self._deferred.append((value_expr, value, source(tensor)))

    def _in_model_class(self) -> bool:
        for scope in reversed(self.semantic.scopes.scopes):
            if scope.kind == "class":
                return isinstance(scope.node, cst.ClassDef) and scope.node.name.value in self._model_classes
        return False

    def _report(self, value_expr: cst.BaseExpression, value: float, tensor_text: str, dtype: Dtype) -> None:
        fmt = FORMATS[dtype.name]
        largest = str(int(fmt.max_finite)) if fmt.max_finite < 1e6 else shortest(fmt.max_finite, fmt)
        self.report(
            value_expr,
            f"Mask value {self.shown(value_expr, value)} is -inf in {dtype.name} (largest finite {largest}), "
            f"the dtype of `{tensor_text}` ({dtype.evidence}): a fully masked row's softmax is NaN",
        )

