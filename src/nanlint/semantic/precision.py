"""Floating-point formats, and where code visibly runs in reduced precision.

Two halves, both without numpy or torch:

* Exact rounding of a Python float (a float64) to float16, bfloat16 and float32:
  round to nearest, ties to even, with subnormals and overflow to infinity, in
  integer arithmetic. This is what a framework does to a Python scalar it meets
  a tensor with: `torch.clamp(p, 1e-8, 1 - 1e-8)` on a float32 tensor clamps
  at `round_to(1 - 1e-8, FLOAT32)`, which is exactly 1.0.

* `PrecisionTracker`, fed by a rule during the walk, answers "which dtype does
  this expression visibly have?": an explicit conversion (`.half()`,
  `.to(torch.float16)`, `astype("float16")`, `dtype=torch.bfloat16`), an object
  converted in place (`model.half()`), a value produced under `torch.autocast`,
  or a default set for the whole program (`torch.set_default_dtype`,
  `keras.backend.set_floatx`). Anything else is unknown, and rules stay silent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Dict, List, Optional, Tuple

import libcst as cst

from nanlint import names
from nanlint.semantic.calls import argument_value, dotted_name, positional_count, string_value
from nanlint.semantic.scope import ValueBinding

# --- formats and exact rounding ---------------------------------------------------------


@dataclass(frozen=True)
class FloatFormat:
    """An IEEE-style binary format: `precision` significand bits (the implicit bit included)
    and normal exponents from `emin` to `emax`."""

    name: str
    precision: int
    emin: int
    emax: int

    @property
    def max_finite(self) -> float:
        return float((2 - Fraction(2) ** (1 - self.precision)) * Fraction(2) ** self.emax)

    @property
    def smallest_subnormal(self) -> float:
        return float(Fraction(2) ** (self.emin - self.precision + 1))


FLOAT16 = FloatFormat("float16", 11, -14, 15)
BFLOAT16 = FloatFormat("bfloat16", 8, -126, 127)
FLOAT32 = FloatFormat("float32", 24, -126, 127)
FLOAT64 = FloatFormat("float64", 53, -1022, 1023)
FORMATS: Dict[str, FloatFormat] = {f.name: f for f in (FLOAT16, BFLOAT16, FLOAT32, FLOAT64)}
# Lower is less precise; mixing two dtypes gives the wider one (float16 with bfloat16 gives float32).
_RANK = {"float16": 0, "bfloat16": 0, "float32": 1, "float64": 2}
LOW_PRECISION = frozenset({"float16", "bfloat16"})


def round_to(number: float, fmt: FloatFormat) -> float:
    """`number` rounded to the nearest value of `fmt` (ties to even); overflow gives +-inf."""
    if fmt.precision >= FLOAT64.precision or number == 0 or math.isnan(number) or math.isinf(number):
        return number
    exact = Fraction(number)
    _, exponent = math.frexp(number)  # |number| = m * 2**exponent with 0.5 <= m < 1
    quantum = max(exponent - 1, fmt.emin) - fmt.precision + 1  # spacing of fmt around number
    units = round(exact / Fraction(2) ** quantum)  # Fraction rounds half to even
    result = units * Fraction(2) ** quantum
    if abs(result) > Fraction(fmt.max_finite):
        return math.copysign(math.inf, number)
    if units == 0:
        return math.copysign(0.0, number)
    return float(result)


def shortest(number: float, fmt: FloatFormat = FLOAT64) -> str:
    """The shortest decimal text that reads back as `number` in `fmt`: "1.0", "0.99999994", "6e-8"."""
    if math.isinf(number):
        return "-inf" if number < 0 else "inf"
    if number == 0:
        return "0.0"
    text = repr(number)
    for digits in range(1, 18):
        candidate = f"{number:.{digits}g}"
        if round_to(float(candidate), fmt) == number:
            text = candidate
            break
    text = re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m.group(1) == '-' else ''}{m.group(2)}", text)
    if "e" not in text and "." not in text and "inf" not in text:
        text += ".0"
    return text


def wider(a: Optional[str], b: Optional[str]) -> Optional[str]:
    """The dtype of an operation mixing tensors of dtypes `a` and `b`."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if _RANK[a] == _RANK[b]:
        return "float32"
    return a if _RANK[a] > _RANK[b] else b


# --- dtype facts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dtype:
    """A dtype an expression visibly has, and the source evidence for it (for messages)."""

    name: str
    evidence: str

    @property
    def format(self) -> FloatFormat:
        return FORMATS[self.name]

    @property
    def low(self) -> bool:
        return self.name in LOW_PRECISION


@dataclass(frozen=True)
class Conversion:
    """`model.half()`: the object named `dotted` now holds `dtype` values."""

    dotted: str
    dtype: Dtype
    scope: int  # id of the enclosing function's node, 0 at module level
    owner: int  # id of the enclosing class's node, 0 outside classes
    node: cst.BaseExpression
    statement: bool  # a bare statement (`model.half()`), not part of an assignment
    model: bool  # the receiver is a network (a torch/keras model the semantic model knows)


_EMPTY_MODULE = cst.Module(body=[])
_MAX_DEPTH = 12
_FINFO = frozenset({"torch.finfo", "numpy.finfo", "jax.numpy.finfo", "cupy.finfo"})


def source(node: cst.CSTNode) -> str:
    """The source text of a node on one line, for messages."""
    return " ".join(_EMPTY_MODULE.code_for_node(node).split())


def is_literal(expr: cst.BaseExpression) -> bool:
    """Written with numbers only (`1e-8`, `-1e9`, `1 - 1e-7`): a message shows it as is, with no value beside it."""
    if isinstance(expr, (cst.Integer, cst.Float)):
        return True
    if type(expr) is cst.UnaryOperation:
        return is_literal(expr.expression)
    if type(expr) is cst.BinaryOperation:
        return is_literal(expr.left) and is_literal(expr.right)
    return False


class PrecisionTracker(cst.BatchableCSTVisitor):
    """Reduced-precision facts about one file, learnt during the walk.

    A shared analysis (`FileContext.analysis(PrecisionTracker)`): the walk visits it
    right after the semantic model, and the queries (`dtype_of`, `autocast`,
    `conversions_of`) read what the walk has seen so far, with the semantic model's
    bindings for the scope being walked.
    """

    def __init__(self, semantic) -> None:  # semantic: nanlint.semantic.model.SemanticModel
        super().__init__()
        self.semantic = semantic
        # autocast regions open in each function frame: (node, dtype or None when disabled)
        self._frames: List[List[Tuple[cst.CSTNode, Optional[Dtype]]]] = [[]]
        # id of an assigned expression -> the autocast dtype in force where it was assigned
        self._assigned_under: Dict[int, Dtype] = {}
        # id of an assigned expression -> its dtype, computed when the assignment was walked
        self._assigned: Dict[int, Optional[Dtype]] = {}
        self.conversions: List[Conversion] = []
        self._statement_calls: set = set()
        # Program-wide defaults: what new tensors/variables are, what layers compute in.
        self.default_dtype: Optional[Dtype] = None
        self.compute_dtype: Optional[Dtype] = None

    # --- feeding -----------------------------------------------------------------------

    def visit_Expr(self, node: cst.Expr) -> None:
        if type(node.value) is cst.Call:
            self._statement_calls.add(id(node.value))

    def visit_Call(self, call: cst.Call) -> None:
        qualified = self.semantic.qualified_name(call.func)
        if qualified in names.DEFAULT_DTYPE_SETTERS:
            found = self.dtype_literal(argument_value(call, ("d", "dtype", "value"), 0))
            if found is not None:
                dtype = Dtype(found, f"`{source(call)}`")
                self.default_dtype = dtype
                self.compute_dtype = dtype
            return
        if qualified in names.MIXED_PRECISION_POLICY_SETTERS:
            policy = string_value(argument_value(call, ("policy",), 0))
            if policy and policy.startswith("mixed_") and policy[len("mixed_"):] in names.DTYPE_STRINGS:
                self.compute_dtype = Dtype(names.DTYPE_STRINGS[policy[len("mixed_"):]], f"`{source(call)}`")
            return
        if type(call.func) is not cst.Attribute:
            return
        method = call.func.attr.value
        if method not in names.DTYPE_METHODS and method not in names.DTYPE_CONVERSION_METHODS:
            return
        dtype = self._explicit_conversion(call)
        receiver = dotted_name(call.func.value)
        if dtype is None or receiver is None or self.semantic.is_module_reference(call.func.value):
            return
        model = "model" in self.semantic.value(call.func.value).tags
        self.conversions.append(Conversion(receiver, dtype, self.scope_key(), self.owner_key(), call,
                                           id(call) in self._statement_calls, model))

    def visit_Assign(self, node: cst.Assign) -> None:
        region = self.autocast()
        if region is not None:
            self._assigned_under[id(node.value)] = region
        # The right-hand side is read before the semantic model rebinds the targets, so
        # `s = s.masked_fill(...)` sees the previous `s`; remember the answer for later reads.
        dtype = self._dtype(node.value, region, 0, set())
        self._assigned[id(node.value)] = dtype
        if dtype is None:
            return
        model = "model" in self.semantic.value(node.value).tags
        for target in node.targets:
            dotted = dotted_name(target.target)
            if dotted is None:
                continue
            # `self.model = Net().half()`: the attribute holds float16 from here on. A plain name
            # is followed through its binding instead; its record only says "converted here".
            statement = type(target.target) is cst.Attribute
            self.conversions.append(Conversion(dotted, dtype, self.scope_key(), self.owner_key(), node.value,
                                               statement, model))

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            region = self._autocast_region(item.item)
            if region is not False:
                self._frames[-1].append((node, region))  # type: ignore[arg-type]

    def leave_With(self, node: cst.With) -> None:
        frame = self._frames[-1]
        while frame and frame[-1][0] is node:
            frame.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame: List[Tuple[cst.CSTNode, Optional[Dtype]]] = []
        for decorator in node.decorators:
            region = self._autocast_region(decorator.decorator)
            if region is not False:
                frame.append((node, region))  # type: ignore[arg-type]
        self._frames.append(frame)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(self._frames) > 1:
            self._frames.pop()

    # --- queries -----------------------------------------------------------------------

    def scope_key(self) -> int:
        return self.semantic.scopes.function_key()

    def owner_key(self) -> int:
        return self.semantic.scopes.class_key()

    def autocast(self) -> Optional[Dtype]:
        """The low-precision dtype of the innermost `torch.autocast` region around the walk, if any."""
        frame = self._frames[-1]
        return frame[-1][1] if frame else None

    def dtype_literal(self, expr: Optional[cst.BaseExpression], depth: int = 0) -> Optional[str]:
        """`torch.float16`, `"bfloat16"`, `np.half`, or a local name bound to one -> canonical name."""
        if expr is None or depth > 3:
            return None
        text = string_value(expr)
        if text is not None:
            return names.DTYPE_STRINGS.get(text)
        qualified = self.semantic.qualified_name(expr)
        if qualified is not None:
            return names.DTYPES.get(qualified)
        if type(expr) is cst.Name:
            binding = self.semantic.scopes.lookup(expr.value)
            if isinstance(binding, ValueBinding) and isinstance(binding.node, cst.BaseExpression):
                return self.dtype_literal(binding.node, depth + 1)
        return None

    def conversions_of(self, expr: cst.BaseExpression, statements_only: bool = False) -> List[Conversion]:
        """In-place conversions seen so far of the object `expr` names (`model`, `self.net`).

        A name matches a conversion in the same function, or at module level when the
        name is a module-level one; `self.x` matches within the same class."""
        dotted = dotted_name(expr)
        if dotted is None:
            return []
        return self.matching(self.place(dotted), statements_only)

    def place(self, dotted: str) -> Tuple[str, int, int, bool]:
        """Where a name is used, to match it later with conversions seen after that point."""
        return (dotted, self.scope_key(), self.owner_key(), self._module_level(dotted))

    def matching(self, place: Tuple[str, int, int, bool], statements_only: bool = False) -> List[Conversion]:
        dotted, here, owner, module_level = place
        found = []
        for conversion in self.conversions:
            if conversion.dotted != dotted or (statements_only and not conversion.statement):
                continue
            if dotted.startswith("self."):
                if conversion.owner == owner and owner != 0:
                    found.append(conversion)
            elif conversion.scope == here or (conversion.scope == 0 and module_level):
                found.append(conversion)
        return found

    def dtype_of(self, expr: cst.BaseExpression) -> Optional[Dtype]:
        """The dtype `expr` visibly has where the walk is now, or None when it is not visible."""
        return self._dtype(expr, self.autocast(), 0, set())

    def finfo(self, expr: cst.BaseExpression) -> Optional[float]:
        """`torch.finfo(torch.float32).min` -> -3.4028234663852886e38 (also NumPy/JAX, negated, `.max`)."""
        if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Minus:
            inner = self.finfo(expr.expression)
            return -inner if inner is not None else None
        if not (type(expr) is cst.Attribute and type(expr.value) is cst.Call):
            return None
        if (self.semantic.qualified_name(expr.value.func) or "") not in _FINFO:
            return None
        dtype = self.dtype_literal(argument_value(expr.value, ("type", "dtype"), 0))
        if dtype is None:
            return None
        fmt = FORMATS[dtype]
        return {
            "max": fmt.max_finite,
            "min": -fmt.max_finite,
            "eps": float(Fraction(2) ** (1 - fmt.precision)),
            "tiny": float(Fraction(2) ** fmt.emin),
            "smallest_normal": float(Fraction(2) ** fmt.emin),
        }.get(expr.attr.value)

    # --- internals ---------------------------------------------------------------------

    def _module_level(self, dotted: str) -> bool:
        root = dotted.split(".", 1)[0]
        binding = self.semantic.scopes.lookup(root)
        return binding is None or self.semantic.scopes.module.bindings.get(root) is binding

    def _autocast_region(self, expr: cst.BaseExpression):
        """For a `with` item or decorator: False if not autocast, else its dtype (None when disabled
        or when the dtype depends on a device the source does not show)."""
        if type(expr) is not cst.Call:
            qualified = self.semantic.qualified_name(expr)
            if qualified in names.AUTOCAST and names.AUTOCAST[qualified]:
                return Dtype(names.AUTOCAST[qualified], f"`@{source(expr)}`")  # bare decorator
            return False
        qualified = self.semantic.qualified_name(expr.func)
        if qualified not in names.AUTOCAST:
            return False
        enabled = argument_value(expr, ("enabled",), None)
        if type(enabled) is cst.Name and enabled.value == "False":
            return None
        explicit = self.dtype_literal(argument_value(expr, ("dtype",), None))
        name = explicit or names.AUTOCAST[qualified]
        if name is None:
            device = string_value(argument_value(expr, ("device_type",), 0))
            name = names.AUTOCAST_DEVICE_DTYPES.get(device or "")
        if name is None or name not in LOW_PRECISION:
            return None
        return Dtype(name, f"`{source(expr)}`")

    def _explicit_conversion(self, call: cst.Call) -> Optional[Dtype]:
        """The dtype a call visibly converts or creates its result in."""
        keyword = argument_value(call, ("dtype",), None)
        found = self.dtype_literal(keyword) if keyword is not None else None
        evidence = f"`dtype={source(keyword)}`" if found is not None else ""
        if type(call.func) is cst.Attribute and not self.semantic.is_module_reference(call.func.value):
            method = call.func.attr.value
            if method in names.DTYPE_METHODS and not call.args:
                return Dtype(names.DTYPE_METHODS[method], f"`.{method}()`")
            if method in names.DTYPE_CONVERSION_METHODS and found is None:
                for arg in call.args:
                    if arg.keyword is None and not arg.star:
                        found = self.dtype_literal(arg.value)
                        if found is not None:
                            evidence = f"`.{method}({source(arg.value)})`"
                            break
        else:
            qualified = self.semantic.qualified_name(call.func)
            spec = names.DTYPE_CONVERSION_FUNCTIONS.get(qualified or "")
            if spec is not None and found is None:
                arg = argument_value(call, (spec[0],), spec[1])
                found = self.dtype_literal(arg)
                evidence = f"`{source(call.func)}(..., {source(arg)})`" if arg is not None else ""
        if found is None:
            return None
        return Dtype(found, evidence)

    def _dtype(self, expr: cst.BaseExpression, region: Optional[Dtype], depth: int, seen: set) -> Optional[Dtype]:
        if depth > _MAX_DEPTH or id(expr) in seen:
            return None
        seen = seen | {id(expr)}
        if isinstance(expr, (cst.Name, cst.Attribute)):
            conversions = self.conversions_of(expr, statements_only=True)
            if conversions:
                return conversions[-1].dtype
            if type(expr) is cst.Name:
                binding = self.semantic.scopes.lookup(expr.value)
                if isinstance(binding, ValueBinding) and isinstance(binding.node, cst.BaseExpression):
                    if id(binding.node) in self._assigned:
                        return self._assigned[id(binding.node)]
                    return self._dtype(binding.node, self._assigned_under.get(id(binding.node)), depth + 1, seen)
            return None
        if type(expr) is cst.Call:
            return self._call_dtype(expr, region, depth, seen)
        if type(expr) is cst.BinaryOperation:
            if isinstance(expr.operator, cst.MatrixMultiply) and region is not None:
                return region
            left = self._dtype(expr.left, region, depth + 1, seen)
            right = self._dtype(expr.right, region, depth + 1, seen)
            if left is not None and right is not None:
                name = wider(left.name, right.name)
                return Dtype(name, left.evidence) if name else None
            # A Python number does not change a tensor's dtype.
            if left is not None and self.semantic.constant(expr.right) is not None:
                return left
            if right is not None and self.semantic.constant(expr.left) is not None:
                return right
            return None
        if type(expr) is cst.UnaryOperation:
            return self._dtype(expr.expression, region, depth + 1, seen)
        if type(expr) is cst.Subscript:
            return self._dtype(expr.value, region, depth + 1, seen)
        return None

    def _call_dtype(self, call: cst.Call, region: Optional[Dtype], depth: int, seen: set) -> Optional[Dtype]:
        explicit = self._explicit_conversion(call)
        if explicit is not None:
            return explicit
        func = call.func
        op = self.semantic.operation(call)
        if op is not None:
            if region is not None and op in names.AUTOCAST_FLOAT32_OPS:
                return Dtype("float32", "`torch.autocast` runs it in float32")
            operand = self.semantic.operand(call)
            return self._dtype(operand, region, depth + 1, seen) if operand is not None else None
        qualified = self.semantic.qualified_name(func)
        if qualified is not None:
            if region is not None and qualified in names.AUTOCAST_LOW_PRECISION_FUNCTIONS:
                return region
            if qualified in names.VALUE_PRESERVING_FUNCTIONS:
                first = argument_value(call, (), 0)
                return self._dtype(first, region, depth + 1, seen) if first is not None else None
            if not qualified.startswith("<local>."):
                return None
        if type(func) is cst.Attribute and qualified is None:
            method = func.attr.value
            if region is not None and method in names.AUTOCAST_LOW_PRECISION_METHODS:
                return region
            if method in names.VALUE_PRESERVING_METHODS or method in ("masked_fill", "masked_fill_", "tanh", "neg"):
                return self._dtype(func.value, region, depth + 1, seen)
        # Calling a network: its output has the dtype the network was converted to, or the
        # autocast dtype when it runs under autocast.
        converted = self._dtype(func, None, depth + 1, seen) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if converted is not None and positional_count(call) >= 1:
            return converted
        if region is not None and "model" in self.semantic.value(func).tags:
            return region
        return None
