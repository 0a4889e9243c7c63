"""The shared semantic model: built once per file, during the same walk as the rules.

The engine puts the model first in the batched walk, so by the time a rule's
`visit_Call` runs, the model has seen every import and assignment before that
call and can answer: what operation is this call (in any framework and import
style)? what is this expression's value (a constant, a probability, something
guarded away from zero)?
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import replace
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Set

import libcst as cst

from nanlint import names
from nanlint.semantic import steps
from nanlint.semantic import values as v
from nanlint.semantic.calls import argument_value, dotted_name, positional_count, string_value
from nanlint.semantic.scope import DefinitionBinding, ImportBinding, ScopeStack, ValueBinding
from nanlint.semantic.values import UNKNOWN, Value
from nanlint.walker import children, nodes

_BUILTINS = frozenset({"abs", "len", "max", "min", "sum", "pow", "float", "int", "round", "range", "enumerate", "iter", "next"})

# libcst's node classes are ABCs, and an `isinstance` test that fails goes through
# `ABCMeta.__instancecheck__`, several times slower than comparing the class. The model tests
# nodes hundreds of thousands of times per run, so it compares exact classes
# (`type(x) is cst.Name`): each class tested that way is a concrete libcst class that
# libcst never subclasses.

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
# A model loaded from a file: a network whose input handling is whatever it was trained with.
# Keras namespaces, for layers and inputs recognized by name (`Lambda`, `Input`).
_KERAS_ROOTS = ("keras.", "tensorflow.keras.", "tf_keras.")
_MODEL_LOADERS = frozenset({"keras.models.load_model", "tensorflow.keras.models.load_model", "keras.saving.load_model"})
_MODEL_CONSTRUCTORS = frozenset({"keras.Sequential", "keras.Model", "tensorflow.keras.Sequential", "tensorflow.keras.Model",
                                 "keras.models.Sequential", "tensorflow.keras.models.Sequential", "torch.nn.Sequential",
                                 "keras.models.Model", "tensorflow.keras.models.Model"})
# Pretrained Keras networks set their own input range: some rescale inside (EfficientNet, ConvNeXt),
# others expect 0-255 pixels less a mean (VGG, ResNet). A model built on one is not judged.
_KERAS_APPLICATIONS = ("keras.applications.", "tensorflow.keras.applications.")

_OPERAND_KEYWORDS = ("input", "x", "a", "tensor", "logits", "features")

# Names of small positive guard constants: `eps`, `self.epsilon`, `layer_norm_eps`, `EPS`, `smooth`.
_EPS_NAME = re.compile(r"(?:^|_)(?:eps|epsilon|tiny|smooth|smoothing)(?:$|_|\d)", re.IGNORECASE)
# Arrays that are never all 0: softmax/sigmoid/exp outputs, literal vectors with a non-zero
# constant, random draws (and their squares or absolute values).
_NEVER_ALL_ZERO = frozenset({"softmax", "sigmoid", "exp", "nonzero-vector", v.RANDOM})
_REDUCTIONS = frozenset({"norm", "std", "var", "sum", "max", "min", "mean"})
# Terms whose sum can be exactly 0 in practice: masks that select nothing, counts. (A sum of relu
# or clamped-at-0 terms is 0 only if every term is; on real code these are interpolation kernels
# and the like, positive by construction.)
_SUM_ZERO_KINDS = frozenset({v.MASK, v.COUNT, v.SUM})
# Names of 0/1 masks: `mask`, `attention_mask`, `padding_mask`, `loss_masks`.
_MASK_NAME = re.compile(r"(?:^|_)masks?$")
# Parameter names that say the argument holds probabilities (what callers pass is not seen).
_PROBABILITY_NAME = re.compile(r"^(?:probs?|probabilit(?:y|ies)|predictions|y_pred|y_prob|\w+_probs?|probs?_\w+)$")
# Methods that mutate their receiver in place; the receiver's facts are recomputed or forgotten.
_IN_PLACE_GUARDS = frozenset({"clamp_", "clamp_min_", "clip_", "add_", "div_", "mul_", "sub_"})
_EMPTY_MODULE = cst.Module(body=[])


def expression_key(expr: cst.CSTNode) -> str:
    """Source text of an expression without whitespace, to compare guards with guarded values."""
    return "".join(_EMPTY_MODULE.code_for_node(expr).split())


class _Conditions:
    """The conditions tested in one scope; their expression keys are computed on first use."""

    __slots__ = ("tests", "_keys", "_done")

    def __init__(self) -> None:
        self.tests: List[cst.BaseExpression] = []
        self._keys: Set[str] = set()
        self._done = 0

    def keys(self) -> Set[str]:
        while self._done < len(self.tests):
            self._keys.update(expression_key(part) for part in _key_parts(self.tests[self._done]))
            self._done += 1
        return self._keys


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


_IDENTITY_TESTS = (cst.Is, cst.IsNot, cst.In, cst.NotIn)
_TYPE_TESTS = frozenset({"isinstance", "hasattr", "callable", "type", "issubclass"})
# `if mask.any():` tests the values of `mask` itself.
_VALUE_TEST_METHODS = frozenset({"any", "all", "sum", "numel", "count_nonzero", "nonzero", "item", "min", "max", "abs"})
# Comparisons spelled as calls (`tf.greater(n, 0)`, `torch.gt(n, 0)`, `n.ne(0)`) test their operands.
_COMPARISON_CALLS = frozenset({"greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
                               "gt", "ge", "lt", "le", "eq", "ne", "isclose"})


def _is_index(expr: cst.Subscript, position: int) -> bool:
    """`x[0]` for position 0: one literal integer index."""
    if len(expr.slice) != 1 or type(expr.slice[0].slice) is not cst.Index:
        return False
    index = expr.slice[0].slice.value
    # `literal` reads every spelling of an integer (`0x10`, `1_000`), not only decimals.
    return type(index) is cst.Integer and v.literal(index.value) == position


@functools.lru_cache(maxsize=4096)
def _names_normalizing_layer(leaf: str) -> bool:
    """`BatchNormalization`, `Rescaling`, ...: asked of every call's name, answered once per name."""
    return any(word in leaf for word in names.NORMALIZING_LAYER_WORDS)


def _key_parts(node: cst.CSTNode, differences: bool = True) -> Iterator[cst.CSTNode]:
    """The expressions whose *values* a condition tests: the operands of its comparisons and
    the values it tests for truth. `x is None`, `isinstance(x, T)` and `x.dim() == 2` say
    nothing about whether `x` can be 0, so `x` itself is not a part of them. Unless not
    `differences`, also `a - b` and `b - a` (new nodes) for a comparison of `a` with `b`."""
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Comparison:
            if all(type(target.operator) in _IDENTITY_TESTS for target in current.comparisons):
                continue
            stack.append(current.left)
            stack.extend(target.comparator for target in current.comparisons)
            if differences and len(current.comparisons) == 1:
                # `if hi == lo: return` also tests the range `hi - lo` that a later division uses.
                left, right = current.left, current.comparisons[0].comparator
                yield cst.BinaryOperation(left=left, operator=cst.Subtract(), right=right)
                yield cst.BinaryOperation(left=right, operator=cst.Subtract(), right=left)
        elif type(current) is cst.BooleanOperation:
            stack.extend((current.left, current.right))
        elif type(current) is cst.UnaryOperation:
            stack.append(current.expression)
        elif type(current) is cst.NamedExpr:
            stack.extend((current.target, current.value))  # `if (n := norm(v)) > 0:`
        elif type(current) is cst.Call:
            func = current.func
            if type(func) is cst.Name and func.value in _TYPE_TESTS:
                continue
            leaf = func.attr.value if type(func) is cst.Attribute else (func.value if type(func) is cst.Name else None)
            if leaf in _COMPARISON_CALLS:
                stack.extend(arg.value for arg in current.args)
                if type(func) is cst.Attribute:
                    stack.append(func.value)  # `n.gt(0)`: the receiver is an operand
                continue
            yield current
            if type(func) is cst.Attribute:
                yield func  # `mask.sum` tested, `mask.sum(dim=1)` used
                if func.attr.value in _VALUE_TEST_METHODS:
                    yield func.value
        elif type(current) in (cst.Name, cst.Attribute, cst.Subscript, cst.BinaryOperation):
            yield current


def _assign_targets(target: cst.BaseExpression):
    """Names bound by an assignment target (tuples bind each element as unknown)."""
    if type(target) is cst.Name:
        yield target.value, True
    elif type(target) in (cst.Tuple, cst.List):
        for element in target.elements:
            value = element.value
            if type(value) is cst.StarredElement:
                value = value.value
            for name, _ in _assign_targets(value):
                yield name, False


class SemanticModel(cst.BatchableCSTVisitor):
    """Name resolution, value facts and constants for one file, filled in during the walk."""

    def __init__(self) -> None:
        super().__init__()
        self.scopes = ScopeStack()
        self._operations: Dict[int, tuple] = {}  # id -> (call, scopes.version, operation): see `operation`
        self._qualified_names: Dict[int, tuple] = {}  # the same for `qualified_name`
        self.argparse_defaults: Dict[str, Value] = {}
        self._cache: Dict[int, Value] = {}
        self._model_classes: set = set()
        self._normalizing_classes: set = set()  # model classes whose body normalizes or divides
        # Local functions that return a model (by id of the FunctionDef): the model's tags.
        self._returned_models: Dict[int, FrozenSet[str]] = {}
        self._class_stack: List[cst.ClassDef] = []
        # (id of a dict literal's Value, key) -> value, for `config["lr"]`.
        self._dict_entries: Dict[tuple, Value] = {}
        self._step_events: Dict[int, List[steps.Event]] = {}
        # Expressions tested in a condition (if/while/assert/where/ternary), per scope.
        self._checked: Dict[int, "_Conditions"] = {}
        # Scopes (by node id, 0 for the module) in which a normalizing or rescaling layer was built.
        self._normalizing_scopes: Set[int] = set()

    # --- name resolution -------------------------------------------------------------

    def qualified_name(self, expr: cst.BaseExpression) -> Optional[str]:
        """`T.log` -> "torch.log" under `import torch as T`; None for values and unknowns."""
        kind = type(expr)  # not isinstance: libcst's node classes are ABCs, slow to test against
        if kind is not cst.Name and kind is not cst.Attribute:
            return None
        return self._remembered(self._qualified_names, expr, self._qualified_name)

    def _remembered(self, memo: Dict[int, tuple], node: cst.CSTNode, compute: Callable[[Any], Optional[str]]) -> Optional[str]:
        """`compute(node)`, kept until a binding changes. Rules ask the same questions of the same
        nodes again and again, and the answer depends only on the node and the bindings in view.
        (The entry keeps the node: a rule's temporary node could be freed and its id reused.)"""
        cached = memo.get(id(node))
        if cached is not None and cached[0] is node and cached[1] == self.scopes.version:
            return cached[2]
        found = compute(node)
        memo[id(node)] = (node, self.scopes.version, found)
        return found

    def _qualified_name(self, expr: cst.BaseExpression) -> Optional[str]:
        if type(expr) is cst.Name:
            binding = self.scopes.lookup(expr.value)
            if isinstance(binding, ImportBinding):
                return binding.qualified_name
            if binding is None and expr.value in _BUILTINS:
                return f"builtins.{expr.value}"
            if isinstance(binding, DefinitionBinding):
                return f"<local>.{expr.value}"
            return None
        if type(expr) is cst.Attribute:
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
        return self._remembered(self._operations, call, self._operation)

    def _operation(self, call: cst.Call) -> Optional[str]:
        func = call.func
        qualified = self.qualified_name(func)
        if qualified is not None:
            if qualified.startswith("builtins."):
                return self._builtin_operation(qualified[len("builtins."):], call)
            return names.OPERATION_OF.get(qualified)
        if type(func) is cst.Attribute:
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

    def is_model_class(self, node: cst.ClassDef) -> bool:
        """A class seen so far that derives from a network base (`nn.Module`, `keras.Model`, ...)."""
        return id(node) in self._model_classes

    def is_method_call(self, call: cst.Call) -> bool:
        """`x.log()` rather than `torch.log(x)`."""
        return type(call.func) is cst.Attribute and not self.is_module_reference(call.func.value)

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
            found = self._step_events[key] = steps.events(block, self, self._step_events)
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
        # Dispatch on the exact class: libcst's node classes are ABCs, on which a chain of
        # failing `isinstance` tests is the slowest part of evaluating an expression.
        evaluate = _EVALUATORS.get(type(expr))
        return evaluate(self, expr) if evaluate is not None else UNKNOWN

    def _integer_value(self, expr: cst.Integer) -> Value:
        return v.constant(int(v.literal(expr.value)))  # type: ignore[arg-type]

    def _float_value(self, expr: cst.Float) -> Value:
        return v.constant(float(v.literal(expr.value)))  # type: ignore[arg-type]

    def _unary_value(self, expr: cst.UnaryOperation) -> Value:
        inner = self.value(expr.expression)
        operator = type(expr.operator)
        return v.negate(inner) if operator is cst.Minus else (inner if operator is cst.Plus else UNKNOWN)

    def _if_value(self, expr: cst.IfExp) -> Value:
        return v.join(self.value(expr.body), self.value(expr.orelse))

    def _test_value(self, expr: cst.BaseExpression) -> Value:
        return v.mask(*self._about(expr), *self._of_input(expr))  # a test of some data: 0 where it fails

    def _literal_sequence_value(self, expr: cst.BaseExpression) -> Value:
        if any(type(e) is cst.StarredElement for e in expr.elements):  # type: ignore[attr-defined]
            return UNKNOWN
        return self._sequence_value(expr)

    def _sequence_value(self, expr: cst.BaseExpression) -> Value:
        """A tuple unpacks into its elements; `np.array([img])` is a batch of one image; a literal
        vector with a non-zero constant entry (`[50.0, 100.0]`, `[sin(t), cos(t), -0.5]`) has a
        non-zero norm."""
        items = [self.value(element.value) for element in expr.elements]  # type: ignore[attr-defined]
        tags = frozenset({"nonzero-vector"}) if any(item.const not in (None, 0) for item in items) else frozenset()
        if type(expr) is cst.Tuple:
            return Value(elements=tuple(items), tags=tags)
        if len(items) == 1 and items[0].magnitude:
            inner = items[0]
            return v.data(inner.magnitude, inner.origin, *(inner.tags & {v.RAW_PIXELS, v.RANDOM}))
        return Value(tags=tags)

    def _binary(self, expr: cst.BinaryOperation) -> Value:
        combine = _ARITHMETIC.get(type(expr.operator))
        if combine is None:
            return UNKNOWN
        return combine(self.value(expr.left), self.value(expr.right))

    def _name_value(self, expr: cst.Name) -> Value:
        binding = self.scopes.lookup(expr.value)
        if isinstance(binding, ValueBinding):
            value: Value = binding.value  # type: ignore[assignment]
            if value.const is None and value.lo is None and value.zero is None:
                if _EPS_NAME.search(expr.value):
                    return v.eps_like()  # a parameter or variable named `eps` whose value we cannot see
                if _MASK_NAME.search(expr.value):
                    return v.mask(*(value.tags & {"parameter"}))  # `attention_mask`, `loss_mask`: 0/1 by name
            return value
        if isinstance(binding, ImportBinding):
            number = _NAMED_CONSTANTS.get(binding.qualified_name)
            if number is not None:
                return v.constant(number)
        if binding is None and _EPS_NAME.search(expr.value):
            return v.eps_like()
        if binding is None and _MASK_NAME.search(expr.value):
            return v.mask()
        return UNKNOWN

    def _attribute_value(self, expr: cst.Attribute) -> Value:
        qualified = self.qualified_name(expr)
        if qualified is not None:
            number = _NAMED_CONSTANTS.get(qualified)
            return v.constant(number) if number is not None else UNKNOWN
        attr = expr.attr.value
        if attr in ("shape", "ndim"):
            return Value(lo=0.0, tags=frozenset({"size"}))
        if attr == "values":
            # `x.max(dim).values`: the reduction's values keep its facts.
            base = self.value(expr.value)
            if base.tags & {"reduce-max", "reduce-min"}:
                return base
            reduced = self._reduction_pair_values(expr.value)
            if reduced is not None:
                return reduced
        if type(expr.value) is cst.Name and self._is_parsed_args(expr.value):
            found = self.argparse_defaults.get(attr)
            if found is not None:
                return found
        if _EPS_NAME.search(attr):
            return v.eps_like()  # `self.eps`, `config.layer_norm_eps`, `torch.finfo(dtype).eps`
        return UNKNOWN

    def _is_parsed_args(self, name: cst.Name) -> bool:
        binding = self.scopes.lookup(name.value)
        return isinstance(binding, ValueBinding) and "parsed-args" in getattr(binding.value, "tags", ())

    def _subscript_value(self, expr: cst.Subscript) -> Value:
        reduced = self._reduction_pair_values(expr.value) if _is_index(expr, 0) else None
        if reduced is not None:
            return reduced
        base = self.value(expr.value)
        if "size" in base.tags:
            return base
        if "config-dict" in base.tags and len(expr.slice) == 1:
            index = expr.slice[0].slice
            key = string_value(index.value) if type(index) is cst.Index else None
            return self._dict_entries.get((id(base), key), UNKNOWN) if key else UNKNOWN
        if base.elements is not None and len(expr.slice) == 1:
            index = expr.slice[0].slice
            position = self.value(index.value).const if type(index) is cst.Index else None
            if position is not None and float(position).is_integer() and -len(base.elements) <= position < len(base.elements):
                return base.elements[int(position)]
            return UNKNOWN
        if base.item is not None:
            return base.item  # `dataset[i]`: one sample
        selected = self._selected_nonzero(expr)
        if selected is not None:
            return selected
        # Indexing keeps element facts (a slice of probabilities is probabilities).
        return replace(base, tags=base.tags - {"parsed-args"}, result=None)

    def _reduction_pair_values(self, expr: cst.BaseExpression) -> Optional[Value]:
        """`torch.max(x, dim)[0]` / `.values` with a `dim` the model cannot read (a parameter):
        only the reduction returns a (values, indices) pair, so this is `x`'s maximum, not
        the elementwise `torch.max(a, b)` that a bare second argument could also mean."""
        if type(expr) is not cst.Call:
            return None
        op = self.operation(expr)
        if op not in ("max", "min"):
            return None
        operand_expr = self.operand(expr)
        operand = self.value(operand_expr) if operand_expr is not None else UNKNOWN
        return Value(lo=operand.lo, hi=operand.hi, zero=operand.zero, guarded=operand.guarded,
                     tags=(operand.tags & {"probability"}) | {f"reduce-{op}"})

    def _selected_nonzero(self, expr: cst.Subscript) -> Optional[Value]:
        """`p[p > 0]` is positive; `u[nz]` with `nz = torch.nonzero(counts)` and `u` computed
        from `counts` selects by a test of the same data: its zeros are not known any more."""
        tests = [element.slice.value for element in expr.slice if type(element.slice) is cst.Index]
        if not any(self.value(test).tags & {"mask", "selection"} for test in tests):
            return None
        base = self.value(expr.value)
        base_key = expression_key(expr.value)
        related = self._local_names(expr.value)
        if type(expr.value) is cst.Name:
            binding = self.scopes.lookup(expr.value.value)
            if isinstance(binding, ValueBinding) and binding.node is not None:
                related |= self._local_names(binding.node)
        for element in expr.slice:
            index = element.slice
            if type(index) is not cst.Index:
                continue
            test = index.value
            if type(test) is cst.Comparison and len(test.comparisons) == 1 and expression_key(test.left) == base_key:
                target = test.comparisons[0]
                bound = self.value(target.comparator).const
                above = type(target.operator) is cst.GreaterThan and bound is not None and bound >= 0
                nonzero = type(target.operator) is cst.NotEqual and bound == 0
                if above or nonzero:
                    return Value(lo=v.TINY, guarded=True, tags=base.tags - {"parsed-args"})
            about = {tag[len("about:"):] for tag in self.value(test).tags if tag.startswith("about:")}
            if about & related:
                tags = (base.tags - {"parsed-args"}) | {"selected"}
                return replace(base, zero=None, guarded=base.zero is not None, tags=tags, result=None)
        return None

    def _local_names(self, expr: cst.CSTNode) -> Set[str]:
        """Names in an expression that are not imports (the data it is computed from)."""
        return {
            node.value for node in _walk(expr)
            if type(node) is cst.Name and not isinstance(self.scopes.lookup(node.value), ImportBinding)
        }

    def _of_input(self, test: cst.BaseExpression) -> FrozenSet[str]:
        """`of-input` for a comparison of data a caller passed in (`labels != -100`)."""
        if type(test) is cst.Comparison:
            operands = [test.left, *(target.comparator for target in test.comparisons)]
            if any(self.value(operand).tags & {"parameter", "of-input"} for operand in operands):
                return frozenset({"of-input"})
        return frozenset()

    def _about(self, expr: cst.CSTNode) -> FrozenSet[str]:
        return frozenset(f"about:{name}" for name in self._local_names(expr))

    def _call_value(self, call: cst.Call) -> Value:
        op = self.operation(call)
        if op is not None:
            result = self._operation_value(op, call)
            if type(call.func) is cst.Name and (self.qualified_name(call.func) or "").startswith("builtins."):
                result = result.tagged("python")  # `len(x)`, `sum(xs)`: Python numbers, which raise instead of NaN
            return result
        func = call.func
        qualified = self.qualified_name(func)
        if qualified is not None:
            return self._named_call_value(qualified, call)
        if type(func) is cst.Attribute:
            method = func.attr.value
            if method in names.VALUE_PRESERVING_METHODS:
                return self.value(func.value)
            if method in names.SUBTRACT_METHODS:
                return self._subtract_call_value(call, func.value, argument_value(call, ("other",), 0))
            if method in ("item", "tolist"):
                return self.value(func.value).tagged("python")  # a Python number: x / 0 raises
            if method in ("size", "numel", "dim", "nelement"):
                return Value(lo=0.0, tags=frozenset({"size"}))
            if method == "topk":
                return Value(elements=(replace(self.value(func.value), elements=None), UNKNOWN))  # (values, indices)
            if method in ("nonzero", "argwhere"):
                return Value(tags=frozenset({"selection"}) | self._about(func.value))
            if method == "count_nonzero":
                return v.nonnegative(v.COUNT, "`count_nonzero` is 0 when nothing is selected", "count")
            if method in ("parse_args", "parse_known_args"):
                return Value(tags=frozenset({"parsed-args"}))
            receiver = self.value(func.value)
            if "pil-image" in receiver.tags and method in names.IMAGE_PLUMBING_METHODS:
                return receiver  # `Image.open(p).convert("RGB")` keeps 0-255 pixels
            if "model" in receiver.tags:
                return self._model_output() if method in ("forward", "predict", "predict_on_batch", "__call__") else UNKNOWN
            return UNKNOWN
        callee = self.value(func)
        if callee.result is not None:
            return callee.result  # calling a transform pipeline
        if "model" in callee.tags:
            return self._model_output()
        return UNKNOWN

    def _subtract_call_value(self, call: cst.Call, left: Optional[cst.BaseExpression],
                             right: Optional[cst.BaseExpression]) -> Value:
        """`tf.subtract(x, m)` is `x - m` (unless `alpha` scales `m`)."""
        if left is None or right is None or any(arg.keyword and arg.keyword.value == "alpha" for arg in call.args):
            return UNKNOWN
        return v.subtract(self.value(left), self.value(right))

    def _named_call_value(self, qualified: str, call: cst.Call) -> Value:
        first = argument_value(call, (), 0)
        if qualified in ("builtins.float", "builtins.int"):
            text = string_value(first)
            if text is not None:
                try:
                    return v.constant(float(text))
                except ValueError:
                    return UNKNOWN
            # A Python number: dividing by 0 raises instead of giving NaN.
            return self.value(first).tagged("python") if first is not None else v.constant(0)
        if qualified in names.VALUE_PRESERVING_FUNCTIONS and first is not None:
            return self.value(first)
        if qualified in names.SUBTRACT_FUNCTIONS:
            return self._subtract_call_value(call, first, argument_value(call, ("other", "y", "x2"), 1))
        if qualified in ("torch.topk", "tensorflow.math.top_k", "tensorflow.nn.top_k", "jax.lax.top_k") and first is not None:
            return Value(elements=(replace(self.value(first), elements=None), UNKNOWN))  # (values, indices)
        if qualified.rsplit(".", 1)[-1] in ("nonzero", "argwhere", "flatnonzero") and first is not None:
            return Value(tags=frozenset({"selection"}) | self._about(first))
        data = self._data_call_value(qualified, call, first)
        if data is not None:
            return data
        if qualified.startswith("<local>."):
            binding = self.scopes.lookup(qualified[len("<local>."):])
            if isinstance(binding, DefinitionBinding) and id(binding.node) in self._model_classes:
                normalizing = id(binding.node) in self._normalizing_classes
                return Value(tags=frozenset({"model", "normalizes-input"} if normalizing else {"model"}))
            if isinstance(binding, DefinitionBinding) and id(binding.node) in self._returned_models:
                # `model = build_model()`: a local helper that returns a model it built.
                return Value(tags=self._returned_models[id(binding.node)])
            return UNKNOWN
        if qualified in _MODEL_LOADERS:
            return Value(tags=frozenset({"model"}))
        if qualified in _MODEL_CONSTRUCTORS or (
            qualified.startswith(_MODEL_MODULE_PREFIXES) and qualified.rsplit(".", 1)[-1][:1].isupper()
        ):
            return Value(tags=frozenset({"model", "normalizes-input"} if self._builds_normalizing_model(qualified, call)
                                        else {"model"}))
        role = names.object_role(qualified)  # "optimizer", "grad-scaler", "lr-scheduler", "gradient-tape"
        if role is not None:
            return Value(tags=frozenset({role}))
        return UNKNOWN

    # --- data sources and preprocessing (input magnitudes) ---------------------------

    def _data_call_value(self, qualified: str, call: cst.Call, first: Optional[cst.BaseExpression]) -> Optional[Value]:
        """Facts about data arrays, datasets and transforms produced by a named call, or None."""
        if qualified in names.RANDOM_CONSTRUCTORS:
            spread = argument_value(call, names.RANDOM_SCALE_KEYWORDS)
            scale = self.value(spread).const if spread is not None else 1.0
            return v.data(abs(scale), call, v.RANDOM) if scale is not None else UNKNOWN
        if qualified.endswith(".load_data") and qualified[: -len(".load_data")] in names.IMAGE_DATASETS:
            pixels = v.data(255.0, call, v.RAW_PIXELS)
            split = Value(elements=(pixels, UNKNOWN))
            return Value(elements=(split, split))
        if qualified in names.IMAGE_READERS:
            pixels = v.data(255.0, call, v.RAW_PIXELS)
            return pixels.tagged("pil-image") if qualified == "PIL.Image.open" else pixels
        if qualified in names.DATA_READERS:
            # A file the user names (a path, a parameter, an argument) holds whatever data they
            # bring, constant columns included; a canonical dataset fetched by a helper
            # (`np.genfromtxt(download("airfoil"))`) is a known, fixed file.
            return UNKNOWN if type(first) is cst.Call else Value(tags=frozenset({"of-input"}))
        if qualified in names.IMAGE_PLUMBING and first is not None:
            return self.value(first)
        if qualified in names.RAW_TENSOR_TRANSFORMS:
            return Value(result=v.data(255.0, call, v.RAW_PIXELS), tags=frozenset({"transform"}))
        if qualified in names.COMPOSE and first is not None:
            return self._composed_transform(first)
        if qualified in names.DATA_LOADERS or qualified in names.PROGRESS_WRAPPERS:
            source = self.value(first) if first is not None else UNKNOWN
            return Value(item=source.item) if source.item is not None else UNKNOWN
        if qualified == "builtins.enumerate" and first is not None:
            source = self.value(first)
            return Value(item=Value(elements=(UNKNOWN, source.item))) if source.item is not None else UNKNOWN
        if qualified == "builtins.next" and first is not None:
            source = self.value(first)
            return source.item if source.item is not None else UNKNOWN
        transform = argument_value(call, ("transform",))
        if transform is not None:
            # `ImageFolder(root, transform=t)`: samples are (t(image), label).
            produced = self.value(transform).result
            return Value(item=Value(elements=(produced, UNKNOWN))) if produced is not None else UNKNOWN
        return None

    def _composed_transform(self, steps_expr: cst.BaseExpression) -> Value:
        """`Compose([...])`: raw pixels when a uint8-tensor step is not followed by any scaling step."""
        if type(steps_expr) not in (cst.List, cst.Tuple):
            return UNKNOWN
        produced: Optional[Value] = None
        for element in steps_expr.elements:
            step = element.value
            if type(step) is not cst.Call:
                return UNKNOWN
            qualified = self.qualified_name(step.func)
            if qualified in names.RAW_TENSOR_TRANSFORMS:
                produced = self.value(step).result
            elif qualified is None or not qualified.startswith(names.TRANSFORM_MODULES):
                return UNKNOWN  # a step we cannot read may scale
            elif qualified in names.SCALING_TRANSFORMS:
                scale = argument_value(step, ("scale",))
                if qualified.endswith(".ToDtype") and (scale is None or (type(scale) is cst.Name and scale.value == "False")):
                    continue  # `ToDtype(torch.float32)` converts without scaling
                produced = None
        return Value(result=produced, tags=frozenset({"transform"})) if produced is not None else UNKNOWN

    def _builds_normalizing_model(self, qualified: str, call: cst.Call) -> bool:
        """Whether a model built from framework layers normalizes or rescales its input."""
        leaf = qualified.rsplit(".", 1)[-1]
        if leaf == "Model":
            # Functional API: the layers were built before the model, in the same scope.
            return self._scope_key() in self._normalizing_scopes
        layers: List[cst.BaseExpression] = []
        for arg in call.args:
            if type(arg.value) in (cst.List, cst.Tuple):
                layers.extend(element.value for element in arg.value.elements)
            else:
                layers.append(arg.value)
        return any(self._is_normalizing_layer(layer) for layer in layers)

    def _is_normalizing_layer(self, expr: cst.BaseExpression) -> bool:
        if type(expr) is not cst.Call:
            return False
        qualified = self.qualified_name(expr.func)
        leaf = qualified.rsplit(".", 1)[-1] if qualified else (expr.func.attr.value if type(expr.func) is cst.Attribute else "")
        if leaf == "Lambda" and qualified is not None and qualified.startswith(_KERAS_ROOTS):
            return self._lambda_layer_scales(expr)
        if qualified is not None and qualified.startswith(_KERAS_APPLICATIONS):
            return True
        return _names_normalizing_layer(leaf)

    @staticmethod
    def _lambda_layer_scales(layer: cst.Call) -> bool:
        """`layers.Lambda(lambda x: x / 255.0 - 0.5)`: a Keras Lambda layer that divides rescales the
        input inside the model. A function we cannot read (`Lambda(preprocess)`) may scale too."""
        function = argument_value(layer, ("function",), 0)
        if type(function) is not cst.Lambda:
            return function is not None
        return any(type(node) is cst.BinaryOperation and type(node.operator) is cst.Divide
                   for node in nodes(function.body))

    def _is_model_input(self, expr: cst.BaseExpression) -> bool:
        """Whether `expr` is made from a name bound to `keras.Input(...)`, a functional model's input."""
        for name in nodes(expr):
            if type(name) is not cst.Name:
                continue
            binding = self.scopes.lookup(name.value)
            if isinstance(binding, ValueBinding) and type(binding.node) is cst.Call:
                qualified = self.qualified_name(binding.node.func)
                if qualified is not None and qualified.startswith(_KERAS_ROOTS) and qualified.endswith(".Input"):
                    return True
        return False

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
        if op == "norm" and operand.tags & _NEVER_ALL_ZERO:
            return Value(lo=0.0, tags=frozenset({op}))  # softmax/exp rows, literal non-zero vectors, random draws
        if op in ("std", "var") and v.RANDOM in operand.tags:
            return Value(lo=0.0, tags=frozenset({op}))  # draws from a continuous distribution are never constant
        if op in ("std", "var", "norm") and "selected" in operand.tags:
            return Value(lo=0.0, tags=frozenset({op}))  # rows chosen by a test of the same data (`x[x.sum(1) != 0]`)
        if op in ("std", "var"):
            # `of-input`: the spread of data a caller passed in, which can be constant (one value,
            # a constant feature or image).
            of_input = ("of-input",) if operand.tags & {"parameter", "of-input"} else ()
            return v.nonnegative(v.REDUCTION, f"`{op}` is 0 when all values are equal", op, *of_input)
        if op == "norm":
            return v.nonnegative(v.REDUCTION, "`norm` is 0 for an all-zero vector", op)
        if op == "relu":
            if operand.positive:
                return Value(lo=operand.lo, tags=frozenset({op}))
            return v.nonnegative(v.NONNEGATIVE, "`relu` is 0 for every input <= 0", op)
        if op in ("abs", "square"):
            return v.square_of(operand, op, f"`{op}` is 0 where its input is 0")
        if op == "len":
            return v.nonnegative(v.COUNT, "`len(...)` is 0 for an empty collection", "count")
        if op == "sqrt":
            if operand.positive:
                return Value(lo=math.sqrt(operand.lo), guarded=operand.guarded, tags=frozenset({"sqrt"}))
            zero = operand.zero if operand.zero is not None else None
            return Value(lo=0.0, zero=zero, tags=frozenset({"sqrt"}) | (operand.tags & {"std", "var", "norm", "of-input"}))
        if op == "sum":
            if operand.positive:
                return Value(lo=operand.lo, tags=frozenset({"sum"}))
            if operand.zero is None and operand.tags & {"square", "abs"} and not operand.tags & _NEVER_ALL_ZERO:
                # A hand-written norm: `sqrt(sum(x ** 2))`, `sum(abs(x))`.
                terms = "squares" if "square" in operand.tags else "absolute values"
                return v.nonnegative(v.REDUCTION, f"a sum of {terms} is 0 for an all-zero vector", "sum", "norm")
            if operand.zero is None or operand.zero.kind not in _SUM_ZERO_KINDS:
                # A sum of unknown terms is unknown. Softmax rows sum to 1; a sum of `exp`,
                # `sigmoid` or other probabilities is 0 only if every term underflows (the
                # hand-written-softmax rule's concern), not a zero to guard here.
                lo = operand.lo if operand.lo is not None and operand.lo >= 0 else None
                return Value(lo=lo, tags=frozenset({"sum"}))
            if operand.zero.kind == v.MASK:
                reason = "a mask's `sum` is 0 when it selects nothing"
            elif operand.zero.kind == v.SUM:
                reason = operand.zero.reason  # a sum of sums
            else:
                reason = f"a `sum` is 0 when all its terms are 0 ({operand.zero.reason})"
            counts = operand.zero.kind == v.MASK or "count" in operand.tags
            return Value(lo=operand.lo if operand.lo is not None and operand.lo >= 0 else None,
                         zero=v.Zero(v.SUM, reason), tags=frozenset({"sum", "count"} if counts else {"sum"})
                         | (operand.tags & {"of-input"}) | ({"of-input"} if "parameter" in operand.tags else set()))
        if op == "mean":
            return Value(lo=operand.lo, hi=operand.hi, zero=operand.zero, guarded=operand.guarded,
                         tags=operand.tags & {"probability"})
        if op in ("max", "min"):
            other = argument_value(call, ("other",), 0 if self.is_method_call(call) else 1)
            other_value = self.value(other) if other is not None else UNKNOWN
            is_dim = other_value.const is not None and float(other_value.const).is_integer()
            if op == "max" and other_value.positive and not is_dim:
                return self._maximum(call)  # `torch.max(x, eps)`: elementwise, a floor
            if other is not None and not is_dim:
                return UNKNOWN  # `torch.max(a, b)` is elementwise (or `b` is a dim we cannot read)
            # `of-input`: the extreme of data a caller passed in (a parameter), which can be constant.
            of_input = {"of-input"} if operand.tags & {"parameter", "of-input"} else set()
            return Value(lo=operand.lo, hi=operand.hi, zero=operand.zero, guarded=operand.guarded,
                         tags=(operand.tags & {"probability"}) | {f"reduce-{op}"} | of_input)
        if op == "clamp":
            return self._clamped(call, operand)
        if op == "maximum":
            return self._maximum(call)
        if op == "where":
            branches = [argument_value(call, ("input", "x", "x1"), 1), argument_value(call, ("other", "y", "x2"), 2)]
            if all(b is not None for b in branches):
                joined = v.join(self.value(branches[0]), self.value(branches[1]))  # type: ignore[arg-type]
                condition = argument_value(call, ("condition", "cond"), 0)
                if joined.zero is not None and condition is not None:
                    tested = {expression_key(part) for part in _key_parts(condition)}
                    if any(expression_key(b) in tested for b in branches):  # type: ignore[arg-type]
                        # `where(d == 0, 1, d)`: the author replaced the zeros.
                        return replace(joined, zero=None, guarded=True)
                return joined
            return UNKNOWN
        if op == "pow":
            exponent = argument_value(call, ("exponent", "y", "x2"), 0 if self.is_method_call(call) else 1)
            return v.power(operand, self.value(exponent)) if exponent is not None else UNKNOWN
        if op == "div":
            divisor = argument_value(call, ("other", "y", "x2"), 0 if self.is_method_call(call) else 1)
            return v.divide(operand, self.value(divisor)) if divisor is not None else UNKNOWN
        if op == "normalize":
            return Value(lo=-1.0, hi=1.0)
        if op == "cosine_similarity":
            return Value(lo=-1.0, hi=1.0, tags=frozenset({"cosine"}))
        if op == "logsumexp":
            return Value(tags=frozenset({"logsumexp"}))
        return UNKNOWN

    def _clamped(self, call: cst.Call, operand: Value) -> Value:
        method = self.is_method_call(call)
        func_name = call.func.attr.value if type(call.func) is cst.Attribute else ""
        floor_position = 0 if method else 1
        floor_keywords = ("min", "clip_value_min", "a_min", "x_min", "min_value")
        if func_name.startswith("clamp_min"):
            floor_keywords = ("min",)
        floor_expr = argument_value(call, floor_keywords, floor_position)
        ceiling_expr = argument_value(call, ("max", "clip_value_max", "a_max", "max_value"), floor_position + 1)
        hi = self.value(ceiling_expr).const if ceiling_expr is not None else operand.hi
        if floor_expr is None or (type(floor_expr) is cst.Name and floor_expr.value == "None"):
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
            if alias.asname is not None and type(alias.asname.name) is cst.Name:
                self.scopes.bind(alias.asname.name.value, ImportBinding(dotted))
            else:
                root = dotted.split(".", 1)[0]
                self.scopes.bind(root, ImportBinding(root))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if type(node.names) is cst.ImportStar:
            return
        module = dotted_name(node.module) if node.module is not None else ""
        prefix = "." * len(node.relative) + (module or "")
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = alias.asname.name.value if alias.asname and type(alias.asname.name) is cst.Name else name
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
        self._class_stack.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()
        if self._class_stack:
            self._class_stack.pop()

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
        self._bind_target(node.target, self.value(node.iter).item or UNKNOWN)

    def visit_For(self, node: cst.For) -> None:
        # `for images, labels in loader`: the loader's samples, when the model knows them.
        self._bind_target(node.target, self.value(node.iter).item or UNKNOWN)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, UNKNOWN)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, UNKNOWN)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if type(original_node.value) is cst.Attribute and len(original_node.targets) == 1:
            target = original_node.targets[0].target
            qualified = self.qualified_name(original_node.value)
            if type(target) is cst.Name and qualified and qualified.split(".", 1)[0] in names.FRAMEWORK_ROOTS:
                # `mnist = tf.keras.datasets.mnist`, `F = torch.nn.functional`: an alias of a module.
                if qualified not in _NAMED_CONSTANTS:
                    self.scopes.bind(target.value, ImportBinding(qualified))
                    return
        value = self.value(original_node.value)
        if type(original_node.value) is cst.Dict:
            value = self._config_dict(original_node.value)
        for target in original_node.targets:
            self._bind_target(target.target, value, original_node.value)
            if type(target.target) is cst.Subscript:
                self._masked_assignment(target.target, value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node.value is not None:
            self._bind_target(original_node.target, self.value(original_node.value), original_node.value)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        target = original_node.target
        if type(target) is not cst.Name:
            return
        # `x op= y` as `x op y`, combined without building that node (libcst validates every new node).
        combine = _ARITHMETIC[_AUG_TO_BINARY.get(type(original_node.operator), cst.Add)]
        self._bind_target(target, combine(self.value(target), self.value(original_node.value)), None)

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        self._bind_target(original_node.target, self.value(original_node.value), original_node.value)

    def visit_Call(self, node: cst.Call) -> None:
        if type(node.func) is cst.Attribute and node.func.attr.value == "add_argument":
            self._record_argparse(node)
        if self._is_normalizing_layer(node):
            self._normalizing_scopes.add(self._scope_key())
            self._normalizing_classes.update(id(cls) for cls in self._class_stack)
        if self.operation(node) == "where":
            condition = argument_value(node, ("condition", "cond"), 0)
            if condition is not None:
                self._record_condition(condition)
        if type(node.func) is cst.Attribute and node.func.attr.value == "add" and type(node.func.value) is cst.Name:
            # `model.add(layers.Rescaling(1 / 255))` on a Sequential model built empty.
            model = self.value(node.func.value)
            layer = argument_value(node, ("layer",), 0)
            if "model" in model.tags and layer is not None and self._is_normalizing_layer(layer):
                self._rebind(node.func.value.value, model.tagged("normalizes-input"))

    def visit_Return(self, node: cst.Return) -> None:
        function = self.scopes.function_scope()
        if node.value is None or function is None or type(function.node) is not cst.FunctionDef:
            return
        tags = self.value(node.value).tags & {"model", "normalizes-input"}
        if "model" in tags:
            self._returned_models[id(function.node)] = frozenset(tags)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) is cst.Divide:
            self._normalizing_classes.update(id(cls) for cls in self._class_stack)
            if self._is_model_input(node.left):
                # Functional API: `x = inputs / 255.0` rescales inside the model built in this scope.
                self._normalizing_scopes.add(self._scope_key())

    def visit_If(self, node: cst.If) -> None:
        self._record_condition(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._record_condition(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._record_condition(node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._record_condition(node.test)

    def visit_CompIf(self, node: cst.CompIf) -> None:
        self._record_condition(node.test)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        # `is_small = pos < max_exact` builds a mask that a later `where` applies.
        self._record_condition(node)

    def leave_Expr(self, original_node: cst.Expr) -> None:
        """In-place methods as statements: `d.clamp_(min=eps)` guards `d`; others forget its facts."""
        call = original_node.value
        if not (type(call) is cst.Call and type(call.func) is cst.Attribute and type(call.func.value) is cst.Name):
            return
        method = call.func.attr.value
        if not method.endswith("_") or method.endswith("__"):
            return
        name = call.func.value.value
        binding = self.scopes.lookup(name)
        if not isinstance(binding, ValueBinding) or "model" in binding.value.tags:  # type: ignore[union-attr]
            return
        current: Value = binding.value  # type: ignore[assignment]
        other = argument_value(call, ("other", "min", "value"), 0)
        if method in ("clamp_", "clamp_min_", "clip_"):
            updated = self._clamped(call, current)
        elif method in _IN_PLACE_GUARDS and other is not None:
            operation = {"add_": v.add, "sub_": v.subtract, "mul_": v.multiply, "div_": v.divide}.get(method)
            updated = operation(current, self.value(other)) if operation else UNKNOWN
        elif method == "masked_fill_":
            fill = argument_value(call, ("value",), 1)
            fill_value = self.value(fill) if fill is not None else UNKNOWN
            updated = replace(current, zero=None, guarded=True) if fill_value.positive else UNKNOWN
        else:
            updated = UNKNOWN
        self._rebind(name, updated)

    # --- conditions: what the code tested before using a value -----------------------

    def _scope_key(self) -> int:
        return id(self.scopes.current.node) if self.scopes.current.node is not None else 0

    def _record_condition(self, test: cst.BaseExpression) -> None:
        key = id(self.scopes.current.node) if self.scopes.current.node is not None else 0
        # The keys are source text (a code generation per part): computed only if a rule asks.
        tests = self._checked.setdefault(key, _Conditions()).tests
        tests.append(test)
        # `cross = v1[1] * v2[0] - v1[0] * v2[1]; if cross < 0:` also tests what `cross` is made of.
        for part in _key_parts(test, differences=False):  # only names are looked at here
            if type(part) is cst.Name:
                binding = self.scopes.lookup(part.value)
                if isinstance(binding, ValueBinding) and isinstance(binding.node, cst.BaseExpression):
                    tests.extend(node for node in _walk(binding.node) if type(node) is cst.Name)

    def is_checked(self, expr: cst.BaseExpression) -> bool:
        """Whether a condition seen so far in an enclosing scope (`if`, `while`, `assert`, a
        ternary, a `where`) tested this expression, or the expression a name was assigned from.
        `if mask.sum() > 0: loss = total / mask.sum()` is a guarded division."""
        keys = {expression_key(expr)}
        if getattr(expr, "lpar", None):
            keys.add(expression_key(expr.with_changes(lpar=[], rpar=[])))  # `(hi - lo)` is `hi - lo`
        if type(expr) is cst.Call and type(expr.func) is cst.Attribute and not self.is_module_reference(expr.func.value):
            keys.add(expression_key(expr.func))  # `mask.sum` tested, `mask.sum(dim=1)` used
        reduced: Optional[cst.BaseExpression] = expr
        if type(expr) is cst.Name:
            binding = self.scopes.lookup(expr.value)
            if isinstance(binding, ValueBinding) and binding.node is not None:
                keys.add(expression_key(binding.node))
                reduced = binding.node
        else:
            # Local variables inside the expression that carry its zero (`log(pos.float() / n)`
            # with `pos` tested in `pos < n`).
            for part in _walk(expr):
                if type(part) is cst.Name and self.value(part).zero is not None:
                    keys.add(part.value)
        if type(reduced) is cst.Call and self.operation(reduced) in _REDUCTIONS:
            # `norm(v)` when `v` itself was tested (`if cross(v, w) < 0`, `if v.any()`).
            data = self.operand(reduced)
            if type(data) in (cst.Name, cst.Attribute):
                keys.add(expression_key(data))
        for scope in self.scopes.scopes:
            conditions = self._checked.get(id(scope.node) if scope.node is not None else 0)
            checked = conditions.keys() if conditions is not None else None
            if checked and not keys.isdisjoint(checked):
                return True
        return False

    # --- helpers for the walk --------------------------------------------------------

    def _bind_target(self, target: cst.BaseExpression, value: Value, node: Optional[cst.BaseExpression] = None) -> None:
        if type(target) in (cst.Tuple, cst.List) and value.elements is not None:
            items = target.elements
            if len(items) == len(value.elements) and not any(type(item) is cst.StarredElement for item in items):
                # `(x_train, y_train), (x_test, y_test) = mnist.load_data()`
                for item, element in zip(items, value.elements):
                    self._bind_target(item.value, element)
                return
        if type(target) is not cst.Name and "selection" in value.tags:
            # `rows, cols = torch.nonzero(m, as_tuple=True)`: each part still selects by a test of `m`.
            for name, _ in _assign_targets(target):
                self.scopes.bind(name, ValueBinding(None, Value(tags=value.tags)))
            return
        for name, whole in _assign_targets(target):
            existing = self.scopes.current.bindings.get(name)
            # `try: import x / except ImportError: x = None` keeps the import's meaning.
            if isinstance(existing, ImportBinding) and type(node) is cst.Name and node.value == "None":
                continue
            self.scopes.bind(name, ValueBinding(node if whole else None, value if whole else UNKNOWN))

    def _rebind(self, name: str, value: Value) -> None:
        """Update what `name` holds after an in-place change, keeping where it was assigned."""
        binding = self.scopes.lookup(name)
        node = binding.node if isinstance(binding, ValueBinding) else None
        self.scopes.bind(name, ValueBinding(node, value))  # type: ignore[arg-type]

    def _masked_assignment(self, target: cst.Subscript, value: Value) -> None:
        """`std[std == 0] = 1.0` replaces the zeros of `std`: it is guarded from here on."""
        if type(target.value) is not cst.Name or not value.positive:
            return
        if not any(type(part) is cst.Comparison for element in target.slice for part in _walk(element)):
            return
        binding = self.scopes.lookup(target.value.value)
        if isinstance(binding, ValueBinding):
            self._rebind(target.value.value, replace(binding.value, zero=None, guarded=True))  # type: ignore[arg-type]

    def _parameter_defaults(self, params: cst.Parameters) -> Dict[str, Value]:
        defaults = {}
        for param in (*params.params, *params.kwonly_params, *params.posonly_params):
            if param.default is not None:
                defaults[param.name.value] = self.value(param.default)
        return defaults

    def _bind_parameters(self, params: cst.Parameters, defaults: Dict[str, Value]) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for star in (params.star_arg, params.star_kwarg):
            if type(star) is cst.Param:
                every.append(star)
        for param in every:
            value = defaults.get(param.name.value, UNKNOWN)
            starred = param is params.star_arg or param is params.star_kwarg
            if value is UNKNOWN and not starred and _PROBABILITY_NAME.match(param.name.value):
                value = v.named_probability(param.name.value)
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
            if type(element) is cst.DictElement:
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


_EVALUATORS: Dict[type, Callable[..., Value]] = {
    cst.Integer: SemanticModel._integer_value,
    cst.Float: SemanticModel._float_value,
    cst.UnaryOperation: SemanticModel._unary_value,
    cst.BinaryOperation: SemanticModel._binary,
    cst.Name: SemanticModel._name_value,
    cst.Attribute: SemanticModel._attribute_value,
    cst.Call: SemanticModel._call_value,
    cst.Subscript: SemanticModel._subscript_value,
    cst.IfExp: SemanticModel._if_value,
    cst.Comparison: SemanticModel._test_value,
    cst.BooleanOperation: SemanticModel._test_value,
    cst.List: SemanticModel._literal_sequence_value,
    cst.Tuple: SemanticModel._literal_sequence_value,
}
_ARITHMETIC: Dict[type, Callable[[Value, Value], Value]] = {
    cst.Add: v.add,
    cst.Subtract: v.subtract,
    cst.Multiply: v.multiply,
    cst.Divide: v.divide,
    cst.Power: v.power,
    cst.FloorDivide: v.floor_divide,
}

_AUG_TO_BINARY = {
    cst.AddAssign: cst.Add,
    cst.SubtractAssign: cst.Subtract,
    cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide,
    cst.PowerAssign: cst.Power,
}


