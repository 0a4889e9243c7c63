"""Accuracy near zero (off by default): NAN113 log-of-one-plus, NAN114 exp-minus-one."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from nanlint import names
from nanlint.diagnostics import FixSafety
from nanlint.rule import Invalid, NodeFix, Valid, for_operations
from nanlint.rules._numerics import NumericsRule, token_triggers

# Namespaces where `log1p` / `expm1` sit next to `log` / `exp` with the same signature.
_RENAMABLE_ROOTS = ("torch.", "numpy.", "jax.numpy.", "math.", "tensorflow.math.", "cupy.", "keras.ops.")
# |x| from which `exp(x) - 1` keeps all but a few bits (exp(0.1) - 1 loses about 3).
_CANCELLATION_FREE = 0.1
_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)
# Calls whose result is a whole number: `1 + n` is exact for them.
_INTEGER_FUNCTIONS = frozenset({"len", "floor", "ceil", "round", "trunc", "arange", "numel", "size", "count_nonzero",
                                "argmax", "argmin", "randint", "bincount"})


def _renamed_func(rule: NumericsRule, call: cst.Call, operation: str, new_name: str) -> Optional[cst.BaseExpression]:
    """`np.log` -> `np.log1p` when that name exists; None when a rename is not enough."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    if rule.semantic.is_method_call(call):
        return func.with_changes(attr=cst.Name(new_name))
    qualified = rule.qualified_name(func) or ""
    target = qualified.rsplit(".", 1)[0] + "." + new_name
    if not qualified.startswith(_RENAMABLE_ROOTS) or names.OPERATION_OF.get(target) != operation:
        return None
    return func.with_changes(attr=cst.Name(new_name))


def _receiver(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`expr` ready to take a method call: parenthesized unless atomic."""
    if isinstance(expr, _ATOMIC) or getattr(expr, "lpar", ()):
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class LogOfOnePlus(NumericsRule):
    """
    ## What it does
    Flags `log(1 + x)` and `log(x + 1)` (any framework, `math` too), which
    `log1p(x)` computes more accurately. Off by default: it matters only where `x`
    can be tiny. `log(1 + exp(x))` is `log-of-one-plus-exp` (NAN106).

    ## Why is this bad?
    For `|x|` below the float epsilon (about 1.2e-7 in float32, 1e-3 in float16),
    `1 + x` rounds to exactly 1.0 and `log` returns 0: all information in `x` is
    lost, and the gradient through the rounded sum is wrong. For small `x` the
    relative error is large even before that. `log1p` is exact there.

    ## Example
    ```python
    y = torch.log(1 + rate)
    ```

    Use instead:
    ```python
    y = torch.log1p(rate)
    ```

    ## Fix safety
    The fix renames `log` to `log1p` in the same namespace (or method) and drops
    the `1 +`. It is unsafe because the result changes in its low bits, which is
    the point.

    ## Known problems
    Counts, sizes and rounded values (`log(1 + len(x))`, `log(1 + floor(t))`) are
    not flagged; other values that are never small are (an IDF weight, a log-scaled
    coordinate), which is why the rule is off by default.

    ## References
    - PyTorch docs: `torch.log1p`
    - NumPy docs: `numpy.log1p`
    - Goldberg, "What every computer scientist should know about floating-point arithmetic" (1991)
    """

    code = "NAN113"
    name = "log-of-one-plus"
    message = "`log(1 + x)` loses `x` when it is smaller than the float epsilon; `log1p(x)` is exact there"
    fix_title = "Use `log1p(x)`"
    fix_safety = FixSafety.UNSAFE
    default_enabled = False
    triggers = token_triggers("log")

    VALID = [
        Valid("import torch\ny = torch.log1p(x)"),
        Valid("import torch\ny = torch.log(1 + torch.exp(x))"),
        Valid("import math\ny = math.log(1 + len(items))"),
        Valid("import torch\ny = torch.log(2 + x)"),
    ]
    INVALID = [
        Invalid("import torch\ny = torch.log(1 + x)", line=2, col=5, fixed="import torch\ny = torch.log1p(x)"),
        Invalid("import numpy as np\ny = np.log(rate + 1.0)", line=2, col=5, fixed="import numpy as np\ny = np.log1p(rate)"),
        Invalid("import torch\ny = (1 + a * b).log()", line=2, col=5, fixed="import torch\ny = (a * b).log1p()"),
    ]

    @for_operations("log")
    def visit_Call(self, node: cst.Call) -> None:
        if self.operation(node) != "log":
            return
        other = self.added_to_one(self.single_operand(node))
        if other is None or self.is_constant(other):
            return
        if self.op_origin(other, "exp") is not None:
            return  # log(1 + exp(x)): NAN106
        if self._integer_valued(other):
            return  # `log(1 + n)` of a count: `1 + n` is exact
        self.report(node, fix=self._fix(node, other))

    def _integer_valued(self, expr: cst.BaseExpression) -> bool:
        if self.semantic.value(expr).tags & {"size", "count"}:
            return True
        found = self.origin(expr)
        if isinstance(found, cst.Call):
            func = found.func
            name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            return name in _INTEGER_FUNCTIONS
        return False

    def _fix(self, node: cst.Call, other: cst.BaseExpression) -> Optional[NodeFix]:
        func = _renamed_func(self, node, "log1p", "log1p")
        if func is None:
            return None
        if self.semantic.is_method_call(node):
            assert isinstance(func, cst.Attribute)
            replacement = node.with_changes(func=func.with_changes(value=_receiver(other)))
        else:
            argument = node.args[0].with_changes(value=other)
            replacement = node.with_changes(func=func, args=[argument])
        return NodeFix(node, replacement)


class ExpMinusOne(NumericsRule):
    """
    ## What it does
    Flags `exp(x) - 1` (any framework, `math` too, `x.exp() - 1`), which `expm1(x)`
    computes more accurately. Off by default: it matters only where `x` can be tiny.

    ## Why is this bad?
    For small `|x|`, `exp(x)` is close to 1 and the subtraction cancels almost
    every significant digit: in float32, `exp(1e-8) - 1` is exactly 0, and for
    `x = 1e-4` only about three digits are right. `expm1` is exact there.

    ## Example
    ```python
    growth = torch.exp(log_rate) - 1
    ```

    Use instead:
    ```python
    growth = torch.expm1(log_rate)
    ```

    ## Fix safety
    The fix renames `exp` to `expm1` in the same namespace (or method) and drops
    the `- 1`. It is unsafe because the result changes in its low bits, which is
    the point.

    ## Known problems
    A constant argument of magnitude 0.1 or more (`exp(1.0) - 1` in a test oracle)
    is not flagged: it loses at most a few bits. Other values that are never small
    are (test oracles on random data, mel-to-hertz conversions), which is why the
    rule is off by default.

    ## References
    - PyTorch docs: `torch.expm1`
    - NumPy docs: `numpy.expm1`
    """

    code = "NAN114"
    name = "exp-minus-one"
    message = "`exp(x) - 1` cancels to 0 for small `x`; `expm1(x)` is exact there"
    fix_title = "Use `expm1(x)`"
    fix_safety = FixSafety.UNSAFE
    default_enabled = False
    triggers = token_triggers("exp")

    VALID = [
        Valid("import torch\ny = torch.expm1(x)"),
        Valid("import torch\ny = torch.exp(x) - 2"),
        Valid("import torch\ny = 1 - torch.exp(x)"),
    ]
    INVALID = [
        Invalid("import torch\ny = torch.exp(x) - 1", line=2, col=5, fixed="import torch\ny = torch.expm1(x)"),
        Invalid("import numpy as np\ny = np.exp(r) - 1.0", line=2, col=5, fixed="import numpy as np\ny = np.expm1(r)"),
        Invalid("import torch\ny = x.exp() - 1", line=2, col=5, fixed="import torch\ny = x.expm1()"),
    ]

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if not isinstance(node.operator, cst.Subtract) or not self.is_constant(node.right, 1):
            return
        left = node.left
        if not (isinstance(left, cst.Call) and self.operation(left) == "exp") or self.single_operand(left) is None:
            return
        argument = self.semantic.constant(self.single_operand(left))
        if argument is not None and abs(argument) >= _CANCELLATION_FREE:
            return  # `exp(1.0) - 1`: a known argument far from 0 loses at most a few bits
        self.report(node, fix=self._fix(node, left))

    def _fix(self, node: cst.BinaryOperation, exp_call: cst.Call) -> Optional[NodeFix]:
        func = _renamed_func(self, exp_call, "expm1", "expm1")
        if func is None:
            return None
        return NodeFix(node, exp_call.with_changes(func=func))
