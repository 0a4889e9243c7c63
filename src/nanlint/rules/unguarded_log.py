"""NAN101 unguarded-log: `log` of a value that can be 0, with no clamp or epsilon."""

from __future__ import annotations

import libcst as cst

from nanlint.rule import Invalid, Rule, Valid, for_operations
from nanlint.semantic import values as v
from nanlint.semantic.calls import argument_value

# Zero evidence this rule acts on. Probabilities straight from softmax/sigmoid are
# left to NAN103/NAN104 (log-of-softmax / log-of-sigmoid), which suggest the stable op.
_KINDS = frozenset(
    {v.UNDERFLOW, v.DIFFERENCE, v.MODEL_OUTPUT, v.NONNEGATIVE, v.SUM, v.REDUCTION, v.COUNT, v.CLAMPED_AT_ZERO, v.NAMED}
)
_MAX_SHOWN = 40


def shown(expr: cst.CSTNode) -> str:
    """Source text of an expression for a message: one line, shortened."""
    text = " ".join(cst.Module(body=[]).code_for_node(expr).split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def clamp_spelling(root: str) -> str:
    """How to write a positive floor in the framework of the call."""
    return {
        "tensorflow": "`tf.maximum(x, eps)`",
        "keras": "`ops.maximum(x, eps)`",
        "numpy": "`np.maximum(x, eps)`",
        "jax": "`jnp.maximum(x, eps)`",
    }.get(root, "`x.clamp(min=eps)`")


class UnguardedLog(Rule):
    """
    ## What it does
    Flags `log`, `log2` and `log10` (PyTorch, TensorFlow, Keras, NumPy and JAX
    spellings, functions and tensor methods) whose argument can be exactly 0 and
    has no guard: `1 - p` for a probability `p`, a raw model output, a `relu`
    output, a `std`, `var` or `norm`, a `sum` of a mask or of non-negative terms,
    a probability that went through a product or a mean, a value clamped at 0,
    or a parameter named as a probability or prediction (`probs`, `y_pred`,
    `predictions`).
    The facts come from the operation that produced the argument and follow
    local assignments.

    It is silent when the argument is guarded: `clamp`/`clip`/`maximum` with a
    positive floor, `+ eps` (a positive constant or an `eps`-named value), or
    produced by `exp`, `softplus`, `log1p`, a positive constant; when a condition
    tested it first (`if x.min() > 0:`, a `where` mask, `x[x > 0]`); and when it
    knows nothing about the argument (a parameter, an attribute, an unknown call,
    `abs(x)` or `x ** 2` of an unknown `x`).

    ## Why is this bad?
    `log(0)` is `-inf`: the loss becomes `inf` or NaN, and the gradient of `log`
    at 0 (`1/x`) is `inf`, so the next optimizer step writes NaN into every weight
    it touches. Probabilities reach exactly 0 or 1 easily: a sigmoid saturates to
    1.0 in float32 for inputs above about 17, which makes `1 - p` exactly 0.

    ## Example
    ```python
    p = torch.sigmoid(logits)
    loss = -(y * torch.log(p + 1e-7) + (1 - y) * torch.log(1 - p))
    ```

    Use instead:
    ```python
    p = torch.sigmoid(logits)
    loss = -(y * torch.log(p + 1e-7) + (1 - y) * torch.log((1 - p).clamp(min=1e-7)))
    # better still: F.binary_cross_entropy_with_logits(logits, y)
    ```

    ## Known problems
    `log(softmax(x))` and `log(sigmoid(x))`, directly or through a variable, are
    reported by `log-of-softmax` (NAN103) and `log-of-sigmoid` (NAN104) instead,
    which name the stable operation. `math.log` is not checked: on Python numbers
    `log(0)` raises `ValueError` instead of returning `-inf`. Values computed in
    another function, or kept in attributes (`self.probs`), are unknown and not
    reported. When a variable is assigned in several branches, the assignment
    that comes last in the source is the one that is read.

    ## References
    - PyTorch docs: `torch.log`, `torch.clamp`, `torch.nn.functional.logsigmoid`
    - Goodfellow, Bengio, Courville, *Deep Learning*, section 4.1 (overflow and underflow)
    """

    code = "NAN101"
    name = "unguarded-log"
    message = "`log` of a value that can be 0 gives `-inf` and NaN gradients"
    fix_title = "Clamp the argument to a positive floor (`x.clamp(min=eps)`), or use `log_softmax` / `logsigmoid` on the logits"
    triggers = ("log",)

    VALID = [
        Valid("import torch\np = torch.sigmoid(x)\ny = torch.log((1 - p).clamp(min=1e-6))"),
        Valid("import torch\ny = torch.log(torch.relu(x) + 1e-8)"),
        Valid("import numpy as np\ny = np.log(np.clip(1 - p, 1e-7, 1.0))"),
        Valid("import math\ny = math.log(2)"),
        Valid("import torch\ndef f(x):\n    return torch.log(x)"),
    ]
    INVALID = [
        Invalid("import torch\np = torch.sigmoid(x)\ny = torch.log(1 - p)", line=3, col=5),
        Invalid("import torch.nn.functional as F\nh = F.relu(x)\ny = h.log()", line=3, col=5),
        Invalid("import tensorflow as tf\nmodel = tf.keras.Sequential([])\ny = tf.math.log(model(x))", line=3, col=5),
    ]

    @for_operations("log", "log2", "log10")
    def visit_Call(self, node: cst.Call) -> None:
        op = self.operation(node)
        if op not in ("log", "log2", "log10"):
            return
        qualified = self.qualified_name(node) or ""
        root = qualified.split(".", 1)[0]
        if root in ("math", "builtins"):
            return  # Python floats: log(0) raises instead of returning -inf
        operand = self.semantic.operand(node)
        if operand is None:
            return
        if not self.semantic.is_method_call(node) and argument_value(node, ("base",), 1) is not None:
            return  # `log(x, base)` is not an array log
        value = self.semantic.value(operand)
        if not value.can_be_zero or value.guarded or value.zero.kind not in _KINDS:  # type: ignore[union-attr]
            return
        if v.PROBABILITY in value.tags and value.tags & {"softmax", "sigmoid"}:
            return  # NAN103 / NAN104 report this `log` with the stable replacement
        if self.semantic.is_checked(operand):
            return  # tested in an `if`/`where`/`assert` before use
        self.report(node, self._message(op, operand, value, "jax" if root == "jax" else root))

    @staticmethod
    def _message(op: str, operand: cst.BaseExpression, value: v.Value, root: str) -> str:
        zero = value.zero
        assert zero is not None
        floor = clamp_spelling(root)
        if zero.kind == v.UNDERFLOW:
            fix = f"use `log_softmax` / `logsigmoid` on the logits, or clamp it with {floor}"
        elif zero.kind == v.NAMED:
            # The name may hold a probability or any prediction (a Poisson rate): clamping fits both.
            fix = f"clamp it with {floor} (for probabilities, use `log_softmax` / `logsigmoid` on the logits)"
        elif zero.kind == v.DIFFERENCE:
            fix = f"clamp it with {floor}, or compute it from the logits (`logsigmoid(-logits)`)"
        else:
            fix = f"clamp it with {floor} or add a positive epsilon"
        return f"`{op}` of `{shown(operand)}`, which can be 0 ({zero.reason}): `-inf` and NaN gradients; {fix}"
