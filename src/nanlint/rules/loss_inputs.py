"""Loss functions fed the wrong thing: NAN201-NAN204.

NAN201 sigmoid-into-bce, NAN202 hand-written-cross-entropy, NAN203
softmax-into-nll-loss, NAN204 keras-from-logits-mismatch. They share `LossRule`,
which knows what a called object is (a loss function, an instance of a loss class
bound to a name or to `self.<attribute>`) and whether a value is a probability
(a `sigmoid`/`softmax` output through local variables, or the output of a network
whose `forward` returns one).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from nanlint import names
from nanlint.rule import Invalid, Rule, Valid, for_operations
from nanlint.semantic.calls import argument_value, positional_count, string_value
from nanlint.semantic.precision import FLOAT32, FLOAT64, FloatFormat, is_literal, round_to, shortest, source
from nanlint.semantic.scope import ValueBinding
from nanlint.semantic.values import TINY

_MAX_DEPTH = 6
_FORWARD_METHODS = ("forward", "call", "__call__")
_PROBABILITY_OPS = ("sigmoid", "softmax")


def _key(expr: cst.CSTNode) -> str:
    return "".join(source(expr).split())


def _shown(expr: cst.BaseExpression, value: float) -> str:
    """`1 - 1e-8` for a literal, `1 - epsilon` (= 0.99999999) otherwise."""
    return f"`{source(expr)}`" if is_literal(expr) else f"`{source(expr)}` (= {shortest(value)})"


def _literal_bool(expr: Optional[cst.BaseExpression]) -> Optional[bool]:
    if type(expr) is cst.Name and expr.value in ("True", "False"):
        return expr.value == "True"
    return None


class LossRule(Rule):
    """Base of the loss rules: loss objects and probability sources. Has no code."""

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        # (id of the class node, attribute) -> the call assigned to `self.<attribute>`
        self._attributes: Dict[Tuple[int, str], cst.BaseExpression] = {}
        # class name -> "sigmoid"/"softmax" when its forward/call returns that probability
        self._probability_classes: Dict[str, str] = {}
        self._forward_owner: List[Optional[str]] = []

    # --- the walk --------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        owner = self._owner()
        if owner is None:
            return
        for target in node.targets:
            attr = target.target
            if type(attr) is cst.Attribute and type(attr.value) is cst.Name and attr.value.value == "self":
                self._attributes[(id(owner), attr.attr.value)] = node.value

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        owner = self._owner()
        self._forward_owner.append(owner.name.value if owner is not None and node.name.value in _FORWARD_METHODS else None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self._forward_owner:
            self._forward_owner.pop()

    def visit_Return(self, node: cst.Return) -> None:
        owner = self._forward_owner[-1] if self._forward_owner else None
        if owner is not None and node.value is not None:
            found = self.probability_source(node.value)
            if found is not None:
                self._probability_classes[owner] = found

    # --- questions ---------------------------------------------------------------------

    def _owner(self) -> Optional[cst.ClassDef]:
        for scope in reversed(self.semantic.scopes.scopes):
            if scope.kind == "class" and isinstance(scope.node, cst.ClassDef):
                return scope.node
        return None

    def definition(self, expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """What a name or `self.<attribute>` was assigned (one step), else None."""
        if type(expr) is cst.Name:
            binding = self.semantic.scopes.lookup(expr.value)
            if isinstance(binding, ValueBinding) and isinstance(binding.node, cst.BaseExpression):
                return binding.node
        elif type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self":
            owner = self._owner()
            if owner is not None:
                return self._attributes.get((id(owner), expr.attr.value))
        return None

    def callee(self, call: cst.Call) -> Tuple[Optional[str], Optional[cst.Call]]:
        """(qualified name, constructor call): `F.nll_loss(...)` -> ("torch.nn.functional.nll_loss", None);
        `criterion(...)` after `criterion = nn.BCELoss()` -> ("torch.nn.BCELoss", that call)."""
        func = call.func
        if type(func) is cst.Call:
            return self.qualified_name(func.func), func
        qualified = self.qualified_name(func)
        if qualified is not None:
            return (None, None) if qualified.startswith("<local>.") else (qualified, None)
        bound = self.definition(func)
        if type(bound) is cst.Call:
            return self.qualified_name(bound.func), bound
        if bound is not None:
            found = self.qualified_name(bound)
            return (found, None) if found and not found.startswith("<local>.") else (None, None)
        return None, None

    def probability_source(self, expr: cst.BaseExpression, depth: int = 0) -> Optional[str]:
        """"sigmoid"/"softmax" when `expr` is visibly that probability, else None."""
        if depth > _MAX_DEPTH:
            return None
        tags = self.semantic.value(expr).tags
        if "probability" in tags:
            for op in _PROBABILITY_OPS:
                if op in tags:
                    return op
        # `.squeeze()`, `.view(-1)`, `.float()` keep the values.
        while (type(expr) is cst.Call and type(expr.func) is cst.Attribute
               and expr.func.attr.value in names.VALUE_PRESERVING_METHODS
               and not self.semantic.is_module_reference(expr.func.value)):
            expr = expr.func.value
        if type(expr) is cst.Name:
            bound = self.definition(expr)
            return self.probability_source(bound, depth + 1) if bound is not None else None
        if type(expr) is cst.Call and positional_count(expr) >= 1:
            return self._network_output(expr.func, depth)
        return None

    def _network_output(self, func: cst.BaseExpression, depth: int) -> Optional[str]:
        """The probability a network returns, for `model(x)` / `self.net(x)` / `Net()(x)`."""
        ctor = func if type(func) is cst.Call else self.definition(func)
        for _ in range(3):  # `model = Net().to(device)`
            if (type(ctor) is cst.Call and type(ctor.func) is cst.Attribute
                    and ctor.func.attr.value in names.VALUE_PRESERVING_METHODS | {"train", "eval"}
                    and not self.semantic.is_module_reference(ctor.func.value)):
                ctor = ctor.func.value
        if type(ctor) is cst.Name:
            ctor = self.definition(ctor)
        if type(ctor) is not cst.Call:
            return None
        qualified = self.qualified_name(ctor.func) or ""
        if qualified.startswith("<local>."):
            return self._probability_classes.get(qualified[len("<local>."):])
        if qualified in ("torch.nn.Sequential",):
            layers = [arg.value for arg in ctor.args if arg.keyword is None and not arg.star]
            if layers and isinstance(layers[-1], cst.Call):
                return names.TORCH_PROBABILITY_MODULES.get(self.qualified_name(layers[-1].func) or "")
        return None


# --- NAN201 ----------------------------------------------------------------------------


class SigmoidIntoBce(LossRule):
    """
    ## What it does
    Flags a `sigmoid` output passed to a binary cross entropy that takes
    probabilities: `nn.BCELoss()` (inline, or a criterion bound to a name or to
    `self.<attribute>`), `F.binary_cross_entropy`, Keras
    `binary_crossentropy(..., from_logits=False)` and `BinaryCrossentropy()`. The
    sigmoid may be applied in the same expression, earlier in the same function
    (followed through local variables and `.squeeze()`-like calls), or be the last
    step of a network defined in the same file (`forward` returning
    `torch.sigmoid(...)`, `nn.Sequential(..., nn.Sigmoid())`).

    ## Why is this bad?
    In float32 `sigmoid(x)` is exactly 1.0 for `x` above about 17 and underflows
    towards 0 for very negative `x`. The loss then takes `log(0)`: PyTorch clamps it
    to -100 and divides the gradient by `max(p * (1 - p), 1e-12)`, Keras clips `p`
    to `[1e-7, 1 - 1e-7]`. Either the gradient explodes (up to 1e12) or it is 0
    exactly where the model is most wrong; with half precision or a slightly
    different implementation the loss is `inf` and the weights NaN. The logits
    were at hand, and the with-logits losses compute the same value stably
    (log-sum-exp).

    ## Example
    ```python
    criterion = nn.BCELoss()
    loss = criterion(torch.sigmoid(logits), targets)
    ```

    Use instead:
    ```python
    criterion = nn.BCEWithLogitsLoss()
    loss = criterion(logits, targets)
    ```

    ## Known problems
    A sigmoid applied in another file, or by a network built elsewhere, is not seen.
    `torch.sigmoid` followed by anything other than reshaping (a product, a clamp) is
    not followed.

    ## References
    - PyTorch docs: `torch.nn.BCEWithLogitsLoss` (more stable than a Sigmoid followed by `BCELoss`: log-sum-exp)
    - TensorFlow docs: `tf.keras.losses.BinaryCrossentropy` (`from_logits`)
    """

    code = "NAN201"
    name = "sigmoid-into-bce"
    message = "`sigmoid` output fed to a probability BCE loss; saturated outputs give -inf logs and exploding or vanishing gradients"
    fix_title = "Pass the logits to `BCEWithLogitsLoss` / `F.binary_cross_entropy_with_logits` (Keras: `from_logits=True`)"
    triggers = ("BCELoss", "binary_cross_entropy", "binary_crossentropy", "BinaryCrossentropy", "binary_focal_crossentropy",
                "BinaryFocalCrossentropy")

    VALID = [
        Valid("import torch\nloss = torch.nn.BCEWithLogitsLoss()(logits, y)"),
        Valid("import torch\nimport torch.nn.functional as F\nloss = F.binary_cross_entropy(probs, y)"),
        Valid("import tensorflow as tf\nloss = tf.keras.losses.binary_crossentropy(y, tf.sigmoid(x), from_logits=True)"),
    ]
    INVALID = [
        Invalid("import torch\nimport torch.nn as nn\ncriterion = nn.BCELoss()\nloss = criterion(torch.sigmoid(logits), y)",
                line=4, col=8),
        Invalid("import torch\nimport torch.nn.functional as F\np = torch.sigmoid(logits).squeeze(1)\n"
                "loss = F.binary_cross_entropy(p, y)", line=4, col=8),
        Invalid("import tensorflow as tf\nloss = tf.keras.losses.BinaryCrossentropy()(y, tf.sigmoid(x))", line=2, col=8),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified, ctor = self.callee(node)
        if qualified is None:
            return
        table = names.BINARY_PROBABILITY_LOSS_CLASSES if ctor is not None else names.BINARY_PROBABILITY_LOSS_FUNCTIONS
        spec = table.get(qualified)
        if spec is None:
            return
        from_logits = argument_value(ctor if ctor is not None else node, ("from_logits",))
        if from_logits is not None and _literal_bool(from_logits) is not False:
            return
        prediction = argument_value(node, spec[0], spec[1])
        if prediction is None or self.probability_source(prediction) != "sigmoid":
            return
        loss = qualified.rsplit(".", 1)[-1]
        self.report(
            node,
            f"`sigmoid` output fed to `{loss}`, which takes probabilities: where the sigmoid saturates to 0 or 1 the "
            "loss takes `log(0)`, and its gradient explodes or vanishes; the logits are at hand",
        )


# --- NAN203 ----------------------------------------------------------------------------


class SoftmaxIntoNllLoss(LossRule):
    """
    ## What it does
    Flags `F.nll_loss` and `nn.NLLLoss()` (inline or bound to a name or to
    `self.<attribute>`) applied to `softmax` probabilities instead of
    log-probabilities: a `softmax` output followed through local variables, or the
    output of a network defined in the same file whose `forward` ends in `softmax`
    (or an `nn.Sequential` ending in `nn.Softmax`).

    ## Why is this bad?
    `nll_loss` returns `-input[target]`: it expects `log_softmax` output. Given
    probabilities it computes `-p[target]`, a value in [-1, 0] whose gradient does
    not grow as the prediction gets worse, so training stalls or drifts; code that
    then "fixes" it with `log` of those probabilities takes `log(0)` where softmax
    underflowed, which is `-inf` and gives NaN gradients.

    ## Example
    ```python
    probs = F.softmax(logits, dim=1)
    loss = F.nll_loss(probs, target)
    ```

    Use instead:
    ```python
    loss = F.nll_loss(F.log_softmax(logits, dim=1), target)  # or F.cross_entropy(logits, target)
    ```

    ## Known problems
    Probabilities produced in another file are not seen.

    ## References
    - PyTorch docs: `torch.nn.NLLLoss` (log-probabilities come from a `LogSoftmax` last layer)
    - PyTorch docs: `torch.nn.CrossEntropyLoss`
    """

    code = "NAN203"
    name = "softmax-into-nll-loss"
    message = "`nll_loss` is fed `softmax` probabilities instead of log-probabilities"
    fix_title = "Use `log_softmax` before `nll_loss`, or `cross_entropy` on the logits"
    triggers = ("nll_loss", "NLLLoss")

    VALID = [
        Valid("import torch.nn.functional as F\nloss = F.nll_loss(F.log_softmax(x, dim=1), y)"),
        Valid("import torch.nn.functional as F\nloss = F.nll_loss(model(x), y)"),
    ]
    INVALID = [
        Invalid("import torch.nn.functional as F\nprobs = F.softmax(x, dim=1)\nloss = F.nll_loss(probs, y)", line=3, col=8),
        Invalid("import torch\ncriterion = torch.nn.NLLLoss()\nloss = criterion(torch.softmax(x, -1), y)", line=3, col=8),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified, ctor = self.callee(node)
        if qualified is None:
            return
        spec = (names.NLL_LOSS_CLASSES if ctor is not None else names.NLL_LOSS_FUNCTIONS).get(qualified)
        if spec is None:
            return
        prediction = argument_value(node, spec[0], spec[1])
        if prediction is None or self.probability_source(prediction) != "softmax":
            return
        self.report(
            node,
            f"`{qualified.rsplit('.', 1)[-1]}` is fed `softmax` probabilities instead of log-probabilities: "
            "it computes `-p[target]`, a wrong loss whose gradient does not grow with the error",
        )


# --- NAN202 ----------------------------------------------------------------------------


def _terms(node: cst.BaseExpression, consumed: set) -> List[cst.BaseExpression]:
    """The terms of a `+`/`-` chain (through parentheses)."""
    if type(node) is cst.BinaryOperation and isinstance(node.operator, (cst.Add, cst.Subtract)):
        consumed.add(id(node))
        return _terms(node.left, consumed) + _terms(node.right, consumed)
    return [node]


def _factors(node: cst.BaseExpression) -> List[cst.BaseExpression]:
    """The factors of a product (through unary minus and parentheses)."""
    if type(node) is cst.UnaryOperation and type(node.operator) is cst.Minus:
        return _factors(node.expression)
    if type(node) is cst.BinaryOperation and type(node.operator) is cst.Multiply:
        return _factors(node.left) + _factors(node.right)
    return [node]


class HandWrittenCrossEntropy(LossRule):
    """
    ## What it does
    Flags a cross entropy written out by hand over probabilities:
    - binary: `y * log(p) + (1 - y) * log(1 - p)` (any order, sign or
      parenthesization, any weights; `log1p(-p)` counts as `log(1 - p)`), unless
      both `log` arguments are kept away from 0 by a guard that holds in the working
      dtype (`log(p) - log(1 - p)` without weights is a logit, not a loss);
    - categorical: `sum(y * log(p))` / `(t * log(p)).sum()` / `tf.reduce_sum(...)`
      where `p` is visibly a `softmax` or `sigmoid` output and is not guarded.

    A clamp counts as a guard only if its bounds survive float32 (NumPy: float64):
    in `torch.clamp(p, 1e-8, 1 - 1e-8)` the upper bound is 1.0, so `log(1 - p)` is
    still unguarded and the message says so. The clamp itself is reported by NAN501
    (epsilon-vanishes-in-dtype); this rule reports the loss, whose fix is different.

    ## Why is this bad?
    `p` comes from a sigmoid or softmax, which round to exactly 0 or 1 for large
    logits. Then `log(p)` or `log(1 - p)` is `-inf`, `0 * -inf` is NaN, and the
    loss and every gradient are NaN. Even with a clamp, the gradient is 0 wherever
    the clamp is active, so confidently wrong predictions stop learning. The
    framework losses on logits (`F.binary_cross_entropy_with_logits`,
    `F.cross_entropy`, `tf.nn.softmax_cross_entropy_with_logits`, Keras
    `from_logits=True`) compute the same value with log-sum-exp, finite for any logit.

    ## Example
    ```python
    def bce(outputs, targets, epsilon=1e-8):
        outputs = torch.clamp(outputs, epsilon, 1 - epsilon)
        return -(targets * torch.log(outputs) + (1 - targets) * torch.log(1 - outputs)).mean()
    ```

    Use instead:
    ```python
    loss = F.binary_cross_entropy_with_logits(logits, targets)
    ```

    An unguarded `log` inside the reported expression is not reported again by the
    `log` rules (NAN101, NAN103, NAN104): the fix replaces the whole expression. With
    this rule switched off, they report it.

    ## Known problems
    A categorical cross entropy over a value whose
    origin is not visible (a function parameter) is not flagged; the binary form is,
    because `log(p)` next to `log(1 - p)` shows that `p` is a probability.

    ## References
    - PyTorch docs: `torch.nn.functional.binary_cross_entropy_with_logits`, `torch.nn.functional.cross_entropy`
    - TensorFlow docs: `tf.nn.softmax_cross_entropy_with_logits`, `tf.nn.sigmoid_cross_entropy_with_logits`
    """

    code = "NAN202"
    name = "hand-written-cross-entropy"
    message = "Hand-written cross entropy over probabilities; `log` of a saturated probability is -inf and the loss NaN"
    fix_title = ("Compute the loss from the logits with the framework: `F.binary_cross_entropy_with_logits` / "
                 "`F.cross_entropy` / `tf.nn.sigmoid_cross_entropy_with_logits` / Keras `from_logits=True`")
    triggers = ("log",)
    covers = ("NAN101", "NAN103", "NAN104")

    VALID = [
        Valid("import torch\nloss = -(y * torch.log(p.clamp(1e-7, 1 - 1e-7)) + (1 - y) * torch.log((1 - p).clamp(min=1e-7)))"),
        Valid("import torch\np = torch.clamp(p, 1e-7, 1 - 1e-7)\nloss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))"),
        Valid("import torch\ndef f(p, y):\n    return -(y * torch.log(p)).sum()"),
        Valid("import torch\np = torch.softmax(x, -1)\nh = -(p * torch.log(p + 1e-9)).sum()"),
    ]
    INVALID = [
        Invalid("import torch\ndef f(p, y):\n    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()", line=3, col=14),
        Invalid("import tensorflow as tf\ny = tf.nn.softmax(tf.matmul(x, W) + b)\n"
                "ce = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1]))", line=3, col=22),
        Invalid("import torch\ndef f(outputs, targets, epsilon=1e-8):\n"
                "    outputs = torch.clamp(outputs, epsilon, 1 - epsilon)\n"
                "    return -(targets * torch.log(outputs) + (1 - targets) * torch.log(1 - outputs))", line=4, col=14),
    ]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._consumed: set = set()

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) not in (cst.Add, cst.Subtract) or id(node) in self._consumed:
            return
        plain: Dict[str, Tuple[cst.Call, cst.BaseExpression]] = {}
        complement: Dict[str, Tuple[cst.Call, cst.BaseExpression]] = {}
        for term in _terms(node, self._consumed):
            factors = _factors(term)
            if len(factors) < 2:
                continue  # `log(p) - log(1 - p)` is a logit, not a loss: the logs must be weighted by targets
            for factor in factors:
                found = self._log_of(factor)
                if found is None:
                    continue
                call, argument, is_complement = found
                (complement if is_complement else plain)[_key(argument)] = (call, argument)
        shared = [key for key in plain if key in complement]
        if not shared:
            return
        _, probability = plain[shared[0]]
        fmt = self._format(plain[shared[0]][0])
        low, high = self._lower_guard(probability, fmt), self._upper_guard(probability, fmt)
        if low == "safe" and high == "safe":
            return
        shown = source(probability)
        reason = f"`log({shown})` or `log(1 - {shown})` is -inf where `{shown}` saturates at 0 or 1"
        if high.startswith("vanished:"):
            reason = (f"the clamp's upper bound {high[len('vanished:'):]} is 1.0 in {fmt.name}, so `log(1 - p)` is still "
                      "-inf where `p` reaches 1")
        elif low.startswith("vanished:"):
            reason = f"the clamp's lower bound {low[len('vanished:'):]} is 0.0 in {fmt.name}, so `log(p)` is still -inf"
        self.report(node, f"Hand-written binary cross entropy: {reason}; the loss and its gradients turn NaN")

    @for_operations("sum", "mean")
    def visit_Call(self, node: cst.Call) -> None:
        if self.operation(node) not in ("sum", "mean"):
            return
        operand = self.semantic.operand(node)
        if operand is None:
            return
        factors = _factors(operand)
        if len(factors) < 2:
            return
        for factor in factors:
            found = self._log_of(factor)
            if found is None or found[2]:
                continue
            call, probability, _ = found
            others = [f for f in factors if f is not factor]
            if any(_key(other) == _key(probability) for other in others):
                return  # `p * log(p)`: an entropy, not a cross entropy
            op = self.probability_source(probability)
            if op is None or self._lower_guard(probability, self._format(call)) == "safe":
                return
            self.report(
                node,
                f"Hand-written cross entropy over `{op}` probabilities: `log({source(probability)})` is -inf where "
                "the probability underflows to 0, and `0 * -inf` makes the loss NaN",
            )
            return

    # --- helpers ---------------------------------------------------------------------

    def _log_of(self, expr: cst.BaseExpression) -> Optional[Tuple[cst.Call, cst.BaseExpression, bool]]:
        """(log call, p, is it log(1 - p)) for `log(p)`, `log(1 - p)`, `log1p(-p)`."""
        if type(expr) is not cst.Call:
            return None
        op = self.operation(expr)
        if op not in ("log", "log1p"):
            return None
        argument = self.semantic.operand(expr)
        if argument is None:
            return None
        if op == "log1p":
            if type(argument) is cst.UnaryOperation and type(argument.operator) is cst.Minus:
                return expr, argument.expression, True
            return None
        if (type(argument) is cst.BinaryOperation and type(argument.operator) is cst.Subtract
                and self.semantic.constant(argument.left) == 1):
            return expr, argument.right, True
        return expr, argument, False

    def _format(self, call: cst.Call) -> FloatFormat:
        qualified = self.qualified_name(call) or ""
        return FLOAT64 if qualified.startswith(("numpy.", "math.", "cupy.", "scipy.")) else FLOAT32

    def _clamp_of(self, expr: cst.BaseExpression) -> Optional[cst.Call]:
        for _ in range(_MAX_DEPTH):
            if type(expr) is cst.Call and self.operation(expr) == "clamp":
                return expr
            if type(expr) is cst.Name:
                bound = self.definition(expr)
                if bound is None:
                    return None
                expr = bound
            else:
                return None
        return None

    def _bound(self, clamp: cst.Call, floor: bool) -> Optional[cst.BaseExpression]:
        position = 0 if self.semantic.is_method_call(clamp) else 1
        if floor:
            return argument_value(clamp, ("min", "clip_value_min", "a_min", "x_min", "min_value"), position)
        func_name = clamp.func.attr.value if type(clamp.func) is cst.Attribute else ""
        if "min" in func_name:
            return None
        return argument_value(clamp, ("max", "clip_value_max", "a_max", "max_value"), position + 1)

    def _lower_guard(self, probability: cst.BaseExpression, fmt: FloatFormat) -> str:
        """"safe", "vanished:<bound>", or "none": is `probability` kept above 0 in `fmt`?"""
        value = self.semantic.value(probability)
        if value.positive:
            if value.lo is not None and value.lo <= TINY:
                return "safe"  # a guard whose value we cannot see (`eps`)
            if value.lo is not None and round_to(value.lo, fmt) > 0:
                return "safe"
        clamp = self._clamp_of(probability)
        bound = self._bound(clamp, floor=True) if clamp is not None else None
        if bound is not None:
            floor = self.semantic.constant(bound)
            if floor is None:
                return "safe"
            if floor > 0 and round_to(floor, fmt) == 0:
                return f"vanished:{_shown(bound, floor)}"
            return "safe" if floor > 0 else "none"
        return "none"

    def _upper_guard(self, probability: cst.BaseExpression, fmt: FloatFormat) -> str:
        """"safe", "vanished:<bound>", or "none": is `probability` kept below 1 in `fmt`?"""
        clamp = self._clamp_of(probability)
        bound = self._bound(clamp, floor=False) if clamp is not None else None
        if bound is not None:
            ceiling = self.semantic.constant(bound)
            if ceiling is None:
                return "safe"
            if ceiling < 1 and round_to(ceiling, fmt) < 1:
                return "safe"
            if ceiling <= 1:
                return f"vanished:{_shown(bound, ceiling)}"
            return "none"
        value = self.semantic.value(probability)
        if value.hi is not None and value.hi < 1 and round_to(value.hi, fmt) < 1:
            return "safe"
        return "none"


# --- NAN204 ----------------------------------------------------------------------------


class KerasFromLogitsMismatch(LossRule):
    """
    ## What it does
    Flags a Keras cross-entropy loss whose `from_logits` does not match the last
    layer of the model it trains, when both are visible in the same file:
    - `from_logits=True` while the last layer applies `softmax` or `sigmoid`
      (`Dense(..., activation="softmax")`, `Activation("sigmoid")`, `Softmax()`);
    - `from_logits=False` (the default, and every string loss such as
      `"categorical_crossentropy"`) while the last layer is a `Dense`/`Conv` with no
      activation.

    Models are `Sequential([...])` (plus `model.add(...)`) and functional
    `Model(inputs, outputs)`; losses are read from `model.compile(loss=...)` and from
    calls `loss_fn(y, model(x))` in custom training loops.

    ## Why is this bad?
    With `from_logits=True` the loss applies softmax (or sigmoid) again to values
    that already are probabilities: the loss barely depends on the prediction and
    training stalls. With `from_logits=False` on raw logits, Keras treats them as
    probabilities: it clips them into `[1e-7, 1 - 1e-7]` (the gradient is 0 outside)
    and the categorical loss divides by their sum, which can be 0 or negative: the
    loss is NaN or meaningless.

    ## Example
    ```python
    model = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    ```

    Use instead:
    ```python
    model = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```

    ## Known problems
    Subclassed models (`call` methods) and models with several outputs are not read.
    A `Dense(1, activation="softmax")` last layer is not reported: a softmax over one
    unit is the constant 1, so the model outputs no information whatever `from_logits`
    says (a different mistake, with no NaN and no double squashing).

    ## References
    - Keras docs: `keras.losses.CategoricalCrossentropy` (`from_logits`)
    - TensorFlow tutorial "Basic classification" (logits and `from_logits=True`)
    """

    code = "NAN204"
    name = "keras-from-logits-mismatch"
    message = "Keras loss `from_logits` does not match the model's last layer"
    fix_title = "Use `from_logits=True` with a last layer without activation, or keep softmax/sigmoid and `from_logits=False`"
    triggers = ("crossentropy", "Crossentropy")

    VALID = [
        Valid("from tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(10)])\n"
              "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))"),
        Valid("from tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
              "model.compile(loss='sparse_categorical_crossentropy')"),
    ]
    INVALID = [
        Invalid("from tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(10)])\n"
                "model.compile(optimizer='adam', loss='categorical_crossentropy')", line=3, col=38),
        Invalid("from tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(1, activation='sigmoid')])\n"
                "model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))", line=3, col=20),
    ]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        # id of a Sequential constructor -> the last layer added with `model.add(...)`
        self._added: Dict[int, cst.BaseExpression] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Attribute and func.attr.value == "add" and type(func.value) is cst.Name:
            ctor = self.definition(func.value)
            layer = argument_value(node, ("layer",), 0)
            if type(ctor) is cst.Call and layer is not None and self.qualified_name(ctor.func) in names.KERAS_SEQUENTIAL:
                self._added[id(ctor)] = layer
            return
        if type(func) is cst.Attribute and func.attr.value == "compile":
            loss = argument_value(node, ("loss",), 1)
            if loss is not None:
                from_logits, kind = self._loss_from_logits(loss)
                self._check(loss, from_logits, kind, self._last_layer(func.value))
            return
        qualified, ctor = self.callee(node)
        if ctor is not None and qualified in names.KERAS_CROSSENTROPY_CLASSES:
            from_logits, loss_kind = self._from_logits(ctor), names.KERAS_CROSSENTROPY_CLASSES[qualified]
        elif ctor is None and qualified in names.KERAS_CROSSENTROPY_FUNCTIONS:
            from_logits, loss_kind = self._from_logits(node), names.KERAS_CROSSENTROPY_FUNCTIONS[qualified]
        else:
            return
        prediction = argument_value(node, ("y_pred", "output"), 1)
        model = self._model_of(prediction) if prediction is not None else None
        if model is not None:
            self._check(node, from_logits, loss_kind, self._last_layer(model))

    def _check(self, where: cst.BaseExpression, from_logits: Optional[bool], loss_kind: Optional[str],
               last: Optional[Tuple[str, str]]) -> None:
        if from_logits is None or last is None:
            return
        kind, shown = last
        if from_logits and kind in _PROBABILITY_OPS:
            self.report(where, f"`from_logits=True` but the model's last layer already applies `{kind}` ({shown}): "
                               "the loss applies it again, gradients shrink and training stalls")
        elif not from_logits and kind == "logits":
            consequence = ("the loss divides them by their sum, which can be 0 or negative: the loss is wrong or NaN"
                           if loss_kind == "categorical" else
                           "they are clipped into [1e-7, 1 - 1e-7]: the loss is wrong and its gradient 0 for negative logits")
            self.report(where, f"The loss expects probabilities (`from_logits=False`) but the model's last layer outputs "
                               f"logits ({shown}): {consequence}")

    # --- losses ----------------------------------------------------------------------

    def _from_logits(self, call: cst.Call) -> Optional[bool]:
        given = argument_value(call, ("from_logits",))
        return False if given is None else _literal_bool(given)

    def _loss_from_logits(self, loss: cst.BaseExpression, depth: int = 0) -> Tuple[Optional[bool], Optional[str]]:
        """(from_logits, "binary" | "categorical") of a compile-time loss, (None, None) when unknown."""
        text = string_value(loss)
        if text is not None:
            kind = names.KERAS_CROSSENTROPY_STRINGS.get(text)
            return (False, kind) if kind else (None, None)
        if type(loss) is cst.Call:
            kind = names.KERAS_CROSSENTROPY_CLASSES.get(self.qualified_name(loss.func) or "")
            return (self._from_logits(loss), kind) if kind else (None, None)
        kind = names.KERAS_CROSSENTROPY_FUNCTIONS.get(self.qualified_name(loss) or "")
        if kind:
            return False, kind
        bound = self.definition(loss) if depth < 2 else None
        return self._loss_from_logits(bound, depth + 1) if bound is not None else (None, None)

    # --- models ----------------------------------------------------------------------

    def _model_of(self, prediction: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """`model` for `model(x)` or a name bound to it."""
        if type(prediction) is cst.Name:
            bound = self.definition(prediction)
            prediction = bound if bound is not None else prediction
        if type(prediction) is cst.Call and type(prediction.func) is cst.Name:
            return prediction.func
        return None

    def _last_layer(self, model: cst.BaseExpression) -> Optional[Tuple[str, str]]:
        """("softmax" | "sigmoid" | "logits", shown layer) for a model whose last layer is visible."""
        ctor = self.definition(model)
        if type(ctor) is not cst.Call:
            return None
        qualified = self.qualified_name(ctor.func)
        if qualified in names.KERAS_SEQUENTIAL:
            last = self._added.get(id(ctor))
            if last is None:
                layers = argument_value(ctor, ("layers",), 0)
                if isinstance(layers, (cst.List, cst.Tuple)) and layers.elements:
                    last = layers.elements[-1].value
            return self._layer_kind(last) if last is not None else None
        if qualified in names.KERAS_FUNCTIONAL_MODEL:
            outputs = argument_value(ctor, ("outputs",), 1)
            if type(outputs) is cst.Name:
                outputs = self.definition(outputs)
            if type(outputs) is cst.Call:
                if type(outputs.func) is cst.Call:
                    return self._layer_kind(outputs.func)  # `layers.Dense(10)(x)`
                op = self.operation(outputs)
                if op in _PROBABILITY_OPS:
                    return op, f"`{source(outputs.func)}`"
        return None

    def _layer_kind(self, layer: cst.BaseExpression) -> Optional[Tuple[str, str]]:
        if type(layer) is not cst.Call:
            return None
        qualified = self.qualified_name(layer.func)
        shown = f"`{source(layer)}`"
        if qualified in names.KERAS_SOFTMAX_LAYERS:
            return "softmax", shown
        if qualified in names.KERAS_ACTIVATION_LAYERS:
            kind = self._activation_kind(argument_value(layer, ("activation",), 0))
            return (kind, shown) if kind in _PROBABILITY_OPS else None
        if qualified in names.KERAS_LINEAR_LAYERS:
            position = 1 if qualified.endswith(("Dense",)) else None
            kind = self._activation_kind(argument_value(layer, ("activation",), position))
            if kind == "softmax" and qualified.endswith("Dense") and self._single_unit(layer):
                # A softmax over one unit is the constant 1: the model cannot learn with any loss,
                # and no value ever reaches the loss for it to squash twice (not this rule's risk).
                return None
            return (kind, shown) if kind is not None else None
        return None

    def _single_unit(self, layer: cst.Call) -> bool:
        units = argument_value(layer, ("units",), 0)
        return units is not None and self.semantic.constant(units) == 1

    def _activation_kind(self, activation: Optional[cst.BaseExpression]) -> Optional[str]:
        if activation is None or (type(activation) is cst.Name and activation.value == "None"):
            return "logits"
        text = string_value(activation)
        if text is not None:
            return {"linear": "logits", "softmax": "softmax", "sigmoid": "sigmoid"}.get(text)
        qualified = self.qualified_name(activation) or ""
        op = names.OPERATION_OF.get(qualified)
        if op in _PROBABILITY_OPS:
            return op
        if qualified.endswith(".linear"):
            return "logits"
        return None
