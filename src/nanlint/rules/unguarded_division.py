"""NAN102 unguarded-division: division by a std, norm, sum or range that can be 0."""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from nanlint import names
from nanlint.rule import Invalid, Rule, Valid, for_operations
from nanlint.rules.unguarded_log import shown
from nanlint.semantic import values as v
from nanlint.semantic.calls import argument_value
from nanlint.semantic.model import expression_key
from nanlint.semantic.scope import ValueBinding
from nanlint.walker import nodes

# Zero evidence this rule acts on: reductions that are 0 for constant or empty input.
_KINDS = frozenset({v.REDUCTION, v.SUM, v.COUNT})
# Statistics a denominator is made of, and the calls it passes through unchanged in zero-ness.
_STATISTICS = frozenset({"norm", "std", "var", "sum"})
_PASS_THROUGH = frozenset({"sqrt", "pow", "abs", "square"})


class UnguardedDivision(Rule):
    """
    ## What it does
    Flags a division (`/`, `//`, `/=`, `torch.div`, `tf.math.divide`,
    `np.divide`, `reciprocal`, `x.div(...)`) whose denominator reaches 0 on inputs
    the code is written to accept, with no guard:
    - `max - min` of input data (a parameter, or a file the user names read with
      `np.loadtxt`, `pd.read_csv`, ...; also after reshapes, casts and indexing):
      a constant image, feature or array;
    - the `std` or `var` of input data dividing that same data
      (`(x - x.mean(0)) / x.std(0)`): 0/0 for a constant input or feature;
    - the per-example count of what a caller's mask selects: a `sum` along a
      non-batch axis of a mask computed from a parameter (`mask.sum(dim=1)` of an
      `attention_mask` argument, `(labels != -100).sum(-1)`), or a
      `count_nonzero`, under a masked sum or the mask itself: one all-padding
      row, one sample without positives or completion tokens is enough;
    - or a square root or power of one of these. The facts follow local assignments.

    With the option `statistics_anywhere = true` it also reports a count over the
    whole batch (`mask.sum()`, `dim=0`) or of a mask built in the code, `max - min`
    of values computed in the function (a prediction), a ratio of spreads
    (`std_text / std_cfg`), and a `std`, `var` or `norm` (also written
    `sqrt(sum(x ** 2))`) of anything.

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
    value is later masked out. These denominators do reach 0 in practice: a row
    whose mask selects nothing (an all-padding example in mean pooling, a sequence
    whose prompt filled the whole length so no completion token is left), a
    constant image or feature in min-max scaling (`(x - min) / (max - min)`) or
    in standardization (`(x - mean) / std`).

    ## Example
    ```python
    def normalize(data):
        return (data - data.min()) / (data.max() - data.min())

    def mean_pool(hidden, mask):
        return (hidden * mask).sum(dim=1) / mask.sum(dim=1)
    ```

    Use instead:
    ```python
    def normalize(data):
        return (data - data.min()) / (data.max() - data.min() + 1e-8)

    def mean_pool(hidden, mask):
        return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
    ```

    ## Known problems
    By default the rule leaves out denominators that are 0 only in degenerate cases
    on real code: the `std`, `var` or `norm` of learned activations (an embedding,
    a noise prediction), of constructed tables or of fixed datasets; counts over a
    whole batch (every example would have to be empty); the range of a network's
    prediction; counts of masks the code builds itself (from lengths, which
    usually guarantees one element). On the real-code corpus 4 of 33 reviewed
    reports of these kinds were true (see `docs/precision.md`). Set
    `statistics_anywhere = true` to report them all. Still reported by default: a
    caller's mask that the calling code never leaves empty, a range tested only
    inside a `tf.cond` that calls the function doing the division, and a division
    whose `inf`/NaN rows a later `masked_select` drops.

    Divisions by `len(...)`, by Python's `sum(...)` or by `.item()` are not
    reported: on Python numbers they raise `ZeroDivisionError` instead of
    producing NaN, and in the real-code corpus they almost always divide by a
    collection that cannot be empty. Any earlier condition that mentions the
    denominator (even one that does not exclude 0) silences the rule; a condition
    that only looks at a shape or identity (`x.dim() == 2`, `x is None`) does not.
    In a nested function, a test anywhere in the enclosing function counts, also one
    written after it (`tf.cond(hi > lo, scale, ...)` calls it only where the range is not 0).
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
    default_options = {"statistics_anywhere": False}

    VALID = [
        Valid("import torch\ny = (x - x.mean()) / (x.std() + 1e-8)"),
        Valid("import torch\ny = loss.sum() / mask.sum().clamp(min=1)"),
        Valid("import torch\ny = x.sum() / x.shape[0]"),
        Valid("from pathlib import Path\np = Path(root) / 'data'"),
        Valid("import torch\nn = mask.sum()\nif n > 0:\n    y = loss.sum() / n"),
    ]
    INVALID = [
        Invalid("import numpy as np\ndef f(x):\n    lo, hi = np.min(x), np.max(x)\n    return (x - lo) / (hi - lo)",
                line=4, col=12),
        Invalid("import torch\ndef f(h, mask):\n    return (h * mask).sum(1) / mask.sum(1)", line=3, col=12),
        Invalid("import torch\ndef f(loss, mask):\n    return torch.div(loss.sum(-1), mask.sum(-1))", line=3, col=12),
    ]

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) in (cst.Divide, cst.FloorDivide):
            self._check(node, node.left, node.right)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, (cst.DivideAssign, cst.FloorDivideAssign)):
            self._check(node, node.target, node.value)

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._capped: Set[int] = set()  # divisions whose result an upper bound caps right away
        # Unguarded divisions inside a nested function, by the enclosing function: see `_report_or_defer`.
        self._deferred: Dict[int, List[Tuple[cst.CSTNode, cst.BaseExpression, str]]] = {}

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        # The whole enclosing function has been seen (its scope is still open): a guard written
        # after the nested function, where it is called (`tf.cond(hi > lo, scale, ...)`), counts.
        for division, denominator, message in self._deferred.pop(id(node), []):
            if not self.semantic.is_checked(denominator):
                self._report_or_defer(division, denominator, message)

    @for_operations("minimum", "clamp", "min", "div", "reciprocal")
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
        if not self.options["statistics_anywhere"] and not self._high_confidence(value, numerator, denominator):
            return
        self._report_or_defer(node, denominator, self._message(denominator, zero))

    def _report_or_defer(self, node: cst.CSTNode, denominator: cst.BaseExpression, message: str) -> None:
        """A nested function runs when it is called, which may be after (and under) a test
        its enclosing function writes later: decide when the enclosing function ends."""
        functions = [scope.node for scope in self.semantic.scopes.scopes if scope.kind in ("function", "lambda")]
        enclosing = functions[-2] if len(functions) >= 2 else None
        if isinstance(enclosing, cst.FunctionDef):
            self._deferred.setdefault(id(enclosing), []).append((node, denominator, message))
        else:
            self.report(node, message)

    # --- which zeros are worth reporting by default ------------------------------------

    def _high_confidence(self, value: v.Value, numerator: Optional[cst.BaseExpression],
                         denominator: cst.BaseExpression) -> bool:
        """Denominators that reach 0 on inputs the code is written to accept: `max - min` of data
        a caller passes in (a constant image or feature), and a count of what a mask selects in
        each example (`mask.sum(dim=1)`: one all-padding row, one sample without positives is
        enough) of a mask a caller passes in. On the real-code corpus the other kinds were mostly
        degenerate (see `docs/precision.md`); `statistics_anywhere = true` reports them too."""
        assert value.zero is not None
        if "range" in value.tags:
            return "of-input" in value.tags  # min-max scaling of a caller's data
        if value.tags & {"std", "var"}:
            return "of-input" in value.tags and self._standardizes(numerator, denominator)
        if value.zero.kind == v.COUNT:
            return True
        if value.zero.kind == v.SUM:
            # A count of what a caller's mask selects (`attention_mask`, `labels != -100`), not of a
            # mask the code builds itself from lengths (which usually guarantees one element).
            return any(self.operation(call) == "sum" and self._per_example(call) and "of-input" in self.semantic.value(call).tags
                       for call in self._statistics(denominator, depth=4))
        return False

    def _standardizes(self, numerator: Optional[cst.BaseExpression], denominator: cst.BaseExpression) -> bool:
        """`(x - x.mean()) / x.std()`, `x / x.std()`: the data whose spread is the denominator is
        divided by it (0/0 for constant data), rather than a ratio of two spreads."""
        if numerator is None:
            return False
        spread_of = {expression_key(operand) for call in self._statistics(denominator, depth=4)
                     if self.operation(call) in ("std", "var") and (operand := self.semantic.operand(call)) is not None}
        return bool(spread_of) and any(expression_key(part) in spread_of for part in nodes(numerator)
                                       if isinstance(part, (cst.Name, cst.Attribute, cst.Subscript)))

    def _per_example(self, call: cst.Call) -> bool:
        """A sum along a non-batch axis (`dim=1`, `-1`, `axis=(1, 2)`), not over the whole batch
        (`mask.sum()`, `dim=0`), which is empty only when every example is."""
        dim = argument_value(call, ("dim", "axis"), 0 if self.semantic.is_method_call(call) else 1)
        if dim is None:
            return False
        parts = [element.value for element in dim.elements] if isinstance(dim, (cst.Tuple, cst.List)) else [dim]
        return any(self.semantic.value(part).const != 0 for part in parts)

    def _source(self, expr: cst.BaseExpression, depth: int = 2) -> cst.BaseExpression:
        """What a local name was assigned from (`n = x.norm()` -> `x.norm()`), a few levels deep."""
        while isinstance(expr, cst.Name) and depth > 0:
            binding = self.semantic.scopes.lookup(expr.value)
            if not isinstance(binding, ValueBinding) or binding.node is None:
                break
            expr, depth = binding.node, depth - 1
        return expr

    def _statistics(self, expr: cst.BaseExpression, depth: int) -> Iterator[cst.Call]:
        """The `norm`/`std`/`var`/`sum` calls a denominator is computed from, through names,
        products, powers, `sqrt` and views (`norm.unsqueeze(1)`)."""
        expr = self._source(expr)
        if depth <= 0:
            return
        if isinstance(expr, cst.BinaryOperation):
            yield from self._statistics(expr.left, depth - 1)
            yield from self._statistics(expr.right, depth - 1)
        elif isinstance(expr, cst.IfExp):
            yield from self._statistics(expr.body, depth - 1)
            yield from self._statistics(expr.orelse, depth - 1)
        elif isinstance(expr, cst.Call):
            op = self.operation(expr)
            if op in _STATISTICS:
                yield expr
                return
            inner: Optional[cst.BaseExpression] = None
            if op in _PASS_THROUGH:
                inner = self.semantic.operand(expr)
            elif isinstance(expr.func, cst.Attribute) and expr.func.attr.value in names.VALUE_PRESERVING_METHODS:
                inner = expr.func.value
            if inner is not None:
                yield from self._statistics(inner, depth - 1)

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
