"""Helpers shared by the unstable-composition rules (NAN103-NAN114); this module defines no rule.

`NumericsRule` adds what these rules ask the semantic model in the same way:
where an expression came from (through local variables and value-preserving calls),
which framework a call belongs to, whether the code runs under `torch.no_grad()`,
and whether the argument of an `exp` is bounded.
"""

from __future__ import annotations

import math
import re
import struct
from typing import FrozenSet, Iterator, List, Optional, Set, Tuple

import libcst as cst

from nanlint import names
from nanlint.rule import Rule
from nanlint.semantic.calls import argument_value
from nanlint.semantic.scope import ValueBinding

# Frameworks whose calls are never differentiated (no autograd).
NON_DIFFERENTIABLE = frozenset({"numpy", "math", "scipy", "cupy", "builtins"})
# Context managers / decorators that turn autograd off.
_NO_GRAD = frozenset(
    {"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad",
     "torch.autograd.grad_mode.inference_mode"}
)
_SET_GRAD_ENABLED = frozenset({"torch.set_grad_enabled", "torch.autograd.set_grad_enabled"})

# exp(80) ~ 5.5e34 fits float32 (max ~3.4e38, exp overflows above ~88.7).
EXP_SAFE_BOUND = 80.0
_MAX_ORIGIN_STEPS = 6
# Functions whose names say they compute a training objective (gradients flow through them).
_OBJECTIVE_NAME = re.compile(r"loss|criterion|divergence|entropy|elbo|objective|nll|train", re.IGNORECASE)
# Calls that cut the autograd graph or leave tensors for Python values.
_DETACHING_METHODS = frozenset({"detach", "detach_", "item", "numpy", "tolist"})
# Array constructors whose literal elements bound the values.
_ARRAY_CONSTRUCTORS = frozenset(
    f"{ns}.{fn}" for ns in ("numpy", "jax.numpy", "torch", "tensorflow", "cupy")
    for fn in ("array", "asarray", "tensor", "as_tensor", "constant", "convert_to_tensor")
)


def token_triggers(*names_: str) -> Tuple[str, ...]:
    """Substrings that every use of the functions `names_` contains: the name followed by
    a character that can end a token (`exp(`, `exp,` in an import list, `exp as E`, ...).
    Far more selective than the bare name (`exp` is in `expand`, `log` in `logger`)."""
    endings = ("(", " ", ",", ")", "\n", "\r", "\t", ";", "\\", "_(")
    return tuple(f"{name}{ending}" for name in names_ for ending in endings)


def float32(number: float) -> float:
    """`number` rounded to the nearest float32 (what `1 - 1e-8` becomes in a float32 tensor)."""
    try:
        return struct.unpack("f", struct.pack("f", number))[0]
    except OverflowError:
        return math.copysign(math.inf, number)


def strip_parens(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.with_changes(lpar=(), rpar=()) if getattr(expr, "lpar", ()) else expr


def source(expr: cst.CSTNode) -> str:
    """The source text of a node, on one line (for messages)."""
    text = cst.Module(body=[]).code_for_node(expr)
    return " ".join(text.split())


def names_in(expr: cst.CSTNode) -> Set[str]:
    """Identifiers read in `expr` (not attribute names, not keyword names)."""
    found: Set[str] = set()

    class _Collector(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

    expr.visit(_Collector())
    return found


class NumericsRule(Rule):
    """Base of the composition rules: origin tracking and autograd context. Has no code."""

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._no_grad_nodes: List[cst.CSTNode] = []
        # Enclosing classes and functions, innermost last: (node, model class?, method names).
        self._definitions: List[Tuple[cst.CSTNode, bool, FrozenSet[str]]] = []

    # --- autograd context ----------------------------------------------------------

    def _turns_grad_off(self, expr: cst.BaseExpression) -> bool:
        call = expr if type(expr) is cst.Call else None
        qualified = self.qualified_name(call.func if call is not None else expr)
        if qualified in _NO_GRAD:
            return True
        if call is not None and qualified in _SET_GRAD_ENABLED:
            flag = argument_value(call, ("mode",), 0)
            return type(flag) is cst.Name and flag.value == "False"
        return False

    def visit_With(self, node: cst.With) -> None:
        if any(self._turns_grad_off(item.item) for item in node.items):
            self._no_grad_nodes.append(node)

    def leave_With(self, original_node: cst.With) -> None:
        if self._no_grad_nodes and self._no_grad_nodes[-1] is original_node:
            self._no_grad_nodes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if any(self._turns_grad_off(decorator.decorator) for decorator in node.decorators):
            self._no_grad_nodes.append(node)
        self._definitions.append((node, False, frozenset()))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self._no_grad_nodes and self._no_grad_nodes[-1] is original_node:
            self._no_grad_nodes.pop()
        if self._definitions and self._definitions[-1][0] is original_node:
            self._definitions.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        methods = frozenset(item.name.value for item in body if type(item) is cst.FunctionDef)
        self._definitions.append((node, self.semantic.is_model_class(node), methods))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if self._definitions and self._definitions[-1][0] is original_node:
            self._definitions.pop()

    @property
    def in_no_grad(self) -> bool:
        return bool(self._no_grad_nodes)

    def enclosing_class(self) -> Optional[Tuple[cst.ClassDef, bool, FrozenSet[str]]]:
        for node, is_model, methods in reversed(self._definitions):
            if isinstance(node, cst.ClassDef):
                return node, is_model, methods
        return None

    @property
    def in_training_code(self) -> bool:
        """Code that gradients flow through: a method of a network class (`nn.Module`,
        `keras.Model`, `flax.linen.Module`, a LightningModule), or a function whose name
        says it computes a loss or trains. Feature extractors, metrics, schedulers and
        optimizers, which are differentiable in principle but never differentiated, are not."""
        if self.in_no_grad:
            return False
        functions = [node for node, _, _ in self._definitions if isinstance(node, cst.FunctionDef)]
        if any(_OBJECTIVE_NAME.search(function.name.value) for function in functions):
            return True
        enclosing = self.enclosing_class()
        return enclosing is not None and enclosing[1] and bool(functions)

    def detached(self, expr: cst.BaseExpression) -> bool:
        """`x.data`, `x.detach()`, `x.item()` on the way to `expr`: no gradient flows."""
        found: List[bool] = []

        class _Finder(cst.CSTVisitor):
            def visit_Attribute(self, node: cst.Attribute) -> None:
                if node.attr.value == "data":
                    found.append(True)

            def visit_Call(self, node: cst.Call) -> None:
                if type(node.func) is cst.Attribute and node.func.attr.value in _DETACHING_METHODS:
                    found.append(True)

        for candidate in {id(expr): expr, id(self.origin(expr)): self.origin(expr)}.values():
            candidate.visit(_Finder())
        return bool(found)

    # --- frameworks ----------------------------------------------------------------

    def framework(self, call: cst.Call) -> Optional[str]:
        """"torch", "tensorflow", "jax", "numpy", "math", ... ; "tensor" for a method call; None if unknown."""
        qualified = self.qualified_name(call.func)
        if qualified is None:
            return "tensor" if self.semantic.is_method_call(call) else None
        if qualified.startswith(("jax.", "flax.")) or qualified == "jax":
            return "jax"
        if qualified.startswith("autograd."):
            return "autograd"
        return qualified.split(".", 1)[0]

    def differentiable(self, call: cst.Call) -> bool:
        """The call runs where autograd can reach it: a differentiable framework, not under no_grad."""
        framework = self.framework(call)
        return framework is not None and framework not in NON_DIFFERENTIABLE and not self.in_no_grad

    def producing_framework(self, expr: cst.BaseExpression) -> Optional[str]:
        """The framework of the first known operation that produces `expr` (through variables)."""
        for node in self._walk_origin(expr):
            if type(node) is cst.Call and self.operation(node) is not None:
                framework = self.framework(node)
                if framework is not None and framework != "builtins":
                    return framework
        return None

    def _walk_origin(self, expr: cst.BaseExpression, depth: int = 0) -> Iterator[cst.BaseExpression]:
        if depth > 3:
            return
        expr = self.origin(expr)
        yield expr
        if type(expr) is cst.BinaryOperation:
            yield from self._walk_origin(expr.left, depth + 1)
            yield from self._walk_origin(expr.right, depth + 1)
        elif type(expr) is cst.UnaryOperation:
            yield from self._walk_origin(expr.expression, depth + 1)
        elif type(expr) is cst.Call and self.operation(expr) is not None:
            operand = self.semantic.operand(expr)
            if operand is not None:
                yield from self._walk_origin(operand, depth + 1)

    # --- where values come from ----------------------------------------------------

    def binding_node(self, name: cst.Name) -> Optional[cst.BaseExpression]:
        binding = self.semantic.scopes.lookup(name.value)
        if isinstance(binding, ValueBinding) and isinstance(binding.node, cst.BaseExpression):
            return binding.node
        return None

    def origin(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        """The expression that produced `expr`: follows `name = value` bindings and
        value-preserving calls (`.float()`, `.detach()`, `.view(...)`, `stop_gradient(...)`)."""
        seen: Set[str] = set()
        for _ in range(_MAX_ORIGIN_STEPS):
            if type(expr) is cst.Name:
                if expr.value in seen:
                    break
                seen.add(expr.value)
                bound = self.binding_node(expr)
                if bound is None:
                    break
                expr = bound
                continue
            if type(expr) is cst.Call:
                inner = self._preserved(expr)
                if inner is None:
                    break
                expr = inner
                continue
            break
        return expr

    def _preserved(self, call: cst.Call) -> Optional[cst.BaseExpression]:
        func = call.func
        if type(func) is cst.Attribute and not self.semantic.is_module_reference(func.value):
            if func.attr.value in names.VALUE_PRESERVING_METHODS:
                return func.value
            return None
        qualified = self.qualified_name(func)
        if qualified in names.VALUE_PRESERVING_FUNCTIONS:
            return argument_value(call, (), 0)
        return None

    def op_origin(self, expr: cst.BaseExpression, *operations: str) -> Optional[cst.Call]:
        """The call that produced `expr` if it is one of `operations`."""
        found = self.origin(expr)
        if type(found) is cst.Call and self.operation(found) in operations:
            return found
        return None

    def single_operand(self, call: cst.Call) -> Optional[cst.BaseExpression]:
        """The operand of a one-argument elementwise call (`torch.log(x)`, `x.log()`), else None.
        `math.log(x, base)` or `torch.log(x, out=y)` are not read."""
        if self.semantic.is_method_call(call):
            return self.semantic.operand(call) if not call.args else None
        if len(call.args) != 1 or call.args[0].star:
            return None
        keyword = call.args[0].keyword
        if keyword is not None and keyword.value not in ("input", "x", "a", "tensor"):
            return None
        return call.args[0].value

    # --- literal arrays and distances ----------------------------------------------

    def literal_bounds(self, expr: cst.BaseExpression) -> Optional[Tuple[float, float]]:
        """(min, max) of an array built from literal numbers (`np.array([[1, 2], [3, 4]])`) or
        sampled uniformly on [0, 1) (`np.random.rand(5, 5)`); None otherwise."""
        found = self.origin(expr)  # `np.array([...])` keeps its argument's values: origin is the literal
        if type(found) is cst.Call:
            qualified = self.qualified_name(found.func) or ""
            if qualified in names.UNIT_UNIFORM_SAMPLERS and not any(arg.keyword is not None for arg in found.args):
                return (0.0, 1.0)
            if qualified not in _ARRAY_CONSTRUCTORS or not found.args:
                return None
            found = found.args[0].value
        if not isinstance(found, (cst.List, cst.Tuple)):
            return None
        numbers: List[float] = []
        if not self._collect_numbers(found, numbers) or not numbers:
            return None
        return (min(numbers), max(numbers))

    def _collect_numbers(self, expr: cst.BaseExpression, out: List[float]) -> bool:
        if isinstance(expr, (cst.List, cst.Tuple)):
            return all(self._collect_numbers(element.value, out) for element in expr.elements)
        const = self.semantic.constant(expr)
        if const is None or math.isnan(const):
            return False
        out.append(const)
        return True

    def difference(self, expr: cst.BaseExpression) -> Optional[cst.BinaryOperation]:
        """`a - b` of two non-constant values (not a complement such as `1 - p`)."""
        found = self.origin(expr)
        if type(found) is cst.BinaryOperation and type(found.operator) is cst.Subtract:
            if not self.is_constant(found.left) and not self.is_constant(found.right):
                return found
        return None

    def squared_difference(self, expr: cst.BaseExpression) -> Optional[cst.BinaryOperation]:
        """`(a - b) ** 2`, `(a - b).pow(2)`, `square(a - b)`, `abs(a - b)`, `d * d` for d = a - b."""
        found = self.origin(expr)
        base: Optional[cst.BaseExpression] = None
        if type(found) is cst.BinaryOperation:
            if type(found.operator) is cst.Power and self.is_constant(found.right, 2):
                base = found.left
            elif type(found.operator) is cst.Multiply and found.left.deep_equals(found.right):
                base = found.left
        elif type(found) is cst.Call:
            op = self.operation(found)
            if op in ("square", "abs"):
                base = self.semantic.operand(found)
            elif op == "pow":
                exponent = argument_value(found, ("exponent", "y", "x2"), 0 if self.semantic.is_method_call(found) else 1)
                if exponent is not None and self.is_constant(exponent, 2):
                    base = self.semantic.operand(found)
        return self.difference(base) if base is not None else None

    def distance_like(self, expr: cst.BaseExpression) -> Optional[cst.BinaryOperation]:
        """A sum or mean of squared differences (0 wherever the two sides meet): the difference."""
        found = self.origin(expr)
        if type(found) is cst.Call and self.operation(found) in ("sum", "mean"):
            inner = self.semantic.operand(found)
            return self.squared_difference(inner) if inner is not None else None
        return self.squared_difference(found)

    def broadcast_pair(self, difference: cst.BinaryOperation) -> bool:
        """`x[:, None] - y[None]`, `x.unsqueeze(-2) - y.unsqueeze(-3)`, `expand_dims(x, -2) - ...`:
        every pair of rows, so the diagonal (and any repeated row) is exactly 0."""
        return all(self._expanded(side) for side in (difference.left, difference.right))

    def _expanded(self, expr: cst.BaseExpression) -> bool:
        found = strip_parens(expr)
        if type(found) is cst.Subscript:
            return any(type(element.slice) is cst.Index and type(element.slice.value) is cst.Name
                       and element.slice.value.value == "None" for element in found.slice)
        if type(found) is cst.Call:
            func = found.func
            name = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
            return name in ("unsqueeze", "expand_dims")
        return False

    # --- exp arguments -------------------------------------------------------------

    def max_shifted(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """`x - x.max(...)` (or `x - logsumexp(x)`), possibly scaled: the stabilizing shift."""
        if "max-shifted" in self.semantic.value(expr).tags:
            return True
        if depth > 3:
            return False
        found = self.origin(expr)
        if found is not expr and "max-shifted" in self.semantic.value(found).tags:
            return True
        if type(found) is cst.BinaryOperation:
            if type(found.operator) is cst.Multiply:
                return self.max_shifted(found.left, depth + 1) or self.max_shifted(found.right, depth + 1)
            if type(found.operator) is cst.Divide:
                return self.max_shifted(found.left, depth + 1)
        return False

    def exp_bounded_above(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """`exp(expr)` cannot overflow float32: a bound <= 80, a max shift, a negated
        non-negative value, a clamp; scaling by a (positive) factor keeps the bound's sign."""
        value = self.semantic.value(expr)
        if value.hi is not None and value.hi <= EXP_SAFE_BOUND:
            return True
        if self.max_shifted(expr):
            return True
        bounds = self.literal_bounds(expr)
        if bounds is not None and bounds[1] <= EXP_SAFE_BOUND:
            return True
        if depth > 3:
            return False
        found = self.origin(expr)
        if found is not expr:
            found_value = self.semantic.value(found)
            if found_value.hi is not None and found_value.hi <= EXP_SAFE_BOUND:
                return True
        if type(found) is cst.BinaryOperation:
            if type(found.operator) is cst.Multiply:
                return any(self._nonpositive(side) for side in (found.left, found.right))
            if type(found.operator) is cst.Divide:
                return self._nonpositive(found.left)
        if (type(found) is cst.Call and type(found.func) is cst.Attribute
                and found.func.attr.value in ("mul", "multiply") and len(found.args) == 1):
            # `d2.mul(-t)`: a non-negative value scaled by a non-positive factor.
            receiver, factor = found.func.value, found.args[0].value
            return any(self._nonpositive(a) and self._nonnegative(b) for a, b in ((receiver, factor), (factor, receiver)))
        return False

    def _nonnegative(self, expr: cst.BaseExpression) -> bool:
        value = self.semantic.value(expr)
        return value.lo is not None and value.lo >= 0

    def _nonpositive(self, expr: cst.BaseExpression) -> bool:
        value = self.semantic.value(expr)
        return (value.hi is not None and value.hi <= 0) or self.max_shifted(expr)

    def exp_bounded_both(self, expr: cst.BaseExpression) -> bool:
        """`exp(expr)` neither overflows nor underflows to 0 in float32 (softmax-style sums)."""
        if self.max_shifted(expr):
            return True
        bounds = self.literal_bounds(expr)
        if bounds is not None and -EXP_SAFE_BOUND <= bounds[0] and bounds[1] <= EXP_SAFE_BOUND:
            return True
        value = self.semantic.value(self.origin(expr))
        own = self.semantic.value(expr)
        for candidate in (own, value):
            if candidate.hi is not None and candidate.lo is not None and candidate.hi <= EXP_SAFE_BOUND and candidate.lo >= -EXP_SAFE_BOUND:
                return True
        return False

    # --- small syntax helpers ------------------------------------------------------

    def is_constant(self, expr: cst.BaseExpression, number: Optional[float] = None) -> bool:
        const = self.semantic.constant(expr)
        return const is not None and (number is None or const == number)

    def added_to_one(self, expr: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
        """`x` of `1 + x` or `x + 1` (the 1 may be a constant name); None for anything else."""
        if not (type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Add):
            return None
        for one, other in ((expr.left, expr.right), (expr.right, expr.left)):
            if self.is_constant(one, 1):
                return other
        return None
