"""NAN102 unguarded-division: division by a std, norm, sum or range that can be 0."""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from nanlint.rule import Invalid, Rule, Valid
from nanlint.rules.unguarded_log import shown
from nanlint.semantic import values as v
from nanlint.semantic.calls import argument_value

# Zero evidence this rule acts on: reductions that are 0 for constant or empty input.
_KINDS = frozenset({v.REDUCTION, v.SUM, v.COUNT})


class UnguardedDivision(Rule):
    """
    ## What it does
    Flags a division (`/`, `//`, `/=`, `torch.div`, `tf.math.divide`,
    `np.divide`, `reciprocal`, `x.div(...)`) whose denominator is a statistic that
    is 0 for constant, all-zero or empty input, with no guard: a `std`, `var` or
    `norm` (also written `sqrt(sum(x ** 2))`), `max - min`, the `sum` of a mask
    (`mask.sum()`, `(labels != -100).sum()`, a parameter named `*_mask`), a
    `count_nonzero`, or a square root or power of one of these. The facts follow
    local assignments.

    It is silent when the denominator is guarded: `+ eps` (a positive constant or
    an `eps`-named value), `clamp`/`clip`/`maximum` with a positive floor, a
    `where` that replaces the zeros, a masked assignment such as
    `std[std == 0] = 1`, or a condition that tested it before (`if mask.sum() > 0:`,
    `x[x.sum(1) != 0]`), or when an upper bound caps the quotient right away
    (`torch.minimum(ones, c / d)`: `c / 0` is `inf` and becomes the bound). The
    count of a mask is reported only under a sum or the mask itself (a masked
    mean, `0 / 0`; normalized mask weights), not in `1.0 / n_valid`.
    Literal and constant denominators, shapes and sizes
    (`x.shape[0]`, `x.size(-1)`, `numel()`), `divide_no_nan`, `F.normalize`,
    paths, Python numbers (`len(...)`, `.item()`), a `sum` of values it knows
    nothing about (or of `relu`/clamped-at-0 values), and the norm of softmax
    outputs, random draws or literal vectors with a non-zero entry are never
    reported.

    ## Why is this bad?
    `x / 0` is `inf` and `0 / 0` is NaN, and the gradient of `a / b` with respect
    to `b` is `-a / b**2`, which is `inf` or NaN at `b = 0` even where the forward
    value is later masked out. These denominators do reach 0 in practice: a batch
    whose mask selects nothing (`loss.sum() / mask.sum()`), a feature that is
    constant in a batch (`(x - x.mean()) / x.std()`), an all-zero embedding or
    gradient (`x / x.norm()`, which also underflows to 0 in float16), a constant
    image in min-max scaling (`(x - min) / (max - min)`).

    ## Example
    ```python
    normalized = (data - data.min()) / (data.max() - data.min())
    loss = (loss * mask).sum() / mask.sum()
    ```

    Use instead:
    ```python
    normalized = (data - data.min()) / (data.max() - data.min() + 1e-8)
    loss = (loss * mask).sum() / mask.sum().clamp(min=1)
    ```

    ## Known problems
    Divisions by `len(...)`, by Python's `sum(...)` or by `.item()` are not
    reported: on Python numbers they raise `ZeroDivisionError` instead of
    producing NaN, and in the real-code corpus they almost always divide by a
    collection that cannot be empty. Any earlier condition that mentions the
    denominator (even one that does not exclude 0) silences the rule; a condition
    that only looks at a shape or identity (`x.dim() == 2`, `x is None`) does not.
    A quotient capped by `minimum` is safe in the forward pass, but its gradient is
    still NaN at `d = 0` in training. A mask whose
    rows can never be empty by construction (for example, padding images removed
    earlier) is still reported; add the guard or `# noqa: NAN102`. The statistics
    of large learned activations (the norm of an embedding, the `std` of a noise
    prediction) are rarely exactly 0, but when they are the whole output turns
    NaN; maintainers have accepted such guards (see References).

    ## References
    - PyTorch docs: `torch.nn.functional.normalize` (its `eps` argument)
    - diffusers issue #13425: division by zero in `rescale_noise_cfg` can produce NaNs
    - sentence-transformers issue #625: guard against division by zero (zero embeddings)
    - TensorFlow docs: `tf.math.divide_no_nan`
    - IEEE 754: division by zero and invalid operation
    """

    code = "NAN102"
    name = "unguarded-division"
    message = "Division by a value that can be 0 gives `inf` or NaN, and NaN gradients"
    fix_title = "Add a positive epsilon to the denominator or clamp it (`d.clamp(min=eps)`)"
    triggers = ("/", "div", "reciprocal")

    VALID = [
        Valid("import torch\ny = (x - x.mean()) / (x.std() + 1e-8)"),
        Valid("import torch\ny = loss.sum() / mask.sum().clamp(min=1)"),
        Valid("import torch\ny = x.sum() / x.shape[0]"),
        Valid("from pathlib import Path\np = Path(root) / 'data'"),
        Valid("import torch\nn = mask.sum()\nif n > 0:\n    y = loss.sum() / n"),
    ]
    INVALID = [
        Invalid("import numpy as np\nlo, hi = np.min(x), np.max(x)\ny = (x - lo) / (hi - lo)", line=3, col=5),
        Invalid("import torch\ny = (x - x.mean()) / x.std()", line=2, col=5),
        Invalid("import torch\ny = torch.div(loss.sum(), mask.sum())", line=2, col=5),
    ]

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, (cst.Divide, cst.FloorDivide)):
            self._check(node, node.left, node.right)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, (cst.DivideAssign, cst.FloorDivideAssign)):
            self._check(node, node.target, node.value)

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._capped: Set[int] = set()  # divisions whose result an upper bound caps right away

    def visit_Call(self, node: cst.Call) -> None:
        op = self.operation(node)
        if op in ("minimum", "clamp") or (op == "min" and len(node.args) >= 2):
            # `torch.minimum(ones, c / d)`, `(c / d).clamp(max=m)`: an `inf` quotient becomes the bound.
            capped = [arg.value for arg in node.args]
            if isinstance(node.func, cst.Attribute) and op == "clamp" and self.arg(node, ("max",), 1) is not None:
                capped.append(node.func.value)
            elif op == "clamp" and self.arg(node, ("max", "clip_value_max", "a_max"), 2) is None:
                capped = []
            self._capped.update(id(expr) for expr in capped)
        if op == "div":
            method = self.semantic.is_method_call(node)
            denominator = argument_value(node, ("other", "y", "x2", "divisor"), 0 if method else 1)
            if denominator is not None:
                self._check(node, self.semantic.operand(node), denominator)
        elif op == "reciprocal":
            operand = self.semantic.operand(node)
            if operand is not None:
                self._check(node, None, operand)

    def _check(self, node: cst.CSTNode, numerator: Optional[cst.BaseExpression], denominator: cst.BaseExpression) -> None:
        value = self.semantic.value(denominator)
        zero = value.zero
        if zero is None or not value.can_be_zero or value.guarded or zero.kind not in _KINDS:
            return
        if "python" in value.tags:
            return  # Python numbers raise ZeroDivisionError rather than turning into NaN
        if id(node) in self._capped and numerator is not None and self.semantic.value(numerator).zero is None:
            return  # `minimum(1, c / d)`: `c / 0` is `inf`, capped to the bound (no `0 / 0` in sight)
        if "count" in value.tags and not self._selects_the_same(numerator):
            return  # `1.0 / n_valid` (a step, a scale) rather than a masked mean or normalized mask
        if self.semantic.is_checked(denominator):
            return
        self.report(node, self._message(denominator, zero))

    def _selects_the_same(self, numerator: Optional[cst.BaseExpression]) -> bool:
        """A count in the denominator is a hazard for a masked mean (`(x * m).sum() / m.sum()`,
        0/0 for an empty mask) or a normalized mask (`m / m.sum()`): a sum or a mask on top."""
        if numerator is None:
            return False
        tags = self.semantic.value(numerator).tags
        return bool(tags & {"sum", "mask", "count"})

    @staticmethod
    def _message(denominator: cst.BaseExpression, zero: v.Zero) -> str:
        return (f"Division by `{shown(denominator)}`, which can be 0 ({zero.reason}): `inf`/NaN values and NaN gradients; "
                "add a positive epsilon or a floor (`clamp(min=eps)`, `maximum(d, eps)`)")
