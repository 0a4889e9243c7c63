"""NAN402 nan-equality-comparison: `x == np.nan` is always False."""

from __future__ import annotations

import math
from typing import Optional

import libcst as cst

from nanlint import names
from nanlint.diagnostics import FixSafety
from nanlint.rule import Invalid, NodeFix, Rule, Valid
from nanlint.semantic.precision import source
from nanlint.semantic.scope import ValueBinding


class NanEqualityComparison(Rule):
    """
    ## What it does
    Flags `==` and `!=` comparisons with NaN: `x == np.nan`, `x != float("nan")`,
    `x == torch.nan`, `math.nan`, `jnp.nan`, `float('NaN')`, or a module constant
    bound to one of them.

    ## Why is this bad?
    NaN is unequal to everything, itself included: `x == nan` is always False and
    `x != nan` always True, element by element for arrays and tensors. A check meant
    to catch NaN losses or NaN inputs (`if loss == float("nan"): ...`,
    `df[df.col != np.nan]`) never fires, so NaN values go on into training
    unnoticed.

    ## Example
    ```python
    if loss == float("nan"):
        raise RuntimeError("loss is NaN")
    mask = x != np.nan
    ```

    Use instead:
    ```python
    if math.isnan(loss):
        raise RuntimeError("loss is NaN")
    mask = ~np.isnan(x)
    ```

    ## Fix safety
    Unsafe: the fixed code behaves differently on purpose (it now detects NaN). The
    fix is offered when the NaN comes from an imported namespace that has `isnan`
    (`np.nan` -> `np.isnan(x)`, `x != torch.nan` -> `~torch.isnan(x)`,
    `x != math.nan` -> `not math.isnan(x)`); `math.isnan` needs a Python number,
    `torch.isnan` a tensor.

    ## References
    - IEEE 754: comparisons with NaN are unordered
    - NumPy docs: `numpy.isnan`; Python docs: `math.isnan`
    """

    code = "NAN402"
    name = "nan-equality-comparison"
    message = "Comparison with NaN by equality is always False (`!=`: always True); NaN checks never fire"
    fix_title = "Use `isnan` (`np.isnan(x)`, `torch.isnan(x)`, `math.isnan(x)`)"
    fix_safety = FixSafety.UNSAFE
    triggers = ("nan", "NaN", "NAN", "Nan")

    VALID = [
        Valid("import numpy as np\nmask = np.isnan(x)"),
        Valid("def f(x, fill=float('nan')):\n    return x == fill"),
        Valid("import numpy as np\nsame = x == y"),
    ]
    INVALID = [
        Invalid("import numpy as np\nmask = x == np.nan", line=2, col=8, fixed="import numpy as np\nmask = np.isnan(x)"),
        Invalid("import torch\nok = t != torch.nan", line=2, col=6, fixed="import torch\nok = ~torch.isnan(t)"),
        Invalid("if loss == float('nan'):\n    pass", line=1, col=4),
    ]

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            operator = target.operator
            right = target.comparator
            if isinstance(operator, (cst.Equal, cst.NotEqual)):
                for nan, other in ((right, left), (left, right)):
                    if self._is_nan(nan) and not self._is_nan(other):
                        equal = isinstance(operator, cst.Equal)
                        outcome = "always False" if equal else "always True"
                        fix = self._fix(node, nan, other, equal) if len(node.comparisons) == 1 else None
                        first, second = (left, right)
                        self.report(
                            node,
                            f"`{source(first)} {'==' if equal else '!='} {source(second)}` is {outcome}: NaN is unequal to "
                            "everything, itself included, so this NaN check never fires",
                            fix=fix,
                        )
                        return
            left = right

    def _is_nan(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Name):
            binding = self.semantic.scopes.lookup(expr.value)
            if isinstance(binding, ValueBinding) and "parameter" in getattr(binding.value, "tags", ()):
                return False  # a default the caller can replace
        value = self.semantic.constant(expr)
        return isinstance(value, float) and math.isnan(value)

    def _fix(self, node: cst.Comparison, nan: cst.BaseExpression, other: cst.BaseExpression, equal: bool) -> Optional[NodeFix]:
        if not isinstance(nan, cst.Attribute) or node.lpar:
            return None
        qualified = self.qualified_name(nan) or ""
        namespace = qualified.rsplit(".", 1)[0]
        if namespace not in names.ISNAN_NAMESPACES:
            return None
        call = f"{source(nan.value)}.isnan({source(other)})"
        if equal:
            return NodeFix(node, call)
        return NodeFix(node, f"not {call}" if namespace == "math" else f"~{call}")
