"""NAN112 unsafe-op-in-where: `where(cond, log(x), 0)` still differentiates `log` where `cond` is False."""

from __future__ import annotations

from typing import Iterator, Optional, Set, Tuple

import libcst as cst

from nanlint.rule import Invalid, Valid, for_operations
from nanlint.rules._numerics import NumericsRule, names_in, token_triggers
from nanlint.semantic.calls import argument_value

# Operations whose value or gradient is inf/NaN somewhere on the real line.
_UNSAFE_CALLS = frozenset({"log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "acos", "asin", "atanh", "exp"})
_DIFFERENTIABLE_WHERE = frozenset({"torch", "tensor", "tensorflow", "keras", "jax", "autograd"})
# Casts that keep a count a count (`(m > 0).sum().float()`).
_COUNT_CASTS = frozenset({"float", "double", "half", "int", "long", "to", "type_as", "sum", "count_nonzero"})


class UnsafeOpInWhere(NumericsRule):
    """
    ## What it does
    Flags an unsafe operation (`log`, `sqrt`, `rsqrt`, `reciprocal`, `acos`,
    `asin`, `atanh`, `exp`, a division, a fractional or negative power) inside a
    branch of `where(cond, a, b)` (`torch.where`, `tf.where`, `jnp.where`,
    `keras.ops.where`) when the condition tests the operation's own input, as in
    `torch.where(x > 0, torch.log(x), 0)` or `jnp.where(d != 0, n / d, 0)`, in code
    that gradients flow through: a method of a network class (`nn.Module`,
    `keras.Model`, `flax.linen.Module`) or a function named like a loss.

    ## Why is this bad?
    `where` selects values, but both branches are computed for every element,
    and both are differentiated. Where the condition is False, the unselected
    branch is `-inf`/`inf`/NaN (that is why the condition is there); the gradient
    of `where` sends 0 to it, and the chain rule multiplies that 0 by the
    operation's infinite derivative: `0 * inf = NaN`. The forward result is
    correct and the gradients are NaN.

    ## Example
    ```python
    y = torch.where(x > 0, torch.log(x), torch.zeros_like(x))
    ```

    Use instead:
    ```python
    safe_x = torch.where(x > 0, x, torch.ones_like(x))
    y = torch.where(x > 0, torch.log(safe_x), torch.zeros_like(x))
    ```

    ## Known problems
    Only operations whose input shares a variable with the condition are
    reported, and not when every input of the operation is built from
    comparisons (`(m > t).sum()`: counts carry no gradient). Plain NumPy has no gradients (the masked value only raises a
    warning) and is not checked; neither are metrics, post-processing and
    optimizer code outside network classes and loss functions, which are
    differentiable in principle but rarely differentiated. A `where` in a helper
    function called from a model is therefore not seen.

    ## References
    - JAX FAQ: "Gradients contain NaN where using `where`"
    - PyTorch issue #23395: "Incorrect gradients for torch.where when one of the target tensors contains inf/nan"
    - JAX issue #347: "Issue taking gradients through np.where when one of branches is nan"
    """

    code = "NAN112"
    name = "unsafe-op-in-where"
    message = "Unsafe operation inside `where(...)` is still evaluated where the condition is False; its inf/NaN gradient leaks through"
    fix_title = "Make the input safe inside the operation: `where(cond, op(where(cond, x, safe_value)), other)`"
    triggers = token_triggers("where")

    VALID = [
        Valid("import torch\ndef loss(x):\n    safe = torch.where(x > 0, x, torch.ones_like(x))\n"
              "    return torch.where(x > 0, torch.log(safe), 0.0)"),
        Valid("import torch\ndef loss(x):\n    return torch.where(x > 0, torch.log(torch.where(x > 0, x, 1.0)), 0.0)"),
        Valid("import numpy as np\ndef loss(x):\n    return np.where(x > 0, np.log(x), 0.0)"),
        Valid("import torch\ndef loss(p):\n    return torch.where(p > 0, torch.log(p.clamp(min=1e-6)), 0.0)"),
        Valid("import torch\ndef stability_score(i, u):\n    return torch.where(u > 0, i / u, 1.0)"),
    ]
    INVALID = [
        Invalid("import torch\ndef entropy_loss(x):\n    return torch.where(x > 0, torch.log(x), torch.zeros_like(x)).sum()",
                line=3, col=31),
        Invalid("import jax.numpy as jnp\ndef ratio_loss(n, d):\n    return jnp.where(d != 0, n / d, 0.0).mean()", line=3, col=30),
        Invalid("import tensorflow as tf\nclass Radius(tf.keras.Model):\n    def call(self, r):\n"
                "        ok = r > 0\n        return tf.where(ok, tf.sqrt(r), 0.0)", line=5, col=29),
    ]

    @for_operations("where")
    def visit_Call(self, node: cst.Call) -> None:
        if self.operation(node) != "where" or self.framework(node) not in _DIFFERENTIABLE_WHERE:
            return
        if not self.in_training_code:
            return  # metrics, post-processing and optimizer internals are not differentiated
        condition = argument_value(node, ("condition", "cond"), 0)
        branches = [argument_value(node, ("input", "x", "x1"), 1), argument_value(node, ("other", "y", "x2"), 2)]
        if condition is None or any(branch is None for branch in branches):
            return
        tested = self._tested_names(condition)
        if not tested:
            return
        for branch in branches:
            assert branch is not None
            for unsafe, operand in self._unsafe_parts(branch):
                if self._is_exposed(operand, tested):
                    self.report(unsafe, message=self._message(unsafe))

    def _tested_names(self, condition: cst.BaseExpression) -> Set[str]:
        found = names_in(condition)
        origin = self.origin(condition)
        if origin is not condition:
            found |= names_in(origin)
        return found

    def _unsafe_parts(self, expr: cst.BaseExpression) -> Iterator[Tuple[cst.CSTNode, cst.BaseExpression]]:
        """(node, the operand that makes it unsafe) for each unsafe operation in `expr`."""
        rule = self
        found = []

        class _Finder(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> Optional[bool]:
                op = rule.operation(node)
                if op == "where":
                    return False  # a nested where is its own guard
                if op in _UNSAFE_CALLS:
                    operand = rule.single_operand(node)
                    if operand is not None and not rule._safe_for(op, operand) and not rule._from_comparison(operand):
                        found.append((node, operand))
                elif op == "div":
                    divisor = argument_value(node, ("other", "y", "x2"), 0 if rule.semantic.is_method_call(node) else 1)
                    dividend = rule.semantic.operand(node)
                    if divisor is not None and not (dividend is not None and rule._from_comparison(dividend)
                                                    and rule._from_comparison(divisor)):
                        found.append((node, divisor))
                elif op == "pow":
                    exponent = argument_value(node, ("exponent", "y", "x2"), 0 if rule.semantic.is_method_call(node) else 1)
                    base = rule.semantic.operand(node)
                    if base is not None and exponent is not None and rule._unsafe_exponent(exponent):
                        found.append((node, base))
                return True

            def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
                if isinstance(node.operator, cst.Divide):
                    if not (rule._from_comparison(node.left) and rule._from_comparison(node.right)):
                        found.append((node, node.right))
                elif isinstance(node.operator, cst.Power) and rule._unsafe_exponent(node.right):
                    found.append((node, node.left))

            def visit_Lambda(self, node: cst.Lambda) -> bool:
                return False

        expr.visit(_Finder())
        yield from found

    def _safe_for(self, op: str, operand: cst.BaseExpression) -> bool:
        """The operand is inside the operation's safe domain whatever the condition says."""
        if op == "exp":
            return self.exp_bounded_above(operand)
        if op == "log1p":
            value = self.semantic.value(operand)
            return value.lo is not None and value.lo > -1
        return False

    def _unsafe_exponent(self, exponent: cst.BaseExpression) -> bool:
        p = self.semantic.constant(exponent)
        return p is not None and (p < 0 or not float(p).is_integer())

    def _from_comparison(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Built only from comparisons (`(m > t).sum().float()`): no gradient flows through it."""
        if depth > 4:
            return False
        found = self.origin(expr)
        if isinstance(found, cst.Comparison):
            return True
        if isinstance(found, cst.UnaryOperation) and isinstance(found.operator, (cst.Not, cst.BitInvert)):
            return self._from_comparison(found.expression, depth + 1)
        if isinstance(found, cst.BinaryOperation) and isinstance(
                found.operator, (cst.BitAnd, cst.BitOr, cst.BitXor, cst.Add, cst.Multiply, cst.Subtract)):
            return all(self._from_comparison(side, depth + 1) or self.is_constant(side) for side in (found.left, found.right))
        if isinstance(found, cst.Call):
            method = found.func.attr.value if isinstance(found.func, cst.Attribute) else None
            if self.operation(found) in ("sum", "mean", "max", "min") or method in _COUNT_CASTS:
                inner = self.semantic.operand(found)
                return inner is not None and self._from_comparison(inner, depth + 1)
        return False

    def _is_exposed(self, operand: cst.BaseExpression, tested: Set[str]) -> bool:
        """The operand is one the condition guards, and nothing made it safe inside."""
        if self.is_constant(operand):
            return False
        value = self.semantic.value(operand)
        if value.positive or value.guarded:
            return False
        if _contains_where(self, operand):
            return False
        return bool(names_in(operand) & tested)

    def _message(self, unsafe: cst.CSTNode) -> str:
        if isinstance(unsafe, cst.Call):
            what = f"`{self.operation(unsafe)}`"
        elif isinstance(unsafe, cst.BinaryOperation) and isinstance(unsafe.operator, cst.Power):
            what = "A fractional or negative power"
        else:
            what = "A division"
        return (f"{what} inside `where(...)` is still computed where the condition is False; its inf/NaN gradient "
                "leaks through the masked branch")


def _contains_where(rule: NumericsRule, expr: cst.BaseExpression) -> bool:
    found = rule.origin(expr)
    for node in (expr, found):
        if isinstance(node, cst.Call) and rule.operation(node) in ("where", "clamp", "maximum"):
            return True
    hits = []

    class _Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if rule.operation(node) in ("where", "clamp", "maximum"):
                hits.append(node)

    expr.visit(_Finder())
    return bool(hits)
