"""`exp` that overflows: NAN105 log-of-sum-of-exp, NAN106 log-of-one-plus-exp,
NAN107 naive-softmax, NAN108 unbounded-exp."""

from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

import libcst as cst

from nanlint.rule import Invalid, Valid, for_operations
from nanlint.rules._numerics import NumericsRule, source, token_triggers
from nanlint.semantic.calls import argument_value
from nanlint.semantic.scope import ValueBinding

_SHORT = 40  # longest operand text quoted in a message


def _quoted(expr: cst.BaseExpression, fallback: str = "x") -> str:
    text = source(expr)
    return text if len(text) <= _SHORT else fallback


class _ExpRule(NumericsRule):
    def exp_operand(self, expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """If `expr` is (bound to) a one-argument `exp(...)`, its argument."""
        call = self.op_origin(expr, "exp")
        if call is None:
            return None
        return self.single_operand(call)

    def summed_exp_operand(self, reduction: cst.Call) -> Optional[cst.BaseExpression]:
        """`sum(exp(x))`, `exp(x).sum(dim)`, `sum(math.exp(v) for v in xs)`: the `x`."""
        summed = self.semantic.operand(reduction)
        if summed is None:
            return None
        if isinstance(summed, (cst.GeneratorExp, cst.ListComp)):
            return self.exp_operand(summed.elt)
        return self.exp_operand(summed)


class LogOfSumOfExp(_ExpRule):
    """
    ## What it does
    Flags a hand-written log-sum-exp: `log(sum(exp(x)))` in any spelling
    (`torch.log(torch.exp(x).sum(dim))`, `x.exp().sum(-1).log()`,
    `np.log(np.sum(np.exp(x), axis=1))`, `tf.math.log(tf.reduce_sum(tf.exp(x), 1))`,
    through local variables too), and `log(mean(exp(x)))`, unless `x` has had its
    maximum subtracted (`x - x.max(dim, keepdim=True)`) or is bounded.

    ## Why is this bad?
    `exp` overflows to `inf` once an input exceeds about 88 in float32 (about 11
    in float16), so the result is `inf` and the gradient NaN; and when every input
    is below about -104, each `exp` underflows to 0 and the result is `log(0) =
    -inf`. `logsumexp` subtracts the maximum internally and is exact for any input.
    The message names the replacement with the same reduction dimension (`dim` /
    `axis`, and `keepdim`).

    ## Example
    ```python
    lse = torch.log(torch.sum(torch.exp(scores), dim=1))
    ```

    Use instead:
    ```python
    lse = torch.logsumexp(scores, dim=1)
    ```

    ## Known problems
    The manual stable form `m + log(sum(exp(x - m)))` is recognised when `m` is a
    `max` of the values; a shift by some other bound is not, and is reported.

    ## References
    - PyTorch docs: `torch.logsumexp`
    - TensorFlow docs: `tf.math.reduce_logsumexp`
    - SciPy docs: `scipy.special.logsumexp`
    - Blanchard, Higham, Higham, "Accurately computing the log-sum-exp and softmax functions" (2021)
    """

    code = "NAN105"
    name = "log-of-sum-of-exp"
    message = "`log(sum(exp(x)))` overflows to `inf` for large `x` and is `-inf` when every `exp` underflows"
    fix_title = "Use `logsumexp` over the same dimension"
    triggers = token_triggers("exp")

    VALID = [
        Valid("import torch\nlse = torch.logsumexp(x, dim=1)"),
        Valid("import torch\nm = x.max(dim=1, keepdim=True)[0]\nlse = m + torch.log(torch.exp(x - m).sum(dim=1, keepdim=True))"),
        Valid("import torch\ny = torch.log(torch.exp(-x.abs()).sum(-1).clamp(max=1.0) + 1)"),
    ]
    INVALID = [
        Invalid("import torch\nlse = torch.log(torch.sum(torch.exp(scores), dim=1))", line=2, col=7),
        Invalid("import numpy as np\nlse = np.log(np.exp(a).sum(axis=-1, keepdims=True))", line=2, col=7),
        Invalid("import torch\ne = x.exp()\ns = e.sum(-1)\nlse = s.log()", line=4, col=7),
    ]

    @for_operations("log")
    def visit_Call(self, node: cst.Call) -> None:
        if self.operation(node) != "log":
            return
        operand = self.single_operand(node)
        if operand is None:
            return
        reduction = self.op_origin(operand, "sum", "mean")
        if reduction is None:
            return
        exp_argument = self.summed_exp_operand(reduction)
        if exp_argument is None or self.exp_bounded_both(exp_argument):
            return
        self.report(node, message=self._message(reduction, exp_argument))

    def _message(self, reduction: cst.Call, exp_argument: cst.BaseExpression) -> str:
        framework = self.framework(reduction)
        if framework in (None, "tensor"):
            framework = self.producing_framework(exp_argument) or "torch"
        method = self.semantic.is_method_call(reduction)
        builtin = (self.qualified_name(reduction.func) or "").startswith("builtins.")
        dim = None if builtin else argument_value(reduction, ("dim", "axis"), 0 if method else 1)
        keep = None if builtin else argument_value(reduction, ("keepdim", "keepdims"), 1 if method else 2)
        x = _quoted(exp_argument)
        if framework in ("torch", "tensor"):
            call = f"torch.logsumexp({x}, dim={source(dim)}" if dim is not None else f"torch.logsumexp({x}.flatten(), dim=0"
            call += f", keepdim={source(keep)})" if keep is not None else ")"
        else:
            function = {"tensorflow": "tf.reduce_logsumexp", "keras": "keras.ops.logsumexp", "jax": "jax.nn.logsumexp"}.get(
                framework, "scipy.special.logsumexp")
            keyword = "keepdims"
            call = f"{function}({x}" + (f", axis={source(dim)}" if dim is not None else "")
            call += f", {keyword}={source(keep)})" if keep is not None else ")"
        reduced = "mean" if self.operation(reduction) == "mean" else "sum"
        if reduced == "mean":
            call += " - log(n)"
        if self.exp_bounded_above(exp_argument):
            # `exp(-t * d2)` cannot overflow: only the underflow half of the risk is real.
            risk = "is `-inf` when every `exp` underflows to 0 (every `x` below about -104 in float32)"
        else:
            risk = "overflows to `inf` for large `x` and is `-inf` when every `exp` underflows"
        return f"`log({reduced}(exp(x)))` {risk}; use `{call}`"


class LogOfOnePlusExp(_ExpRule):
    """
    ## What it does
    Flags `log(1 + exp(x))`, `log(exp(x) + 1)` and `log1p(exp(x))` (any framework,
    through local variables too), unless `x` is bounded above (for example
    `-abs(x)`, a clamp, or a max-shifted value).

    ## Why is this bad?
    This is softplus written by hand. `exp(x)` overflows to `inf` once `x`
    exceeds about 88 in float32 (about 11 in float16), so the result is `inf` and
    the gradient NaN, although the true value is simply about `x`. `softplus`
    switches to the linear branch for large inputs.

    ## Example
    ```python
    penalty = torch.log(1 + torch.exp(margin))
    ```

    Use instead:
    ```python
    penalty = torch.nn.functional.softplus(margin)
    ```

    ## Known problems
    The stable formulation `relu(x) + log1p(exp(-abs(x)))` is not flagged.

    ## References
    - PyTorch docs: `torch.nn.functional.softplus`
    - TensorFlow docs: `tf.math.softplus`
    - JAX docs: `jax.nn.softplus`
    """

    code = "NAN106"
    name = "log-of-one-plus-exp"
    message = "`log(1 + exp(x))` overflows to `inf` once `x` exceeds about 88 (float32), and its gradient is NaN"
    fix_title = "Use `softplus(x)` (`F.softplus`, `tf.math.softplus`, `jax.nn.softplus`)"
    triggers = token_triggers("exp")

    VALID = [
        Valid("import torch.nn.functional as F\ny = F.softplus(x)"),
        Valid("import torch\ny = torch.relu(x) + torch.log1p(torch.exp(-torch.abs(x)))"),
        Valid("import torch\ny = torch.log(1 + torch.exp(x.clamp(max=20)))"),
    ]
    INVALID = [
        Invalid("import torch\ny = torch.log(1 + torch.exp(x))", line=2, col=5),
        Invalid("import numpy as np\ny = np.log1p(np.exp(-margin))", line=2, col=5),
        Invalid("import tensorflow as tf\nt = tf.exp(z) + 1.0\ny = tf.math.log(t)", line=3, col=5),
    ]

    @for_operations("log", "log1p")
    def visit_Call(self, node: cst.Call) -> None:
        op = self.operation(node)
        if op not in ("log", "log1p"):
            return
        operand = self.single_operand(node)
        if operand is None:
            return
        if op == "log1p":
            exp_argument = self.exp_operand(operand)
        else:
            other = self.added_to_one(self.origin(operand))
            exp_argument = self.exp_operand(other) if other is not None else None
        if exp_argument is None or self.exp_bounded_above(exp_argument):
            return
        self.report(node)


class NaiveSoftmax(_ExpRule):
    """
    ## What it does
    Flags a softmax written by hand without subtracting the maximum:
    `exp(x) / exp(x).sum(dim, keepdim=True)`, `np.exp(x) / np.sum(np.exp(x))`,
    `e = torch.exp(x); e / e.sum(-1, keepdim=True)` (also `e /= ...` and `+ eps`
    in the denominator). It is silent when `x` is `y - y.max(...)` (directly or
    through a variable, possibly scaled) or is bounded above (a Gaussian kernel
    `exp(-d ** 2 / (2 * s ** 2)) / sum(...)` cannot overflow).

    ## Why is this bad?
    `exp` overflows to `inf` once a logit exceeds about 88 in float32 (about 11
    in float16), and `inf / inf` is NaN. When all logits of a row are below about
    -104, every `exp` underflows to 0 and `0 / 0` is NaN as well. Subtracting the
    row maximum makes the largest term exactly 1, which rules out both.

    ## Example
    ```python
    probs = torch.exp(logits) / torch.exp(logits).sum(dim=-1, keepdim=True)
    ```

    Use instead:
    ```python
    probs = torch.softmax(logits, dim=-1)
    # or, by hand:
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    probs = shifted.exp() / shifted.exp().sum(dim=-1, keepdim=True)
    ```

    ## Known problems
    Numerator and denominator must be the same `exp` (the same expression or the
    same variable); a softmax assembled across helper functions is not seen. A
    softmax over non-positive scores (`exp(-dist) / sum(exp(-dist))`) is not
    reported although every term can underflow to 0 (and `0 / 0` is NaN) when all
    distances exceed about 104, because the same shape is the usual way to
    normalize a Gaussian kernel.

    ## References
    - PyTorch docs: `torch.softmax`
    - Goodfellow, Bengio, Courville, *Deep Learning*, section 4.1 (overflow and underflow in softmax)
    """

    code = "NAN107"
    name = "naive-softmax"
    message = "Softmax written as `exp(x) / sum(exp(x))` without subtracting the max overflows to `inf / inf` = NaN"
    fix_title = "Use `softmax(x, dim)`, or subtract `x.max(dim, keepdim=True)` from `x` before `exp`"
    triggers = token_triggers("exp")

    VALID = [
        Valid("import torch\np = torch.softmax(x, dim=-1)"),
        Valid("import torch\nz = x - x.max(dim=-1, keepdim=True).values\np = z.exp() / z.exp().sum(-1, keepdim=True)"),
        Valid("import numpy as np\np = np.exp(a) / np.exp(b).sum()"),
        Valid("import torch\ng = torch.exp(-(x ** 2) / (2 * sigma ** 2))\nkernel = g / g.sum()"),
    ]
    INVALID = [
        Invalid("import torch\np = torch.exp(x) / torch.exp(x).sum(dim=-1, keepdim=True)", line=2, col=5),
        Invalid("import numpy as np\ne = np.exp(scores)\np = e / (np.sum(e, axis=0) + 1e-8)", line=3, col=5),
    ]

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) is cst.Divide:
            self._check(node, node.left, node.right)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.DivideAssign):
            self._check(node, node.target, node.value)

    @for_operations("div")
    def visit_Call(self, node: cst.Call) -> None:
        if self.operation(node) != "div":
            return
        method = self.semantic.is_method_call(node)
        numerator = self.semantic.operand(node)
        denominator = argument_value(node, ("other", "y", "x2"), 0 if method else 1)
        if numerator is not None and denominator is not None:
            self._check(node, numerator, denominator)

    def _check(self, node: cst.CSTNode, numerator: cst.BaseExpression, denominator: cst.BaseExpression) -> None:
        numerator_exp = self.op_origin(numerator, "exp")
        if numerator_exp is None:
            return
        reduction = self._sum_in(denominator)
        if reduction is None:
            return
        summed = self.semantic.operand(reduction)
        if summed is None or not self._same_exp(numerator, numerator_exp, summed):
            return
        argument = self.single_operand(numerator_exp)
        if argument is None or self.exp_bounded_above(argument):
            return
        self.report(node)

    def _sum_in(self, denominator: cst.BaseExpression) -> Optional[cst.Call]:
        found = self.op_origin(denominator, "sum")
        if found is not None:
            return found
        expr = self.origin(denominator)
        if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Add:
            for side in (expr.left, expr.right):
                found = self.op_origin(side, "sum")
                if found is not None:
                    return found
        return None

    def _same_exp(self, numerator: cst.BaseExpression, numerator_exp: cst.Call, summed: cst.BaseExpression) -> bool:
        if type(numerator) is cst.Name and type(summed) is cst.Name and numerator.value == summed.value:
            return True
        summed_exp = self.op_origin(summed, "exp")
        if summed_exp is None:
            return False
        if summed_exp is numerator_exp:
            return True
        left, right = self.single_operand(numerator_exp), self.single_operand(summed_exp)
        return left is not None and right is not None and left.deep_equals(right)


_LOG_SCALE_NAME = re.compile(
    r"(?:^|_)(?:log_?var(?:iance)?s?|log_?sigma2?s?|log_?std(?:dev)?s?|log_?scales?)(?:_|$|\d)", re.IGNORECASE
)
# Calls that bound their result even though the semantic model has no operation for them.
_BOUNDING_CALLS = frozenset(
    {"tanh", "hardtanh", "hard_tanh", "softsign", "sigmoid", "clamp", "clip", "clamp_", "clip_", "clip_by_value",
     "log_softmax", "logsigmoid", "log_sigmoid", "softplus", "minimum", "maximum", "where", "zeros_like",
     "ones_like", "full_like", "zeros", "ones", "full", "log", "tensor", "Parameter", "get_variable", "add_weight"}
)
_IN_PLACE_CLAMPS = frozenset({"clamp_", "clip_", "clamp_max_", "clamp_min_"})
# Calls that cut a layer's output into pieces (mean and log-variance halves).
_SPLITTERS = frozenset({"chunk", "split", "unbind", "tensor_split", "array_split", "rearrange", "unpack"})


class UnboundedExp(_ExpRule):
    """
    ## What it does
    Flags `exp` of a raw, unclamped log-variance or log-scale: a variable named
    like one (`logvar`, `log_var`, `log_variance`, `log_sigma`, `log_std`,
    `log_stddev`, `log_scale`, with prefixes such as `z_logvar`) that was produced
    by a network layer (`logvar = self.fc_var(h)`, where `fc_var` is an attribute
    of `self` and not a method of the class) or a model call, possibly split
    (`mean, log_std = torch.chunk(self.proj(h), 2, dim=-1)`), or that is a
    parameter of a VAE `reparameterize` function, and is exponentiated as is
    (`torch.exp(0.5 * logvar)`, `logvar.exp()`, `torch.exp(-log_std)`).

    ## Why is this bad?
    A linear layer's output has no bound. Early in training, or after one bad
    step, a log-variance can exceed about 88 (float32; about 11 in float16) and
    `exp` returns `inf`; the KL term or the sampled latent becomes `inf`/NaN and
    the NaN spreads to every weight. Clamping the log-variance (for example to
    `[-30, 20]`) or producing the scale with `softplus` keeps the whole chain finite.

    ## Example
    ```python
    logvar = self.fc_var(h)
    std = torch.exp(0.5 * logvar)
    ```

    Use instead:
    ```python
    logvar = self.fc_var(h).clamp(-30.0, 20.0)
    std = torch.exp(0.5 * logvar)
    ```

    ## Known problems
    The evidence is partly the variable's name: a log-variance stored in a
    differently named variable is not seen, and a variable named like one that is
    bounded by construction in a way the model cannot read (a layer that ends in
    `tanh`) is reported. Whether the value feeds a loss is not checked. Values
    kept as attributes (`self.logvar`) or learned directly as parameters are not
    reported.

    ## References
    - Kingma, Welling, "Auto-Encoding Variational Bayes" (2014)
    - Dehaene, Brossard, "Re-parameterizing VAEs for stability" (2021)
    """

    code = "NAN108"
    name = "unbounded-exp"
    message = "`exp` of an unclamped log-variance from a layer output overflows to `inf` once it exceeds about 88 (float32)"
    fix_title = "Clamp the log-variance before `exp` (for example `logvar.clamp(-30, 20)`), or produce the scale with `softplus`"
    triggers = token_triggers("exp")

    VALID = [
        Valid("import torch\nclass Encoder(torch.nn.Module):\n    def forward(self, h):\n"
              "        logvar = self.fc_var(h).clamp(-30.0, 20.0)\n        return torch.exp(0.5 * logvar)"),
        Valid("import torch\nstd = torch.exp(0.5 * self.logvar)"),
        Valid("import torch\nlogvar = self.fc_var(h)\nlogvar.clamp_(-30, 20)\nstd = logvar.exp()"),
        Valid("import torch\ndef sample(mu, logvar):\n    return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)"),
    ]
    INVALID = [
        Invalid("import torch\nclass Encoder(torch.nn.Module):\n    def forward(self, h):\n"
                "        logvar = self.fc_var(h)\n        return torch.exp(0.5 * logvar)", line=5, col=16),
        Invalid("import torch\nclass Head(torch.nn.Module):\n    def forward(self, h):\n"
                "        mean, log_std = torch.chunk(self.proj(h), 2, dim=-1)\n        return log_std.exp()", line=5, col=16),
        Invalid("import torch\nclass VAE(torch.nn.Module):\n    def reparameterize(self, mu, logvar):\n"
                "        std = torch.exp(0.5 * logvar)\n        return mu + std * torch.randn_like(std)", line=4, col=15),
    ]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        # id(binding) -> (binding, call): names bound by unpacking a call's result.
        self._unpacked: Dict[int, Tuple[ValueBinding, cst.Call]] = {}
        # id(binding) -> binding: names clamped in place after they were bound.
        self._clamped: Dict[int, ValueBinding] = {}

    def leave_Assign(self, original_node: cst.Assign) -> None:
        value = original_node.value
        if type(value) is not cst.Call:
            return
        for target in original_node.targets:
            if not isinstance(target.target, (cst.Tuple, cst.List)):
                continue
            for element in target.target.elements:
                if type(element.value) is cst.Name:
                    binding = self.semantic.scopes.lookup(element.value.value)
                    if isinstance(binding, ValueBinding):
                        self._unpacked[id(binding)] = (binding, value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Attribute and func.attr.value in _IN_PLACE_CLAMPS and type(func.value) is cst.Name:
            binding = self.semantic.scopes.lookup(func.value.value)
            if isinstance(binding, ValueBinding):
                self._clamped[id(binding)] = binding
            return
        if self.operation(node) != "exp":
            return
        operand = self.single_operand(node)
        if operand is None:
            return
        name = self._scaled_name(operand)
        if name is None or not _LOG_SCALE_NAME.search(name.value):
            return
        if self._raw_evidence(name) and not self.exp_bounded_above(operand):
            self.report(node)

    def _scaled_name(self, expr: cst.BaseExpression) -> Optional[cst.Name]:
        """`logvar`, `0.5 * logvar`, `logvar / 2`, `-logvar`, `logvar.mul(0.5)` -> the name."""
        for _ in range(4):
            if type(expr) is cst.Name:
                return expr
            if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Minus:
                expr = expr.expression
            elif type(expr) is cst.BinaryOperation and isinstance(expr.operator, (cst.Multiply, cst.Divide)):
                if self.is_constant(expr.right):
                    expr = expr.left
                elif type(expr.operator) is cst.Multiply and self.is_constant(expr.left):
                    expr = expr.right
                else:
                    return None
            elif (type(expr) is cst.Call and type(expr.func) is cst.Attribute
                  and expr.func.attr.value in ("mul", "div", "multiply", "divide") and len(expr.args) == 1
                  and self.is_constant(expr.args[0].value)):
                expr = expr.func.value
            else:
                return None
        return None

    def _raw_evidence(self, name: cst.Name) -> bool:
        binding = self.semantic.scopes.lookup(name.value)
        if not isinstance(binding, ValueBinding):
            return False
        if self._clamped.get(id(binding)) is binding:
            return False
        value = binding.value
        if getattr(value, "guarded", False) or getattr(value, "hi", None) is not None:
            return False
        unpacked = self._unpacked.get(id(binding))
        if unpacked is not None and unpacked[0] is binding:
            return self._is_layer_call(unpacked[1])
        if binding.node is None:
            return "parameter" in getattr(value, "tags", ()) and self._in_reparameterize()
        produced = self.origin(name)
        return type(produced) is cst.Call and self._is_layer_call(produced)

    def _is_layer_call(self, call: cst.Call) -> bool:
        """A network layer or model applied to something: `self.fc_var(h)` (an attribute of
        `self` that is not a method of the class), a model object's call, or a split of
        one of these (`torch.chunk(self.proj(h), 2, -1)`, `rearrange(out, ...)`)."""
        if self.operation(call) is not None:
            return False
        func = call.func
        last = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else None
        if last is None or last in _BOUNDING_CALLS:
            return False
        if last in _SPLITTERS:
            inner = self.semantic.operand(call) if self.semantic.is_method_call(call) else argument_value(call, (), 0)
            return inner is not None and self._is_layer_output(inner)
        if "model-output" in self.semantic.value(call).tags:
            return True
        if type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == "self":
            enclosing = self.enclosing_class()
            return enclosing is not None and last not in enclosing[2]
        return False

    def _is_layer_output(self, expr: cst.BaseExpression) -> bool:
        """A layer call's result, possibly masked (`self.proj(h) * mask`)."""
        found = self.origin(expr)
        if type(found) is cst.Call:
            return self._is_layer_call(found)
        if type(found) is cst.BinaryOperation and type(found.operator) is cst.Multiply:
            return any(isinstance(self.origin(side), cst.Call) and self._is_layer_call(self.origin(side))
                       for side in (found.left, found.right))
        return False

    def _in_reparameterize(self) -> bool:
        scope = self.semantic.scopes.function_scope()
        node = scope.node if scope is not None else None
        return isinstance(node, cst.FunctionDef) and "reparam" in node.name.value.lower()
