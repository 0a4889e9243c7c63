"""Initialization rules: NAN504 uninitialized-empty, NAN505 large-init-scale."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from nanlint import names
from nanlint.rule import Invalid, Rule, Valid
from nanlint.semantic.calls import argument_value, dotted_name, string_value
from nanlint.semantic.precision import shortest, source
from nanlint.semantic.scope import ValueBinding
from nanlint.walker import children

# Methods of a tensor that read its values (arithmetic, reductions) rather than fill it.
_READING_METHODS = frozenset(
    {"add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "matmul", "mm", "bmm", "addcmul_", "addcdiv_",
     "lerp_", "pow_", "sum", "mean", "prod", "cumsum", "max", "min", "exp", "exp_", "log", "log_", "sqrt", "abs",
     "clamp", "clamp_", "tanh", "sigmoid", "relu", "softmax", "norm", "item", "tolist", "any", "all"}
)
# `self.<method>()` calls that show a class initializes its parameters in one place.
_INIT_METHOD = re.compile(r"init|reset", re.IGNORECASE)
# Dtypes without NaN: uninitialized integers are wrong, but not NaN.
_INTEGER_DTYPE = re.compile(r"^(u?int\d*|bool|long|short|q?u?int\d+|quint\w*|qint\w*)$")
# Calls that show a file trains (an optimizer is built or gradients computed) or loads weights.
_LOADING_METHODS = frozenset({"load_state_dict", "from_pretrained", "load_checkpoint", "load_from_checkpoint",
                              "load_weights", "load_model"})
# Trailing parts of a target that name the same tensor: `self.w.data`, `self.w[0]`.
_SAME_TENSOR = frozenset({"data", "weight_orig"})
# Queries of a tensor's shape, not its values: `x.size()`, `x.numel()`, `x.shape`, `len(x)`.
_SHAPE_METHODS = frozenset({"size", "numel", "nelement", "dim"})
_SHAPE_ATTRIBUTES = frozenset({"shape", "ndim"})


def _tensor_name(expr: cst.BaseExpression) -> Optional[str]:
    """`self.w` / `module.w.data` / `self.w[0]` / `w` -> "w"."""
    while True:
        if type(expr) is cst.Subscript:
            expr = expr.value
        elif type(expr) is cst.Attribute and expr.attr.value in _SAME_TENSOR:
            expr = expr.value
        else:
            break
    if type(expr) is cst.Attribute:
        return expr.attr.value
    if type(expr) is cst.Name:
        return expr.value
    return None


class _ScopedRule(Rule):
    def scope_key(self) -> int:
        return self.semantic.scopes.function_key()

    def owner_key(self) -> int:
        return self.semantic.scopes.class_key()


class UninitializedEmpty(_ScopedRule):
    """
    ## What it does
    Flags memory from `torch.empty`, `torch.empty_like`, `x.new_empty`, the legacy
    `torch.Tensor(rows, cols)` constructors, or `np.empty`, that is read before
    anything writes it:
    - bound to a new local name and used in arithmetic (`+`, `*`, `@`, `x.sum()`,
      `torch.exp(x)`, `x += 1`) in the same function before any fill, slice
      assignment, `out=` or call that could fill it (a name that already held a value
      is not followed: `if meta: x = torch.empty(...)` may not be the `x` that is used);
    - wrapped in a trainable `nn.Parameter(...)` (directly or through a local
      variable) when nothing in the file initializes that parameter: no
      `nn.init.*_(...)`, no in-place fill (`.normal_()`, `.uniform_()`, `.zero_()`,
      `.fill_()`, `.copy_()`, slice assignment) of an attribute of that name (also
      through `for p in [self.a, self.b]: p.normal_()`), and no `reset_parameters`-
      or `init_weights`-style method in the class that owns it. This check runs in
      files that train (they build an optimizer or call `backward()`) and do not load
      weights (`load_state_dict`, `from_pretrained`, `torch.load`); set the option
      `parameters_anywhere = true` to run it on model libraries too.

    Integer allocations (`dtype=torch.int8`, ...) and frozen parameters
    (`requires_grad=False`) are not flagged: they cannot hold NaN, or are storage
    that a checkpoint fills.

    ## Why is this bad?
    `empty` returns whatever bytes were in the allocated memory. They can be NaN,
    `inf` or 1e38, and they differ between runs and machines. A parameter that
    starts with them makes the first forward pass NaN (or rarely, just sometimes);
    arithmetic on them spreads the garbage silently.

    ## Example
    ```python
    total = torch.empty(num_classes)
    for logits in batches:
        total += logits.sum(0)
    ```

    Use instead:
    ```python
    total = torch.zeros(num_classes)
    for logits in batches:
        total += logits.sum(0)
    ```
    and, for a parameter, initialize it where it is made (or in `reset_parameters`):
    `self.weight = nn.Parameter(torch.empty(n_out, n_in))` followed by
    `nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))`.

    ## Known problems
    A buffer whose shape is tested in the condition that chooses the branch reading it
    (`res + y if res.size() else y`, `if buf.numel(): ...`) is taken to be a placeholder
    the code knows to skip, and is not followed further.
    Parameters initialized in another file (a base class's `_init_weights`) are not
    seen; a method whose name contains `init` or `reset` called on `self` is taken
    to initialize everything. Parameters without a name (items of an
    `nn.ParameterList`) are not checked. In model libraries most `torch.empty`
    parameters are placeholders that a checkpoint fills (quantized layers, modules
    initialized by a sibling file), which is why the parameter check is limited to
    training files by default: on the real-code corpus it was right about half the
    time there (see `docs/precision.md`).

    ## References
    - PyTorch docs: `torch.empty` ("uninitialized data"), `torch.nn.init`
    - PyTorch source: `nn.Linear.reset_parameters`
    """

    code = "NAN504"
    name = "uninitialized-empty"
    message = "Uninitialized memory from `empty` is used before it is filled; it can hold NaN or huge values"
    fix_title = "Initialize it first (`nn.init.kaiming_uniform_`, `.normal_()`, `.zero_()`), or use `torch.zeros`/`torch.randn`"
    triggers = ("empty", "Tensor(")
    default_options = {"parameters_anywhere": False}

    VALID = [
        Valid("import torch\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n"
              "        self.w = nn.Parameter(torch.empty(3, 4))\n        nn.init.xavier_uniform_(self.w)"),
        Valid("import torch\nout = torch.empty(3)\nfor i in range(3):\n    out[i] = i\ny = out * 2"),
        Valid("import torch\nout = torch.empty(3)\ntorch.add(a, b, out=out)\ny = out + 1"),
    ]
    INVALID = [
        Invalid("import torch\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        self.w = nn.Parameter(torch.empty(3, 4))\n"
                "opt = torch.optim.SGD(M().parameters(), lr=0.1)", line=5, col=31),
        Invalid("import torch\nacc = torch.empty(3)\nacc += x", line=3, col=1),
        Invalid("import numpy as np\nbuf = np.empty((2, 2))\ntotal = buf.sum()", line=3, col=9),
    ]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._pending: Dict[Tuple[int, str], cst.Call] = {}  # local name -> its allocation
        self._targets: Dict[int, cst.BaseExpression] = {}  # id of an assigned value -> the target
        self._parameters: List[Tuple[cst.Call, str, int]] = []  # (allocation, parameter name, owning class)
        self._initialized: Set[str] = set()
        self._initializing_classes: Set[int] = set()
        self._loops: List[Tuple[cst.For, str, Set[str]]] = []
        self._rebinding: Set[int] = set()  # name targets that overwrite an existing binding
        self._trains = False  # the file builds an optimizer or calls backward()
        self._loads = False  # the file loads weights (load_state_dict, from_pretrained, torch.load)

    # --- allocations -------------------------------------------------------------------

    def _allocation(self, expr: Optional[cst.BaseExpression]) -> Optional[cst.Call]:
        if type(expr) is not cst.Call:
            return None
        dtype_expr = argument_value(expr, ("dtype",))
        dtype = self.qualified_name(dtype_expr) if dtype_expr is not None else None
        if dtype is not None and _INTEGER_DTYPE.search(dtype.rsplit(".", 1)[-1]):
            return None  # integer memory cannot hold NaN
        qualified = self.qualified_name(expr)
        if qualified in names.UNINITIALIZED_CONSTRUCTORS:
            return expr
        if qualified in names.LEGACY_TENSOR_CONSTRUCTORS:
            sizes = [a.value for a in expr.args if a.keyword is None]
            if any(a.star or a.keyword is not None for a in expr.args) or not sizes:
                return None
            if any(isinstance(s, (cst.List, cst.Tuple, cst.ListComp, cst.SimpleString)) for s in sizes):
                return None
            if len(sizes) >= 2 or type(sizes[0]) is cst.Integer:
                return expr
            return None
        if (qualified is None and type(expr.func) is cst.Attribute
                and expr.func.attr.value in names.UNINITIALIZED_METHODS):
            return expr
        return None

    def _pending_allocation(self, expr: cst.BaseExpression) -> Optional[cst.Call]:
        direct = self._allocation(expr)
        if direct is not None:
            return direct
        if type(expr) is cst.Name:
            return self._pending.get((self.scope_key(), expr.value))
        return None

    def _consume(self, expr: cst.BaseExpression) -> None:
        if type(expr) is cst.Name:
            self._pending.pop((self.scope_key(), expr.value), None)

    def _use(self, expr: cst.BaseExpression, where: cst.CSTNode) -> None:
        """`expr` is read by arithmetic at `where`."""
        allocation = self._pending_allocation(expr)
        if allocation is None:
            return
        self._consume(expr)
        what = (self.qualified_name(allocation) or f".{allocation.func.attr.value}").replace("numpy.", "np.")  # type: ignore[union-attr]
        subject = f"`{source(expr)}` holds uninitialized memory from `{what}` and" if type(expr) is cst.Name \
            else f"Uninitialized memory from `{what}`"
        self.report(where, f"{subject} is used in arithmetic before anything fills it: it can contain NaN or huge values")

    # --- the walk --------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._allocation(node.value) is not None:
            # `x = torch.empty(...)` over an existing `x` (often in a branch: `if meta: x = torch.empty(...)`)
            # may not replace it on the path that reaches the use: only fresh names are followed.
            scope = self.semantic.scopes.current
            self._rebinding.update(id(t.target) for t in node.targets
                                   if type(t.target) is cst.Name and t.target.value in scope.bindings)
        for target in node.targets:
            self._targets[id(node.value)] = target.target
            writes = type(target.target) is cst.Subscript or (
                type(target.target) is cst.Attribute and target.target.attr.value in _SAME_TENSOR)
            name = _tensor_name(target.target) if writes else None
            if name is not None:
                self._initialized.add(name)  # `self.w.data = ...`, `w[...] = ...`
                if type(target.target) is cst.Subscript:
                    self._consume(target.target.value)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        allocation = self._allocation(original_node.value)
        for target in original_node.targets:
            if type(target.target) is cst.Name:
                key = (self.scope_key(), target.target.value)
                if allocation is not None and id(target.target) not in self._rebinding:
                    self._pending[key] = allocation
                else:
                    self._pending.pop(key, None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if type(node.target) is cst.Name:
            self._use(node.target, node)
        elif type(node.target) is cst.Subscript:
            self._consume(node.target.value)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        for side in (node.left, node.right):
            self._use(side, node)

    # `res = torch.empty([])`, then `res + y if res.size() else y` (or `if res.numel(): ...`):
    # the branch that reads the buffer is chosen by testing its shape, so the allocation is a
    # placeholder the code knows to skip. The test is visited before the branches that use it.
    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._skip_shape_tested(node.test)

    def visit_If(self, node: cst.If) -> None:
        self._skip_shape_tested(node.test)

    def _skip_shape_tested(self, test: cst.BaseExpression) -> None:
        if not self._pending:
            return  # only names that hold an allocation are consumed here: none to look for
        stack: List[cst.CSTNode] = [test]
        while stack:
            node = stack.pop()
            tested: Optional[cst.BaseExpression] = None
            if type(node) is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value in _SHAPE_METHODS:
                tested = node.func.value
            elif type(node) is cst.Attribute and node.attr.value in _SHAPE_ATTRIBUTES:
                tested = node.value
            elif type(node) is cst.Call and type(node.func) is cst.Name and node.func.value == "len" and node.args:
                tested = node.args[0].value
            if tested is not None and self._pending_allocation(tested) is not None:
                self._consume(tested)
            stack.extend(children(node))

    def visit_For(self, node: cst.For) -> None:
        if type(node.target) is cst.Name and isinstance(node.iter, (cst.List, cst.Tuple)):
            members = {_tensor_name(e.value) for e in node.iter.elements}
            self._loops.append((node, node.target.value, {m for m in members if m}))

    def leave_For(self, original_node: cst.For) -> None:
        if self._loops and self._loops[-1][0] is original_node:
            self._loops.pop()

    def _mark_initialized(self, target: cst.BaseExpression) -> None:
        name = _tensor_name(target)
        if name is None:
            return
        self._initialized.add(name)
        for _, variable, members in self._loops:
            if variable == name:
                self._initialized.update(members)  # `for p in [m.q, m.k]: p.data.normal_()`

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value in ("reset_parameters", "_reset_parameters") and self.owner_key():
            self._initializing_classes.add(self.owner_key())

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        qualified = self.qualified_name(node)
        # An nn.Parameter made from uninitialized memory: checked at the end of the file.
        if qualified in names.PARAMETER_CONSTRUCTORS:
            data = argument_value(node, ("data",), 0)
            allocation = self._pending_allocation(data) if data is not None else None
            frozen = argument_value(node, ("requires_grad",), 1)
            if allocation is not None and type(frozen) is cst.Name and frozen.value == "False":
                self._consume(data)  # type: ignore[arg-type]
                return  # frozen storage, filled by loading a checkpoint
            if allocation is not None:
                self._consume(data)  # type: ignore[arg-type]
                target = self._targets.get(id(node))
                name = _tensor_name(target) if target is not None else None
                if name is not None:
                    self._parameters.append((allocation, name, self.owner_key()))
            return
        if type(func) is cst.Attribute and qualified is None:
            method = func.attr.value
            receiver = func.value
            if method == "register_parameter":
                label = string_value(argument_value(node, ("name",), 0))
                value = argument_value(node, ("param",), 1)
                if label and type(value) is cst.Call:
                    self._targets[id(value)] = cst.Name(label)
                return
            if type(receiver) is cst.Name and receiver.value == "self" and (
                    _INIT_METHOD.search(method) or method == "apply"):
                if self.owner_key():
                    self._initializing_classes.add(self.owner_key())
            if method in names.INITIALIZING_METHODS:
                self._mark_initialized(receiver)
                self._consume(receiver)
                return
            if method in _LOADING_METHODS:
                self._loads = True
            if method == "backward":
                self._trains = True
            if method in _READING_METHODS or self.operation(node) is not None:
                self._use(receiver, node)
                return
        elif self.operation(node) is not None:
            operand = self.semantic.operand(node)
            if operand is not None:
                self._use(operand, node)
        # Anything else handed a pending allocation may fill it (`torch.add(a, b, out=x)`, `fill(x)`).
        leaf = (qualified or "").rsplit(".", 1)[-1] or (func.attr.value if type(func) is cst.Attribute else "")
        initializer = leaf.endswith("_") or "init" in leaf.lower()
        if qualified in names.OPTIMIZERS:
            self._trains = True
        if qualified in ("torch.load", "safetensors.torch.load_file"):
            self._loads = True
        for arg in node.args:
            if initializer and arg is node.args[0]:
                self._mark_initialized(arg.value)
            self._consume(arg.value)

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self.options["parameters_anywhere"] and (not self._trains or self._loads):
            return  # a module library: its parameters are usually loaded from a checkpoint
        for allocation, name, owner in self._parameters:
            if name in self._initialized or owner in self._initializing_classes:
                continue
            what = (self.qualified_name(allocation) or f".{allocation.func.attr.value}").replace("numpy.", "np.")  # type: ignore[union-attr]
            self.report(
                allocation,
                f"Parameter `{name}` is made from uninitialized `{what}` memory and nothing in this file "
                "initializes it (no `nn.init`, fill or `reset_parameters`): it can start with NaN or huge values",
            )


# --- NAN505 ------------------------------------------------------------------------------

_WEIGHT_NAME = re.compile(r"^(weight|weights|kernel|w|W)(_|\d|$)|_(weight|weights|kernel|w|W)$")
_NOT_A_WEIGHT = re.compile(r"bias|emb|token|pos|codebook|prompt|latent|query|queries|cls|mask|scale|gamma|beta|norm",
                           re.IGNORECASE)
_EMBEDDING_CLASSES = ("Embedding", "EmbeddingBag")
# Keywords that pass a weight initializer: `kernel_initializer`, `kernel_init`, `w_init`, `weight_init`.
_KERNEL_KEYWORD = re.compile(r"kernel|weight|^w_init|recurrent_initializer|depthwise_initializer|pointwise_initializer")


class LargeInitScale(_ScopedRule):
    """
    ## What it does
    Flags a weight initialized with a scale at or above a threshold (default 1.0):
    `nn.init.normal_(w, std=...)` / `trunc_normal_` / `uniform_(w, a, b)`, the tensor
    methods `w.normal_(mean, std)` / `w.uniform_(low, high)`, Keras
    `RandomNormal(stddev=...)` / `TruncatedNormal` / `RandomUniform`, TF1
    `tf.Variable(tf.random_normal([m, n], stddev=...))` and JAX/Flax
    `initializers.normal(stddev)`. Only a scale written in the call is judged: the
    defaults (`w.normal_()` is std 1) are left alone.

    Only weights are checked: a tensor named `weight`, `kernel`, `W`, `w_q`, ...
    that is not a bias, an embedding (`nn.Embedding` attributes, code under
    `isinstance(module, nn.Embedding)`), a token, position, codebook or latent
    table, whose standard-normal initialization is the norm; for TF variables, a
    shape with two or more dimensions. Keras/JAX initializer objects are judged
    where they are passed as a weight initializer (`kernel_initializer=`,
    `kernel_init=`, `w_init=`, directly or through a name), not as
    `bias_initializer` or `embeddings_initializer`.

    ## Why is this bad?
    A layer multiplies its input by the weights and sums over `fan_in` inputs, so
    with standard deviation `s` each layer scales activations by about
    `s * sqrt(fan_in)`: 22x per layer for `s = 1` and 512 inputs. A few layers
    later activations overflow to `inf` (quickly in float16), softmax and `exp`
    give NaN, and the first gradients are huge. Fan-in-scaled initializers (Glorot,
    He) keep the scale near 1 per layer.

    ## Example
    ```python
    nn.init.normal_(self.fc.weight, mean=0.0, std=1.0)
    ```

    Use instead:
    ```python
    nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")
    ```

    ## Known problems
    Which tensor is a weight is read from its name; a weight named like a bias or
    an embedding is not flagged, and a large scale that a later line divides by
    `sqrt(fan_in)` is still reported.

    ## References
    - Glorot and Bengio, "Understanding the difficulty of training deep feedforward neural networks" (2010)
    - He et al., "Delving Deep into Rectifiers" (2015)
    - PyTorch docs: `torch.nn.init`
    """

    code = "NAN505"
    name = "large-init-scale"
    message = "Weight initialized with a very large scale; activations grow each layer and overflow to inf/NaN"
    fix_title = "Use a fan-in-scaled initializer (`kaiming_normal_`, `xavier_uniform_`, `GlorotUniform`) or a small std such as 0.02"
    triggers = ("normal", "uniform", "Normal", "Uniform")
    default_options = {"threshold": 1.0}

    VALID = [
        Valid("import torch.nn as nn\nnn.init.normal_(self.fc.weight, std=0.02)"),
        Valid("import torch.nn as nn\nnn.init.normal_(self.tok_emb.weight, std=1.0)"),
        Valid("import torch.nn as nn\nnn.init.normal_(self.fc.bias, std=1.0)"),
        Valid("import torch.nn as nn\nnn.init.normal_(self.fc.weight, std=1.0)", options={"threshold": 2.0}),
    ]
    INVALID = [
        Invalid("import torch.nn as nn\nnn.init.normal_(self.fc.weight, mean=0.0, std=1.0)", line=2, col=1),
        Invalid("import torch.nn as nn\nself.fc.weight.data.uniform_(-2, 2)", line=2, col=1),
        Invalid("import tensorflow as tf\nW = tf.Variable(tf.random_normal([784, 10], stddev=1.0))", line=2, col=5),
        Invalid("from tensorflow import keras\nlayer = keras.layers.Dense(64, kernel_initializer=keras.initializers.RandomNormal(stddev=1.0))",
                line=2, col=51),
    ]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._embedding_attributes: Set[str] = set()
        self._embedding_blocks: Set[int] = set()
        self._in_embedding_block = 0
        self._judged: Set[int] = set()  # Keras/JAX initializers already judged
        self._targets: Dict[int, cst.BaseExpression] = {}

    # --- context ---------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._targets[id(node.value)] = target.target
            if type(node.value) is cst.Call and type(target.target) is cst.Attribute:
                leaf = (self.qualified_name(node.value) or "").rsplit(".", 1)[-1]
                if leaf in _EMBEDDING_CLASSES:
                    self._embedding_attributes.add(target.target.attr.value)

    def visit_If(self, node: cst.If) -> None:
        for part in self._isinstance_classes(node.test):
            if part.rsplit(".", 1)[-1] in _EMBEDDING_CLASSES:
                self._embedding_blocks.add(id(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self._embedding_blocks:
            self._in_embedding_block += 1

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        if id(original_node) in self._embedding_blocks:
            self._in_embedding_block -= 1

    def _isinstance_classes(self, test: cst.BaseExpression) -> List[str]:
        found: List[str] = []
        stack: List[cst.CSTNode] = [test]
        while stack:
            node = stack.pop()
            if type(node) is cst.Call and type(node.func) is cst.Name and node.func.value == "isinstance":
                classes = argument_value(node, (), 1)
                items = [e.value for e in classes.elements] if isinstance(classes, (cst.Tuple, cst.List)) else [classes]
                for item in items:
                    if item is not None:
                        found.append(self.qualified_name(item) or dotted_name(item) or "")
            else:
                stack.extend(children(node))  # `node.children` without libcst rebuilding the node
        return found

    # --- the check -------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            keyword = arg.keyword.value if arg.keyword is not None else ""
            if _KERNEL_KEYWORD.search(keyword) and not _NOT_A_WEIGHT.search(keyword):
                self._kernel_initializer(arg.value)
        qualified = self.qualified_name(node)
        spec = names.INITIALIZER_SCALES.get(qualified or "")
        target: Optional[cst.BaseExpression] = None
        if spec is not None and qualified.startswith("torch."):  # type: ignore[union-attr]
            target = argument_value(node, ("tensor",), 0)
            if target is None or not self._is_weight(target):
                return
        elif spec is not None:
            return  # a Keras/JAX initializer is judged where it is passed as a kernel initializer
        elif qualified is None and type(node.func) is cst.Attribute and node.func.attr.value in names.INITIALIZER_SCALE_METHODS:
            spec = names.INITIALIZER_SCALE_METHODS[node.func.attr.value]
            target = node.func.value
            if not self._is_weight(target):
                return
        elif qualified in names.TF_VARIABLES:
            initial = argument_value(node, ("initial_value",), 0)
            if type(initial) is not cst.Call:
                return
            spec = names.TF_RANDOM_INITIAL_VALUES.get(self.qualified_name(initial) or "")
            if spec is None or not self._tf_weight(node, initial):
                return
            self._judge(initial, spec, report_at=node)
            return
        else:
            return
        self._judge(node, spec, report_at=node)

    def _kernel_initializer(self, value: cst.BaseExpression) -> None:
        """`Dense(..., kernel_initializer=RandomNormal(stddev=1.0))`, directly or through a name."""
        if type(value) is cst.Name:
            binding = self.semantic.scopes.lookup(value.value)
            if isinstance(binding, ValueBinding) and isinstance(binding.node, cst.BaseExpression):
                value = binding.node
        if type(value) is not cst.Call or id(value) in self._judged:
            return
        spec = names.INITIALIZER_SCALES.get(self.qualified_name(value) or "")
        if spec is not None and not (self.qualified_name(value) or "").startswith("torch."):
            self._judged.add(id(value))
            self._judge(value, spec, report_at=value)

    def _judge(self, call: cst.Call, spec, report_at: cst.CSTNode) -> None:  # type: ignore[no-untyped-def]
        kind, keywords, positions, defaults = spec
        values = []
        for keyword, position, default in zip(keywords, positions, defaults):
            expr = argument_value(call, (keyword,), position)
            if expr is None:
                values.append((default, True))
                continue
            value = self.semantic.constant(expr)
            if value is None:
                return
            values.append((value, False))
        if all(is_default for _, is_default in values):
            return  # only literal scales are judged: `normal_()`'s default std of 1 is left alone
        scale = max(abs(value) for value, _ in values)
        threshold = self.options["threshold"]
        if not scale >= threshold:
            return  # also a NaN scale: it is not "very large", and the message would not fit
        what = "std" if kind == "std" else "range"
        shown = shortest(float(scale))
        if kind == "range":
            shown = "[" + ", ".join(shortest(float(v)) for v, _ in values) + "]" if len(values) == 2 else f"+-{shown}"
        self.report(
            report_at,
            f"Weight initialized with {what} {shown} (threshold {shortest(float(threshold))}): each layer multiplies "
            "activations by about that scale times sqrt(fan_in), so they overflow to inf/NaN",
        )

    def _is_weight(self, target: cst.BaseExpression) -> bool:
        if self._in_embedding_block:
            return False
        parts: List[str] = []
        expr = target
        while True:
            if type(expr) is cst.Subscript:
                expr = expr.value
            elif type(expr) is cst.Attribute:
                parts.append(expr.attr.value)
                expr = expr.value
            elif type(expr) is cst.Name:
                parts.append(expr.value)
                break
            else:
                return False
        parts = [p for p in reversed(parts) if p not in _SAME_TENSOR]
        if not parts:
            return False
        leaf = parts[-1]
        if not _WEIGHT_NAME.search(leaf) or _NOT_A_WEIGHT.search(leaf):
            return False
        owner = parts[-2] if len(parts) >= 2 else ""
        if owner in self._embedding_attributes or _NOT_A_WEIGHT.search(owner):
            return False
        return True

    def _tf_weight(self, variable: cst.Call, initial: cst.Call) -> bool:
        shape = argument_value(initial, ("shape",), 0)
        if isinstance(shape, (cst.List, cst.Tuple)):
            return len(shape.elements) >= 2
        target = self._targets.get(id(variable))
        name = string_value(argument_value(variable, ("name",)))
        label = name or (_tensor_name(target) if target is not None else None)
        return bool(label and _WEIGHT_NAME.search(label) and not _NOT_A_WEIGHT.search(label))
