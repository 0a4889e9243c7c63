"""Operations evaluated at the edge of their domain: NAN109 sqrt-of-possibly-zero,
NAN110 fractional-power-of-negative, NAN111 inverse-trig-at-domain-edge."""

from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from nanlint.rule import Invalid, Valid, for_operations
from nanlint.rules._numerics import NumericsRule, float32, source, strip_parens, token_triggers
from nanlint.semantic import values as v
from nanlint.semantic.calls import argument_value, string_value
from nanlint.semantic.values import Value

_ARRAY_FRAMEWORKS = frozenset({"torch", "tensor", "tensorflow", "keras", "jax", "autograd", "numpy", "cupy"})


def _number(number: float) -> str:
    return f"{number:g}"


def zero_reason(rule: NumericsRule, operand: cst.BaseExpression) -> Optional[str]:
    """Why `operand` is non-negative and realistically reaches exactly 0, or None.

    Only evidence that makes 0 common counts: a (sum or mean of) squared differences
    (0 wherever the two sides meet: the diagonal of a pairwise distance, a perfect fit),
    a clamp at exactly 0 (the author expected values at or below 0), and `1 - p` for a
    probability. A norm of a single vector is 0 only for an all-zero vector and is not
    reported. Values with `.data`, `.detach()` or `.item()` on the way carry no gradient."""
    value = rule.semantic.value(operand)
    if value.positive or value.guarded or rule.detached(operand):
        return None
    if rule.distance_like(operand) and (value.lo is None or value.lo >= 0):
        return "a sum of squared differences is 0 where the two sides are equal"
    if value.zero is not None and value.zero.kind in (v.CLAMPED_AT_ZERO, v.DIFFERENCE) and value.lo is not None and value.lo >= 0:
        return value.zero.reason
    return None


class SqrtOfPossiblyZero(NumericsRule):
    """
    ## What it does
    Flags `sqrt` of a value that is non-negative and commonly exactly 0, in
    PyTorch, TensorFlow, Keras or JAX code (not NumPy or `math`, not under
    `torch.no_grad()`, not through `.data`/`.detach()`):
    - anywhere, a pairwise squared distance built by broadcasting
      (`sqrt(((x[:, None] - y[None]) ** 2).sum(-1))`, `unsqueeze`/`expand_dims`
      pairs), whose diagonal is exactly 0;
    - in code that gradients flow through (a method of a network class such as
      `nn.Module`, `keras.Model`, `flax.linen.Module` or a LightningModule, or a
      function named like a loss), also a sum or mean of squared differences
      (`sqrt(((a - b) ** 2).sum(-1))`, an RMSE), a value clamped at exactly 0
      (`d2.clamp(min=0).sqrt()`), and `1 - p` for a probability.

    In TensorFlow and JAX it also flags `norm` of a difference (`tf.norm(a - b)`,
    `jnp.linalg.norm(x - y, axis=-1)`) under the same conditions: its gradient is
    NaN at 0.

    ## Why is this bad?
    The derivative of `sqrt(u)` is `1 / (2 * sqrt(u))`, which is `inf` at `u = 0`;
    the chain rule then multiplies it by `du/dx = 0` and produces `0 * inf = NaN`.
    A single pair of identical points (the diagonal of a pairwise distance matrix,
    a padded row, a perfect prediction) makes every gradient NaN. The forward
    value looks fine, so the bug only shows up in the weights.

    ## Example
    ```python
    dist = torch.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    ```

    Use instead:
    ```python
    dist = torch.sqrt(((a[:, None] - b[None]) ** 2).sum(-1) + 1e-12)
    # or torch.cdist(a, b), whose gradient at 0 is defined as 0
    ```

    ## Known problems
    PyTorch's own `norm`, `linalg.vector_norm` and `cdist` return a zero
    subgradient at 0 and are not flagged. The norm of a single vector
    (`(x ** 2).sum(-1).sqrt()`) is 0 only for an all-zero vector and is not
    reported. Apart from pairwise distances, values in helper functions outside
    network classes are not seen; neither are feature extractors, metrics and
    schedulers, which are differentiable in principle but not differentiated. Inputs normalized
    inside a network (`sqrt(var.clamp(min=0))` of the raw input) are reported
    although no gradient reaches raw inputs.

    ## References
    - PyTorch issue #2421: "Gradient of zero norm is nan"
    - TensorFlow issue #12071: "Numerical instability of gradient calculation of tf.norm (nan at 0)"
    - PyTorch pull request #2775: "Norm subgradient at 0" (and why `.pow(2).sum().sqrt()` stays NaN)
    """

    code = "NAN109"
    name = "sqrt-of-possibly-zero"
    message = "`sqrt` of a value that can be 0 has an infinite gradient there, and the weights turn NaN"
    fix_title = "Add a small epsilon inside the root (`sqrt(x + 1e-12)`) or clamp it (`x.clamp(min=1e-12)`)"
    triggers = token_triggers("sqrt", "norm")

    VALID = [
        Valid("import torch\ndef pair_loss(a, b):\n    return torch.sqrt(((a - b) ** 2).sum(-1) + 1e-12).mean()"),
        Valid("import numpy as np\ndef pair_loss(a, b):\n    return np.sqrt(((a - b) ** 2).sum(-1)).mean()"),
        Valid("import torch\ndef pair_loss(a, b):\n    with torch.no_grad():\n        d = torch.sqrt(((a - b) ** 2).sum(-1))\n    return d"),
        Valid("import torch\ndef pair_loss(a, b):\n    return torch.norm(a - b, dim=-1).mean()"),
        Valid("import torch\ndef feature_distance(a, b):\n    return torch.sqrt(((a - b) ** 2).sum(-1))"),
        Valid("import torch\nclass Norm(torch.nn.Module):\n    def forward(self, x):\n        return (x ** 2).sum(-1).sqrt()"),
    ]
    INVALID = [
        Invalid("import torch\ndef contrastive_loss(a, b):\n    d = torch.sqrt(((a - b) ** 2).sum(-1))\n    return d.mean()",
                line=3, col=9),
        Invalid("import torch\nclass PairwiseDistance(torch.nn.Module):\n    def forward(self, x2, y2, xy):\n"
                "        d2 = (x2 + y2 - 2 * xy).clamp(min=0)\n        return d2.sqrt()", line=5, col=16),
        Invalid("import tensorflow as tf\ndef triplet_loss(a, p):\n    return tf.norm(a - p, axis=-1)", line=3, col=12),
    ]

    @for_operations("sqrt", "norm")
    def visit_Call(self, node: cst.Call) -> None:
        op = self.operation(node)
        if op == "sqrt":
            self._check_sqrt(node)
        elif op == "norm":
            self._check_norm(node)

    def _check_sqrt(self, node: cst.Call) -> None:
        if not self.differentiable(node):
            return
        operand = self.single_operand(node)
        if operand is None:
            return
        if not self.in_training_code:
            # Outside a model or a loss only a pairwise distance counts: its diagonal is exactly 0.
            difference = self.distance_like(operand)
            if difference is None or not self.broadcast_pair(difference) or zero_reason(self, operand) is None:
                return
            self.report(node, message="`sqrt` of a pairwise squared distance is 0 on its diagonal, where its gradient "
                                      "is infinite and the weights turn NaN")
            return
        reason = zero_reason(self, operand)
        if reason is not None:
            self.report(node, message=f"`sqrt` of a value that can be 0 ({reason}) has an infinite gradient there, "
                                      "and the weights turn NaN")

    def _check_norm(self, node: cst.Call) -> None:
        framework = self.framework(node)
        if framework not in ("tensorflow", "keras", "jax") or not self.differentiable(node):
            return
        order = argument_value(node, ("ord",), 1)
        if order is not None and not (self.is_constant(order, 2) or string_value(order) in ("euclidean", "fro")):
            return
        operand = self.semantic.operand(node)
        if operand is None:
            return
        difference = self.difference(operand)
        if difference is None or self.detached(operand):
            return
        if self.in_training_code or self.broadcast_pair(difference):
            self.report(node, message="`norm` of a difference is 0 where the two values meet, and its gradient "
                                      "there is NaN in TensorFlow and JAX")


class FractionalPowerOfNegative(NumericsRule):
    """
    ## What it does
    Flags `x ** p`, `pow(x, p)`, `torch.pow(x, p)`, `x.pow(p)` with a constant
    fractional exponent `p` (0.5, 1/3, 1.5, -0.5, ...) when the base can be
    negative (a raw model output, a difference of two array values) or, with
    `p < 1`, can be exactly 0 in differentiable code (a sum of squares, a
    variance, a value clamped at 0).

    ## Why is this bad?
    A negative number has no real fractional power: PyTorch, NumPy, TensorFlow
    and JAX return NaN. At 0 the power is fine but its derivative
    `p * x ** (p - 1)` is `inf` for `p < 1`, and `0 * inf` in the chain rule is
    NaN; with `p < 0` the value itself is `inf`.

    ## Example
    ```python
    def rmse_loss(pred, target):
        return torch.mean((pred - target) ** 2) ** 0.5

    def root_loss(pred, target):
        return torch.pow(pred - target, 0.5).mean()
    ```

    Use instead:
    ```python
    def rmse_loss(pred, target):
        return (torch.mean((pred - target) ** 2) + 1e-12) ** 0.5

    def root_loss(pred, target):
        return torch.pow((pred - target).clamp(min=1e-12), 0.5).mean()
    ```

    ## Known problems
    Exponents that are not literal constants (a learned `p`) are not checked.
    A difference is reported only when it is visibly made of array operations;
    Python floats raise no NaN (they give a complex number).

    ## References
    - PyTorch docs: `torch.pow`
    - PyTorch issue #44452: "norm can't backpropagate with 0<p<1"
    """

    code = "NAN110"
    name = "fractional-power-of-negative"
    message = "Fractional power of a value that can be negative is NaN"
    fix_title = "Clamp the base into the domain first (`x.clamp(min=eps) ** p`), or use `sign(x) * abs(x) ** p`"
    triggers = ("**", "pow", "power")

    VALID = [
        Valid("import torch\ny = (x.clamp(min=1e-6)) ** 0.5"),
        Valid("import torch\ny = torch.relu(x) ** 2"),
        Valid("import torch\ny = (a - b) ** 2"),
        Valid("import torch\ny = (torch.var(x) + 1e-5) ** 0.5"),
        Valid("y = (a - b) ** 0.5"),
    ]
    INVALID = [
        Invalid("import torch\nmodel = torch.nn.Linear(4, 1)\nout = model(x)\ny = out ** 0.5", line=4, col=5),
        Invalid("import torch\ndef distance_loss(a, b):\n    return torch.pow(torch.sum((a - b) ** 2, dim=-1), 0.5).mean()",
                line=3, col=12),
        Invalid("import torch\ny = (torch.tanh(a) - torch.tanh(b)).pow(1.5)", line=2, col=5),
        Invalid("import numpy as np\ny = (np.log(a) - np.log(b)) ** 0.25", line=2, col=5),
    ]

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) is cst.Power:
            self._check(node, node.left, node.right, None)

    @for_operations("pow")
    def visit_Call(self, node: cst.Call) -> None:
        if self.operation(node) != "pow":
            return
        method = self.semantic.is_method_call(node)
        base = self.semantic.operand(node)
        exponent = argument_value(node, ("exponent", "y", "x2", "exp"), 0 if method else 1)
        if base is not None and exponent is not None:
            self._check(node, base, exponent, node)

    def _check(self, node: cst.CSTNode, base: cst.BaseExpression, exponent: cst.BaseExpression,
               call: Optional[cst.Call]) -> None:
        p = self.semantic.constant(exponent)
        if p is None or float(p).is_integer():
            return
        value = self.semantic.value(base)
        if value.guarded or value.positive:
            return
        call_framework = self.framework(call) if call is not None else None
        negative = self._negative_reason(base, value, call_framework in _ARRAY_FRAMEWORKS)
        if negative is not None:
            self.report(node, message=f"Fractional power `** {_number(p)}` of a value that can be negative "
                                      f"({negative}) is NaN")
            return
        reason = zero_reason(self, base)
        if reason is None:
            return
        framework = call_framework if call_framework in _ARRAY_FRAMEWORKS else self.producing_framework(base)
        if framework not in _ARRAY_FRAMEWORKS:
            return
        if p < 0:
            self.report(node, message=f"Negative fractional power `** {_number(p)}` of a value that can be 0 "
                                      f"({reason}) is `inf`")
        elif p < 1 and framework not in ("numpy", "cupy") and not self.in_no_grad and self._gradient_reaches(base):
            self.report(node, message=f"Fractional power `** {_number(p)}` of a value that can be 0 "
                                      f"({reason}) has an infinite gradient there, and the weights turn NaN")

    def _gradient_reaches(self, base: cst.BaseExpression) -> bool:
        """Training code, or a pairwise distance anywhere (its diagonal is exactly 0)."""
        if self.in_training_code:
            return True
        difference = self.distance_like(base)
        return difference is not None and self.broadcast_pair(difference)

    def _negative_reason(self, base: cst.BaseExpression, value: Value, array_call: bool) -> Optional[str]:
        """A raw model output, or a difference of two arrays (of any two values under `torch.pow`,
        `x.pow`): Python floats give a complex number rather than NaN, so `**` needs array sides."""
        if value.lo is not None and value.lo >= 0:
            return None
        if value.zero is not None and value.zero.kind == v.MODEL_OUTPUT:
            return "a raw model output"
        found = self.difference(base)
        if found is None:
            return None
        if array_call or all(self._array_valued(side) for side in (found.left, found.right)):
            return f"`{_short(found)}` is a difference"
        return None

    def _array_valued(self, expr: cst.BaseExpression) -> bool:
        return self.producing_framework(expr) in _ARRAY_FRAMEWORKS or "model-output" in self.semantic.value(expr).tags


def _short(expr: cst.BaseExpression) -> str:
    text = source(strip_parens(expr))
    return text if len(text) <= 40 else text[:37] + "..."


class InverseTrigAtDomainEdge(NumericsRule):
    """
    ## What it does
    Flags `acos`/`arccos`, `asin`/`arcsin` and `atanh`/`arctanh` of a value that
    can reach ±1: a cosine similarity (`F.cosine_similarity`, a dot product of
    `F.normalize`d vectors, `a @ b.T` of normalized rows) that is not clamped,
    or a value clamped to exactly `[-1, 1]` (or to bounds such as `1 - 1e-8` that
    round to 1.0 in float32) in code that gradients flow through (a method of a
    network class, or a function named like a loss).

    ## Why is this bad?
    Rounding makes a cosine similarity of parallel vectors come out as
    `1.0000001`, and `acos(1.0000001)` is NaN. Clamping to exactly `[-1, 1]` fixes
    the value but not the gradient: `d/dx acos(x) = -1 / sqrt(1 - x**2)` is
    `-inf` at ±1, so identical embeddings give NaN gradients (and `atanh(±1)` is
    `±inf` itself). The clamp must stay strictly inside the domain, by a margin
    that survives float32: `1 - 1e-7` does, `1 - 1e-8` rounds to 1.0.

    ## Example
    ```python
    angle = torch.acos(F.cosine_similarity(a, b, dim=-1))
    ```

    Use instead:
    ```python
    eps = 1e-6
    angle = torch.acos(F.cosine_similarity(a, b, dim=-1).clamp(-1 + eps, 1 - eps))
    ```

    ## Known problems
    Cosines computed in a helper function are not recognised. In NumPy a clamp
    to exactly `[-1, 1]` is correct (there is no gradient) and is not flagged.

    ## References
    - PyTorch docs: `torch.acos`, `torch.nn.functional.cosine_similarity`
    - PyTorch pull request #29513: "Restrict cosine_similarity max value to 1.0"
    - QData/TextAttack pull request #804: clamping a cosine similarity before `torch.acos`
    """

    code = "NAN111"
    name = "inverse-trig-at-domain-edge"
    message = "Inverse trig function of a value that can reach ±1 is NaN or has an infinite gradient at the edge"
    fix_title = "Clamp strictly inside the domain, e.g. `x.clamp(-1 + 1e-6, 1 - 1e-6)` (float32 needs a margin of at least 1e-7)"
    triggers = ("acos", "asin", "atanh", "arccos", "arcsin", "arctanh")

    VALID = [
        Valid("import torch\nimport torch.nn.functional as F\n"
              "y = torch.acos(F.cosine_similarity(a, b).clamp(-1 + 1e-6, 1 - 1e-6))"),
        Valid("import numpy as np\ny = np.arccos(np.clip(c, -1.0, 1.0))"),
        Valid("import torch\ny = torch.acos(x)"),
    ]
    INVALID = [
        Invalid("import torch\nimport torch.nn.functional as F\ny = torch.acos(F.cosine_similarity(a, b, dim=-1))",
                line=3, col=5),
        Invalid("import torch\ndef angle_loss(c):\n    return torch.acos(torch.clamp(c, -1.0, 1.0)).mean()", line=3, col=12),
        Invalid("import torch\ndef angular_loss(c):\n    return torch.acos(c.clamp(-1 + 1e-8, 1 - 1e-8))", line=3, col=12),
        Invalid("import torch\nimport torch.nn.functional as F\n"
                "a_n, b_n = F.normalize(a, dim=-1), F.normalize(b, dim=-1)\n"
                "u = F.normalize(a, dim=-1)\nw = F.normalize(b, dim=-1)\ny = torch.arccos((u * w).sum(-1))",
                line=6, col=5),
    ]

    @for_operations("acos", "asin", "atanh")
    def visit_Call(self, node: cst.Call) -> None:
        op = self.operation(node)
        if op not in ("acos", "asin", "atanh"):
            return
        operand = self.single_operand(node)
        if operand is None:
            return
        framework = self.framework(node)
        if framework in ("math", "builtins"):
            return
        found = self.origin(operand)
        value = self.semantic.value(operand)
        clamp = found if isinstance(found, cst.Call) and self.operation(found) == "clamp" else None
        if clamp is not None:
            edge = self._clamp_edge(value)
            if edge is None:
                return
            # acos/asin at exactly ±1 are finite; only their gradient is infinite there.
            if op != "atanh" and not (self.differentiable(node) and self.in_training_code):
                return
            self.report(node, message=f"`{op}` of a value clamped to {edge} reaches the domain edge ±1, where the "
                                      "gradient is infinite" if op != "atanh" else
                                      f"`atanh` of a value clamped to {edge} reaches ±1, where it is infinite")
            return
        if "cosine" in value.tags or self._normalized_product(found):
            what = "a cosine similarity"
            self.report(node, message=f"`{op}` of {what} is NaN when rounding pushes it past ±1, and its gradient "
                                      "is infinite at ±1")

    def _clamp_edge(self, value: Value) -> Optional[str]:
        """How the clamp bounds touch ±1 in float32, or None when strictly inside."""
        if value.hi is None or value.lo is None:
            return None
        hi, lo = float32(value.hi), float32(value.lo)
        if hi < 1.0 and lo > -1.0:
            return None
        if value.hi < 1.0 and hi >= 1.0:
            return f"`{value.hi:.12g}` (which rounds to 1.0 in float32)"
        if value.lo > -1.0 and lo <= -1.0:
            return f"`{value.lo:.12g}` (which rounds to -1.0 in float32)"
        return f"[{_number(value.lo)}, {_number(value.hi)}]"

    def _normalized_product(self, expr: cst.BaseExpression) -> bool:
        """`(u * w).sum(-1)`, `u @ w.T`, `torch.matmul(u, w.T)`, `einsum(..., u, w)` of normalized u, w."""
        pair: Optional[Tuple[cst.BaseExpression, cst.BaseExpression]] = None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.MatrixMultiply):
            pair = (expr.left, expr.right)
        elif isinstance(expr, cst.Call):
            if self.operation(expr) == "sum":
                summed = self.semantic.operand(expr)
                product = self.origin(summed) if summed is not None else None
                if isinstance(product, cst.BinaryOperation) and isinstance(product.operator, cst.Multiply):
                    pair = (product.left, product.right)
            else:
                name = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else (
                    expr.func.value if isinstance(expr.func, cst.Name) else "")
                if name in ("matmul", "mm", "bmm", "dot", "inner", "einsum", "vdot", "linear"):
                    operands = [arg.value for arg in expr.args if arg.keyword is None]
                    if self.semantic.is_method_call(expr):
                        operands = [expr.func.value, *operands]  # type: ignore[union-attr]
                    if name == "einsum":
                        operands = operands[1:]
                    if len(operands) == 2:
                        pair = (operands[0], operands[1])
        return pair is not None and all(self._normalized(side) for side in pair)

    def _normalized(self, expr: cst.BaseExpression) -> bool:
        found = self.origin(expr)
        # `.t()`, `.T`, `.transpose(...)` keep the values
        while isinstance(found, cst.Attribute) and found.attr.value in ("T", "mT", "mH", "H"):
            found = self.origin(found.value)
        if isinstance(found, cst.Call) and self.operation(found) == "normalize":
            return True
        if isinstance(found, cst.BinaryOperation) and isinstance(found.operator, cst.Divide):
            denominator = self.origin(found.right)
            return isinstance(denominator, cst.Call) and self.operation(denominator) == "norm"
        return False
