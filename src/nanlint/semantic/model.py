"""The shared semantic model: built once per file, during the same walk as the rules.

The engine puts the model first in the batched walk, so by the time a rule's
`visit_Call` runs, the model has seen every import and assignment before that
call and can answer: what operation is this call (in any framework and import
style)? what is this expression's value (a constant, a probability, something
guarded away from zero)?
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Dict, List, Optional

import libcst as cst

from nanlint import names
from nanlint.semantic import steps
from nanlint.semantic import values as v
from nanlint.semantic.calls import argument_value, dotted_name, positional_count, string_value
from nanlint.semantic.scope import DefinitionBinding, ImportBinding, ScopeStack, ValueBinding
from nanlint.semantic.values import UNKNOWN, Value

_BUILTINS = frozenset({"abs", "len", "max", "min", "sum", "pow", "float", "int", "round", "range"})

# Named constants that frameworks export.
_NAMED_CONSTANTS: Dict[str, float] = {}
for _root in ("math", "numpy", "torch", "jax.numpy"):
    _NAMED_CONSTANTS.update({f"{_root}.pi": math.pi, f"{_root}.e": math.e, f"{_root}.inf": math.inf, f"{_root}.nan": math.nan})
_NAMED_CONSTANTS.update({"numpy.Inf": math.inf, "numpy.NaN": math.nan, "numpy.NAN": math.nan, "numpy.NINF": -math.inf})

# Base classes that make a class a network whose call is a raw model output.
_MODEL_BASES = frozenset(
    {"torch.nn.Module", "keras.Model", "keras.Sequential", "tensorflow.keras.Model", "tensorflow.keras.Sequential",
     "flax.linen.Module", "tensorflow.Module", "lightning.LightningModule", "pytorch_lightning.LightningModule",
     "lightning.pytorch.LightningModule"}
)
_MODEL_MODULE_PREFIXES = ("torch.nn.", "keras.layers.", "tensorflow.keras.layers.", "flax.linen.")
_MODEL_CONSTRUCTORS = frozenset({"keras.Sequential", "keras.Model", "tensorflow.keras.Sequential", "tensorflow.keras.Model",
                                 "keras.models.Sequential", "tensorflow.keras.models.Sequential", "torch.nn.Sequential"})

_OPERAND_KEYWORDS = ("input", "x", "a", "tensor", "logits", "features")


def _assign_targets(target: cst.BaseExpression):
    """Names bound by an assignment target (tuples bind each element as unknown)."""
    if isinstance(target, cst.Name):
        yield target.value, True
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            value = element.value
            if isinstance(value, cst.StarredElement):
                value = value.value
            for name, _ in _assign_targets(value):
                yield name, False


class SemanticModel(cst.BatchableCSTVisitor):
    """Name resolution, value facts and constants for one file, filled in during the walk."""

    def __init__(self) -> None:
        super().__init__()
        self.scopes = ScopeStack()
        self.argparse_defaults: Dict[str, Value] = {}
        self._cache: Dict[int, Value] = {}
        self._model_classes: set = set()
        # (id of a dict literal's Value, key) -> value, for `config["lr"]`.
        self._dict_entries: Dict[tuple, Value] = {}
        self._step_events: Dict[int, List[steps.Event]] = {}

    # --- name resolution -------------------------------------------------------------

    def qualified_name(self, expr: cst.BaseExpression) -> Optional[str]:
        """`T.log` -> "torch.log" under `import torch as T`; None for values and unknowns."""
        if isinstance(expr, cst.Name):
            binding = self.scopes.lookup(expr.value)
            if isinstance(binding, ImportBinding):
                return binding.qualified_name
            if binding is None and expr.value in _BUILTINS:
                return f"builtins.{expr.value}"
            if isinstance(binding, DefinitionBinding):
                return f"<local>.{expr.value}"
            return None
        if isinstance(expr, cst.Attribute):
            base = self.qualified_name(expr.value)
            if base is None or base.startswith(("builtins.", "<local>.")):
                return None
            return f"{base}.{expr.attr.value}"
        return None

    def is_module_reference(self, expr: cst.BaseExpression) -> bool:
        """True for `torch`, `np.linalg`, `F`: names that resolve through an import."""
        name = self.qualified_name(expr)
        return name is not None and not name.startswith(("builtins.", "<local>."))

    def operation(self, call: cst.Call) -> Optional[str]:
        """The canonical operation a call performs ("log", "softmax", ...), in any spelling."""
        func = call.func
        qualified = self.qualified_name(func)
        if qualified is not None:
            if qualified.startswith("builtins."):
                return self._builtin_operation(qualified[len("builtins."):], call)
            return names.OPERATION_OF.get(qualified)
        if isinstance(func, cst.Attribute):
            entry = names.METHODS.get(func.attr.value)
            if entry is None or self.is_module_reference(func.value):
                return None
            op, most_positional = entry
            if positional_count(call) <= most_positional:
                return op
        return None

    @staticmethod
    def _builtin_operation(name: str, call: cst.Call) -> Optional[str]:
        if name in ("max", "min"):
            return ("maximum" if name == "max" else "minimum") if positional_count(call) >= 2 else name
        return {"abs": "abs", "sum": "sum", "pow": "pow", "len": "len"}.get(name)

    def is_method_call(self, call: cst.Call) -> bool:
        """`x.log()` rather than `torch.log(x)`."""
        return isinstance(call.func, cst.Attribute) and not self.is_module_reference(call.func.value)

    def operand(self, call: cst.Call) -> Optional[cst.BaseExpression]:
        """The tensor an operation applies to: the receiver of a method, else the first argument."""
        if self.is_method_call(call):
            return call.func.value  # type: ignore[union-attr]
        return argument_value(call, _OPERAND_KEYWORDS, 0)

    def step_events(self, block: steps.StepBlock) -> List[steps.Event]:
        """The training-step events of a function or loop body, in order (computed once)."""
        key = id(block)
        found = self._step_events.get(key)
        if found is None:
            found = self._step_events[key] = steps.events(block, self.qualified_name)
        return found

    # --- values ----------------------------------------------------------------------

    def value(self, expr: cst.BaseExpression) -> Value:
        key = id(expr)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._evaluate(expr)
            self._cache[key] = cached
        return cached

    def constant(self, expr: cst.BaseExpression) -> Optional[float]:
        return self.value(expr).const

    def _evaluate(self, expr: cst.BaseExpression) -> Value:
        if isinstance(expr, cst.Integer):
            return v.constant(int(expr.evaluated_value))
        if isinstance(expr, cst.Float):
            return v.constant(float(expr.evaluated_value))
        if isinstance(expr, cst.UnaryOperation):
            inner = self.value(expr.expression)
            return v.negate(inner) if isinstance(expr.operator, cst.Minus) else (inner if isinstance(expr.operator, cst.Plus) else UNKNOWN)
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(expr)
        if isinstance(expr, cst.Name):
            return self._name_value(expr)
        if isinstance(expr, cst.Attribute):
            return self._attribute_value(expr)
        if isinstance(expr, cst.Call):
            return self._call_value(expr)
        if isinstance(expr, cst.Subscript):
            return self._subscript_value(expr)
        if isinstance(expr, cst.IfExp):
            return v.join(self.value(expr.body), self.value(expr.orelse))
        return UNKNOWN

    def _binary(self, expr: cst.BinaryOperation) -> Value:
        op = expr.operator
        left, right = self.value(expr.left), self.value(expr.right)
        if isinstance(op, cst.Add):
            return v.add(left, right)
        if isinstance(op, cst.Subtract):
            return v.subtract(left, right)
        if isinstance(op, cst.Multiply):
            return v.multiply(left, right)
        if isinstance(op, cst.Divide):
            return v.divide(left, right)
        if isinstance(op, cst.Power):
            return v.power(left, right)
        return UNKNOWN

    def _name_value(self, expr: cst.Name) -> Value:
        binding = self.scopes.lookup(expr.value)
        if isinstance(binding, ValueBinding):
            return binding.value  # type: ignore[return-value]
        if isinstance(binding, ImportBinding):
            number = _NAMED_CONSTANTS.get(binding.qualified_name)
            return v.constant(number) if number is not None else UNKNOWN
        return UNKNOWN

    def _attribute_value(self, expr: cst.Attribute) -> Value:
        qualified = self.qualified_name(expr)
        if qualified is not None:
            number = _NAMED_CONSTANTS.get(qualified)
            return v.constant(number) if number is not None else UNKNOWN
        attr = expr.attr.value
        if attr in ("shape", "ndim"):
            return Value(lo=0.0, tags=frozenset({"size"}))
        if isinstance(expr.value, cst.Name) and self._is_parsed_args(expr.value):
            return self.argparse_defaults.get(attr, UNKNOWN)
        return UNKNOWN

    def _is_parsed_args(self, name: cst.Name) -> bool:
        binding = self.scopes.lookup(name.value)
        return isinstance(binding, ValueBinding) and "parsed-args" in getattr(binding.value, "tags", ())

    def _subscript_value(self, expr: cst.Subscript) -> Value:
        base = self.value(expr.value)
        if "size" in base.tags:
            return base
        if "config-dict" in base.tags and len(expr.slice) == 1:
            index = expr.slice[0].slice
            key = string_value(index.value) if isinstance(index, cst.Index) else None
            return self._dict_entries.get((id(base), key), UNKNOWN) if key else UNKNOWN
        # Indexing keeps element facts (a slice of probabilities is probabilities).
        return replace(base, tags=base.tags - {"parsed-args"})

    def _call_value(self, call: cst.Call) -> Value:
        op = self.operation(call)
        if op is not None:
            return self._operation_value(op, call)
        func = call.func
        qualified = self.qualified_name(func)
        if qualified is not None:
            return self._named_call_value(qualified, call)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in names.VALUE_PRESERVING_METHODS or method == "item":
                return self.value(func.value)
            if method in ("size", "numel", "dim", "nelement"):
                return Value(lo=0.0, tags=frozenset({"size"}))
            if method in ("parse_args", "parse_known_args"):
                return Value(tags=frozenset({"parsed-args"}))
            if self._is_model(func.value):
                return self._model_output()
            return UNKNOWN
        if isinstance(func, cst.Name) and self._is_model(func):
            return self._model_output()
        return UNKNOWN

    def _named_call_value(self, qualified: str, call: cst.Call) -> Value:
        first = argument_value(call, (), 0)
        if qualified in ("builtins.float", "builtins.int"):
            text = string_value(first)
            if text is not None:
                try:
                    return v.constant(float(text))
                except ValueError:
                    return UNKNOWN
            return self.value(first) if first is not None else v.constant(0)
        if qualified in names.VALUE_PRESERVING_FUNCTIONS and first is not None:
            return self.value(first)
        if qualified.startswith("<local>."):
            binding = self.scopes.lookup(qualified[len("<local>."):])
            if isinstance(binding, DefinitionBinding) and id(binding.node) in self._model_classes:
                return Value(tags=frozenset({"model"}))
            return UNKNOWN
        if qualified in _MODEL_CONSTRUCTORS or (
            qualified.startswith(_MODEL_MODULE_PREFIXES) and qualified.rsplit(".", 1)[-1][:1].isupper()
        ):
            return Value(tags=frozenset({"model"}))
        return UNKNOWN

    def _is_model(self, expr: cst.BaseExpression) -> bool:
        return "model" in self.value(expr).tags

    @staticmethod
    def _model_output() -> Value:
        return Value(zero=v.Zero(v.MODEL_OUTPUT, "a raw model output can be 0 or negative"), tags=frozenset({"model-output"}))

    def _operation_value(self, op: str, call: cst.Call) -> Value:
        operand_expr = self.operand(call)
        operand = self.value(operand_expr) if operand_expr is not None else UNKNOWN
        if op in ("softmax", "sigmoid"):
            return v.probability(op)
        if op in ("exp",):
            return Value(lo=0.0, tags=frozenset({"exp"}))
        if op == "softplus":
            return Value(lo=0.0, tags=frozenset({"softplus"}))
        if op in ("log_softmax", "logsigmoid"):
            return Value(hi=0.0, tags=frozenset({op}))
        if op in ("std", "var", "norm"):
            return v.nonnegative(v.REDUCTION, f"`{op}` is 0 when all values are equal", op)
        if op in ("abs", "square", "relu"):
            if operand.positive:
                return Value(lo=operand.lo if op == "relu" else 0.0, tags=frozenset({op}))
            return v.nonnegative(v.NONNEGATIVE, f"`{op}` is 0 where its input is 0", op)
        if op == "len":
            return v.nonnegative(v.COUNT, "`len(...)` is 0 for an empty collection", "count")
        if op == "sqrt":
            if operand.positive:
                return Value(lo=math.sqrt(operand.lo), guarded=operand.guarded, tags=frozenset({"sqrt"}))
            zero = operand.zero if operand.zero is not None else None
            return Value(lo=0.0, zero=zero, tags=frozenset({"sqrt"}) | (operand.tags & {"std", "var", "norm"}))
        if op == "sum":
            if operand.positive:
                return Value(lo=operand.lo, tags=frozenset({"sum"}))
            return Value(lo=operand.lo if operand.lo is not None and operand.lo >= 0 else None,
                         zero=v.Zero(v.SUM, "a `sum` can be 0 (all terms 0, or nothing selected)"), tags=frozenset({"sum"}))
        if op == "mean":
            return Value(lo=operand.lo, hi=operand.hi, zero=operand.zero, guarded=operand.guarded,
                         tags=operand.tags & {"probability"})
        if op in ("max", "min"):
            return Value(lo=operand.lo, hi=operand.hi, zero=operand.zero, guarded=operand.guarded,
                         tags=(operand.tags & {"probability"}) | {f"reduce-{op}"})
        if op == "clamp":
            return self._clamped(call, operand)
        if op == "maximum":
            return self._maximum(call)
        if op == "where":
            branches = [argument_value(call, ("input", "x"), 1), argument_value(call, ("other", "y"), 2)]
            if all(b is not None for b in branches):
                return v.join(self.value(branches[0]), self.value(branches[1]))  # type: ignore[arg-type]
            return UNKNOWN
        if op == "pow":
            exponent = argument_value(call, ("exponent", "y", "x2"), 0 if self.is_method_call(call) else 1)
            return v.power(operand, self.value(exponent)) if exponent is not None else UNKNOWN
        if op == "div":
            divisor = argument_value(call, ("other", "y", "x2"), 0 if self.is_method_call(call) else 1)
            return v.divide(operand, self.value(divisor)) if divisor is not None else UNKNOWN
        if op == "normalize":
            return Value(lo=-1.0, hi=1.0)
        return UNKNOWN

    def _clamped(self, call: cst.Call, operand: Value) -> Value:
        method = self.is_method_call(call)
        func_name = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
        floor_position = 0 if method else 1
        floor_keywords = ("min", "clip_value_min", "a_min", "x_min", "min_value")
        if func_name.startswith("clamp_min"):
            floor_keywords = ("min",)
        floor_expr = argument_value(call, floor_keywords, floor_position)
        ceiling_expr = argument_value(call, ("max", "clip_value_max", "a_max", "max_value"), floor_position + 1)
        hi = self.value(ceiling_expr).const if ceiling_expr is not None else operand.hi
        if floor_expr is None or (isinstance(floor_expr, cst.Name) and floor_expr.value == "None"):
            return Value(lo=operand.lo, hi=hi, zero=operand.zero, tags=operand.tags)
        floor = self.value(floor_expr)
        if floor.const is not None and floor.const <= 0:
            zero = v.Zero(v.CLAMPED_AT_ZERO, "clamping at 0 keeps 0 in range") if floor.const == 0 else operand.zero
            return Value(lo=floor.const, hi=hi, zero=zero, tags=operand.tags)
        # A floor that is positive, or a name such as `eps` we cannot read: the author guarded it.
        lo = floor.const if floor.const is not None else (floor.lo if floor.positive else 1e-300)
        return Value(lo=lo, hi=hi, guarded=True, tags=operand.tags & {"probability"})

    def _maximum(self, call: cst.Call) -> Value:
        first = argument_value(call, ("input", "x", "x1", "a"), 0)
        second = argument_value(call, ("other", "y", "x2", "b"), 1)
        if first is None or second is None:
            return UNKNOWN
        a, b = self.value(first), self.value(second)
        for x, c in ((a, b), (b, a)):
            if c.positive or (c.const is None and not c.can_be_zero and x.can_be_zero):
                return Value(lo=c.lo if c.positive else 1e-300, guarded=True)
        if a.lo is not None and b.lo is not None:
            return Value(lo=max(a.lo, b.lo), zero=a.zero if max(a.lo, b.lo) <= 0 else None)
        return UNKNOWN

    # --- the walk --------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = dotted_name(alias.name)
            if dotted is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.scopes.bind(alias.asname.name.value, ImportBinding(dotted))
            else:
                root = dotted.split(".", 1)[0]
                self.scopes.bind(root, ImportBinding(root))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = dotted_name(node.module) if node.module is not None else ""
        prefix = "." * len(node.relative) + (module or "")
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            self.scopes.bind(local, ImportBinding(f"{prefix}.{name}"))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.bind(node.name.value, DefinitionBinding(node))
        defaults = self._parameter_defaults(node.params)
        self.scopes.push("function", node)
        self._bind_parameters(node.params, defaults)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        defaults = self._parameter_defaults(node.params)
        self.scopes.push("lambda", node)
        self._bind_parameters(node.params, defaults)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.scopes.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.bind(node.name.value, DefinitionBinding(node))
        if self._subclasses_model(node):
            self._model_classes.add(id(node))
        self.scopes.push("class", node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self.scopes.push("comprehension", node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self.scopes.pop()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self.scopes.push("comprehension", node)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self.scopes.pop()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self.scopes.push("comprehension", node)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self.scopes.pop()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self.scopes.push("comprehension", node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self.scopes.pop()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_target(node.target, UNKNOWN)

    def visit_For(self, node: cst.For) -> None:
        self._bind_target(node.target, UNKNOWN)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, UNKNOWN)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, UNKNOWN)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        value = self.value(original_node.value)
        if isinstance(original_node.value, cst.Dict):
            value = self._config_dict(original_node.value)
        for target in original_node.targets:
            self._bind_target(target.target, value, original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node.value is not None:
            self._bind_target(original_node.target, self.value(original_node.value), original_node.value)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        target = original_node.target
        if not isinstance(target, cst.Name):
            return
        synthetic = cst.BinaryOperation(left=target, operator=_AUG_TO_BINARY.get(type(original_node.operator), cst.Add)(),
                                        right=original_node.value)
        self._bind_target(target, self._binary(synthetic), None)

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        self._bind_target(original_node.target, self.value(original_node.value), original_node.value)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_argument":
            self._record_argparse(node)

    # --- helpers for the walk --------------------------------------------------------

    def _bind_target(self, target: cst.BaseExpression, value: Value, node: Optional[cst.BaseExpression] = None) -> None:
        for name, whole in _assign_targets(target):
            existing = self.scopes.current.bindings.get(name)
            # `try: import x / except ImportError: x = None` keeps the import's meaning.
            if isinstance(existing, ImportBinding) and isinstance(node, cst.Name) and node.value == "None":
                continue
            self.scopes.bind(name, ValueBinding(node if whole else None, value if whole else UNKNOWN))

    def _parameter_defaults(self, params: cst.Parameters) -> Dict[str, Value]:
        defaults = {}
        for param in (*params.params, *params.kwonly_params, *params.posonly_params):
            if param.default is not None:
                defaults[param.name.value] = self.value(param.default)
        return defaults

    def _bind_parameters(self, params: cst.Parameters, defaults: Dict[str, Value]) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                every.append(star)
        for param in every:
            value = defaults.get(param.name.value, UNKNOWN)
            self.scopes.bind(param.name.value, ValueBinding(None, value.tagged("parameter")))

    def _record_argparse(self, call: cst.Call) -> None:
        options = [string_value(arg.value) for arg in call.args if arg.keyword is None]
        dest_expr = argument_value(call, ("dest",))
        dest = string_value(dest_expr) if dest_expr is not None else None
        if dest is None:
            longs = [o for o in options if o and o.startswith("--")]
            shorts = [o for o in options if o and o.startswith("-")]
            plain = [o for o in options if o and not o.startswith("-")]
            chosen = (longs or shorts or plain or [None])[0]
            dest = chosen.lstrip("-").replace("-", "_") if chosen else None
        default = argument_value(call, ("default",))
        if dest and default is not None:
            self.argparse_defaults[dest] = self.value(default)

    def _config_dict(self, node: cst.Dict) -> Value:
        value = Value(tags=frozenset({"config-dict"}))
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = string_value(element.key)
                if key is not None:
                    self._dict_entries[(id(value), key)] = self.value(element.value)
        return value

    def _subclasses_model(self, node: cst.ClassDef) -> bool:
        for base in node.bases:
            qualified = self.qualified_name(base.value)
            if qualified in _MODEL_BASES:
                return True
            if qualified and qualified.startswith("<local>."):
                binding = self.scopes.lookup(qualified[len("<local>."):])
                if isinstance(binding, DefinitionBinding) and id(binding.node) in self._model_classes:
                    return True
        return False


_AUG_TO_BINARY = {
    cst.AddAssign: cst.Add,
    cst.SubtractAssign: cst.Subtract,
    cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide,
    cst.PowerAssign: cst.Power,
}


