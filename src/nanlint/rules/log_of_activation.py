"""NAN103 log-of-softmax and NAN104 log-of-sigmoid: `log` of a probability activation."""

from __future__ import annotations

from typing import ClassVar, FrozenSet, Optional

import libcst as cst

from nanlint.diagnostics import FixSafety
from nanlint.rule import Invalid, NodeFix, Valid, for_operations
from nanlint.rules._numerics import NumericsRule


class _LogOfActivation(NumericsRule):
    """`log(activation(x))`, directly or through local variables and indexing."""

    activation: ClassVar[str] = ""
    # function name -> the stable function's name, and the qualified names a fix may produce
    stable_name: ClassVar[str] = ""
    method_fix: ClassVar[bool] = False
    fixable: ClassVar[FrozenSet[str]] = frozenset()

    @for_operations("log", "log2", "log10")
    def visit_Call(self, node: cst.Call) -> None:
        op = self.operation(node)
        if op not in ("log", "log2", "log10"):
            return
        operand = self.single_operand(node)
        if operand is None:
            return
        value = self.semantic.value(operand)
        if not {self.activation, "probability"} <= value.tags or value.guarded or value.positive:
            return
        # unguarded-log (NAN101) leaves these to this rule, for every `log` base.
        self.report(node, fix=self._fix(node, operand) if op == "log" else None)

    def _fix(self, log_call: cst.Call, operand: cst.BaseExpression) -> Optional[NodeFix]:
        """`log(F.softmax(x, dim))` -> `F.log_softmax(x, dim)`: only a rename in the same namespace."""
        if not isinstance(operand, cst.Call) or self.operation(operand) != self.activation:
            return None
        func = operand.func
        if not isinstance(func, cst.Attribute) or func.attr.value != self.activation:
            return None
        if self.semantic.is_method_call(operand):
            # `x.softmax(-1)` is a tensor method; `self.softmax(x)` is a module whose name says softmax.
            if not self.method_fix or any(arg.keyword is None and not self.is_constant(arg.value) for arg in operand.args):
                return None
        else:
            qualified = self.qualified_name(func) or ""
            target = qualified[: -len(self.activation)] + self.stable_name
            if target not in self.fixable:
                return None
        # The reported range excludes the log call's own parentheses, which stay in place.
        renamed = operand.with_changes(func=func.with_changes(attr=cst.Name(self.stable_name)))
        return NodeFix(log_call, renamed)


class LogOfSoftmax(_LogOfActivation):
    """
    ## What it does
    Flags `log` (or `log2`, `log10`) applied to a `softmax` output: `torch.log(torch.softmax(x, -1))`,
    `x.softmax(-1).log()`, `np.log(scipy.special.softmax(x))`,
    `tf.math.log(tf.nn.softmax(x))`, and the same through a local variable or an
    index (`p = F.softmax(x, 1); torch.log(p[:, 0])`).

    ## Why is this bad?
    `softmax` rounds the probability of a logit that is far below the largest one
    to exactly 0.0 (a gap of about 104 in float32, about 17 in float16). `log(0)`
    is `-inf`; the loss becomes `inf` or NaN and the gradient of `log` at 0
    (`1/p`) is `inf`, which turns every weight NaN after the next step.
    `log_softmax` computes `x - logsumexp(x)` directly, so it stays finite for any
    logits and is also faster and more accurate.

    ## Example
    ```python
    log_probs = torch.log(torch.softmax(logits, dim=-1))
    ```

    Use instead:
    ```python
    log_probs = torch.log_softmax(logits, dim=-1)
    ```

    ## Fix safety
    The fix rewrites the direct nested form into the same namespace's
    `log_softmax`, keeping every argument (`dim`, `axis`, `dtype`). It is unsafe
    because the values change: entries that were `-inf` become finite, and the
    other entries change in the last bits.

    ## Known problems
    A clamp or an epsilon (`torch.log(p + 1e-8)`, `p.clamp(min=1e-8)`) makes the
    value finite and silences this rule, although `log_softmax` would still be
    more accurate. A softmax module kept as an attribute (`self.softmax =
    nn.Softmax(dim=1)`) is followed only by its name (`self.softmax(x)`). `unguarded-log`
    (NAN101) leaves every `log` of a softmax output to this rule.

    ## References
    - PyTorch docs: `torch.nn.functional.log_softmax`
    - TensorFlow docs: `tf.nn.log_softmax`
    - JAX docs: `jax.nn.log_softmax`
    """

    code = "NAN103"
    name = "log-of-softmax"
    message = "`log` of a `softmax` output is `-inf` where a probability underflows to 0, and its gradient is NaN"
    fix_title = "Use `log_softmax` on the logits, with the same `dim`"
    fix_safety = FixSafety.UNSAFE
    triggers = ("softmax",)

    activation = "softmax"
    stable_name = "log_softmax"
    method_fix = True
    fixable = frozenset(
        {"torch.log_softmax", "torch.Tensor.log_softmax", "torch.special.log_softmax",
         "torch.nn.functional.log_softmax", "tensorflow.nn.log_softmax", "tensorflow.math.log_softmax",
         "jax.nn.log_softmax", "flax.linen.log_softmax", "scipy.special.log_softmax", "keras.ops.log_softmax",
         "keras.activations.log_softmax"}
    )

    VALID = [
        Valid("import torch\ny = torch.log_softmax(x, dim=-1)"),
        Valid("import torch\np = torch.softmax(x, dim=-1)\ny = torch.log(p.clamp(min=1e-8))"),
        Valid("def f(log, softmax, x):\n    return log(softmax(x))"),
        Valid("import torch\np = torch.softmax(x, dim=-1)\ny = torch.log(p.mean(0))"),
    ]
    INVALID = [
        Invalid("import torch as th\ny = th.log(th.softmax(x, -1))", line=2, col=5,
                fixed="import torch as th\ny = th.log_softmax(x, -1)"),
        Invalid("import torch.nn.functional as F\ny = F.softmax(x, dim=1).log()", line=2, col=5,
                fixed="import torch.nn.functional as F\ny = F.log_softmax(x, dim=1)"),
        Invalid("import tensorflow as tf\ny = tf.math.log(tf.nn.softmax(x, axis=-1))", line=2, col=5,
                fixed="import tensorflow as tf\ny = tf.nn.log_softmax(x, axis=-1)"),
        Invalid("import torch\nprobs = torch.softmax(logits, 1)\nnll = -torch.log(probs[range(n), y])", line=3, col=8),
    ]


class LogOfSigmoid(_LogOfActivation):
    """
    ## What it does
    Flags `log` (or `log2`, `log10`) applied to a `sigmoid` output: `torch.log(torch.sigmoid(x))`,
    `x.sigmoid().log()`, `tf.math.log(tf.sigmoid(x))`, `jnp.log(jax.nn.sigmoid(x))`,
    `np.log(scipy.special.expit(x))`, and the same through a local variable.

    ## Why is this bad?
    `sigmoid(x)` rounds to exactly 0.0 for `x` below about -88 in float32 (about
    -17 in float16). `log(0)` is `-inf`, the loss becomes `inf` or NaN, and the
    gradient `1/p` is `inf`. `logsigmoid(x) = -softplus(-x)` is finite for every `x`.

    ## Example
    ```python
    log_p = torch.log(torch.sigmoid(logits))
    ```

    Use instead:
    ```python
    log_p = torch.nn.functional.logsigmoid(logits)
    ```

    ## Fix safety
    A fix is offered for the direct nested form where the stable function is
    reachable through the same import: `torch.sigmoid` -> `torch.nn.functional.logsigmoid`,
    `F.sigmoid` -> `F.logsigmoid`, `jax.nn.sigmoid` -> `jax.nn.log_sigmoid`,
    `tf.math.sigmoid` -> `tf.math.log_sigmoid`, `keras.ops.sigmoid` ->
    `keras.ops.log_sigmoid`. It is unsafe because the values change (the `-inf`
    entries become finite).

    ## Known problems
    `log(1 - sigmoid(x))` (which is `logsigmoid(-x)`) is left to `unguarded-log`
    (NAN101). A clamp or an epsilon silences this rule.

    ## References
    - PyTorch docs: `torch.nn.functional.logsigmoid`
    - TensorFlow docs: `tf.math.log_sigmoid`
    - JAX docs: `jax.nn.log_sigmoid`
    """

    code = "NAN104"
    name = "log-of-sigmoid"
    message = "`log` of a `sigmoid` output is `-inf` where the sigmoid underflows to 0, and its gradient is NaN"
    fix_title = "Use `logsigmoid` (`F.logsigmoid`, `tf.math.log_sigmoid`, `jax.nn.log_sigmoid`) on the logits"
    fix_safety = FixSafety.UNSAFE
    triggers = ("sigmoid", "expit")

    activation = "sigmoid"
    stable_name = "logsigmoid"
    fixable = frozenset({"torch.nn.functional.logsigmoid"})

    VALID = [
        Valid("import torch.nn.functional as F\ny = F.logsigmoid(x)"),
        Valid("import torch\ny = torch.log(torch.sigmoid(x) + 1e-6)"),
        Valid("import torch\np = torch.sigmoid(x).clamp(1e-6, 1 - 1e-6)\ny = torch.log(p)"),
    ]
    INVALID = [
        Invalid("import torch\nimport torch.nn.functional as F\ny = torch.log(F.sigmoid(x))", line=3, col=5,
                fixed="import torch\nimport torch.nn.functional as F\ny = F.logsigmoid(x)"),
        Invalid("import jax\nimport jax.numpy as jnp\ny = jnp.log(jax.nn.sigmoid(x))", line=3, col=5,
                fixed="import jax\nimport jax.numpy as jnp\ny = jax.nn.log_sigmoid(x)"),
        Invalid("import torch\ngate = torch.sigmoid(h)\nlog_gate = torch.log(gate)", line=3, col=12),
        Invalid("import torch as th\ny = th.log(th.sigmoid(x))", line=2, col=5,
                fixed="import torch as th\ny = th.nn.functional.logsigmoid(x)"),
    ]

    def _fix(self, log_call: cst.Call, operand: cst.BaseExpression) -> Optional[NodeFix]:
        # The stable name differs by framework: torch `logsigmoid`, the others `log_sigmoid`.
        if isinstance(operand, cst.Call) and isinstance(operand.func, cst.Attribute):
            qualified = self.qualified_name(operand.func) or ""
            if qualified in ("jax.nn.sigmoid", "flax.linen.sigmoid", "keras.ops.sigmoid", "tensorflow.math.sigmoid"):
                return _rename(log_call, operand, "log_sigmoid")
            if qualified == "torch.sigmoid" and self.qualified_name(operand.func.value) == "torch":
                # `torch.sigmoid(x)` -> `torch.nn.functional.logsigmoid(x)`: reachable from the same import.
                functional = cst.Attribute(value=cst.Attribute(value=operand.func.value, attr=cst.Name("nn")),
                                           attr=cst.Name("functional"))
                return NodeFix(log_call, operand.with_changes(
                    func=cst.Attribute(value=functional, attr=cst.Name("logsigmoid"))))
        return super()._fix(log_call, operand)


def _rename(log_call: cst.Call, operand: cst.Call, new_name: str) -> NodeFix:
    func = operand.func
    assert isinstance(func, cst.Attribute)
    return NodeFix(log_call, operand.with_changes(func=func.with_changes(attr=cst.Name(new_name))))
