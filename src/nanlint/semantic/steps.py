"""The training step as an ordered list of events.

A *step block* is the body of a module, a function or a loop. Its events are the
training-step calls it makes, in source order: `zero_grad` (and `p.grad = None`),
`backward()`, clipping, `scaler.unscale_`, `optimizer.step()`, `scaler.step`,
`scaler.update()`, scheduler steps, and on the TensorFlow side `GradientTape`,
`tape.gradient`, `tf.clip_by_*`, `apply_gradients` and `minimize`.

How a block is read:

* `if`/`elif`/`else`, `try`/`except` and `match` arms are followed; each event
  records the arms it sits in (`branches`), so rules can tell a guarded event
  (gradient accumulation: `if (i + 1) % accum == 0: optimizer.step()`) from an
  unconditional one, and two events in different arms of one `if` apart. An arm
  that ends in `continue`/`break`/`return`/`raise` cannot reach what follows it.
* A nested loop that calls `backward()` is a training loop of its own: its events
  are listed with `nested=True` (they belong to a different step). A nested loop
  without `backward()` (`for p in params: p.grad = None`, `for opt in optimizers:
  opt.step()`) is part of this step and its events are listed as this block's.
* A call to a helper defined in the file (`train_step(batch)`, `self._backward()`)
  is replaced by the helper's events, marked with the call they came from (`via`).
* Nested function and class definitions are not part of the block.

What an object is comes from the file when it shows it: `opt = torch.optim.Adam(...)`
makes `opt.step()` an optimizer step, `scaler = GradScaler()` makes `scaler.step(opt)`
a scaler step, also for `self.x = ...` assignments in the enclosing class. Otherwise
the receiver's name decides (`optimizer`, `opt_g`, `lr_scheduler`, `scaler`, `tape`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Dict, Iterator, List, MutableMapping, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from nanlint import names
from nanlint.semantic.calls import argument_value, dotted_name, keyword_names, positional_count
from nanlint.semantic.scope import DefinitionBinding, ValueBinding
from nanlint.walker import children, visit

# Node tests compare exact classes (`type(x) is cst.If`), as in the semantic model (see there).

# --- event kinds -----------------------------------------------------------------------
ZERO_GRAD = "zero_grad"
BACKWARD = "backward"
CLIP = "clip"
UNSCALE = "unscale"
STEP = "step"
SCALER_STEP = "scaler_step"
SCALER_UPDATE = "scaler_update"
SCHEDULER_STEP = "scheduler_step"
FORWARD = "forward"
# TensorFlow
TAPE = "tape"
GRADIENTS = "gradients"
TF_CLIP = "tf_clip"
APPLY_GRADIENTS = "apply_gradients"
MINIMIZE = "minimize"

OPTIMIZER_STEPS = (STEP, SCALER_STEP)

# --- object roles (tags the semantic model puts on values built by known constructors) ---
OPTIMIZER = "optimizer"
GRAD_SCALER = "grad-scaler"
LR_SCHEDULER = "lr-scheduler"
GRADIENT_TAPE = "gradient-tape"
OTHER = "other"
ROLES = (OPTIMIZER, GRAD_SCALER, LR_SCHEDULER, GRADIENT_TAPE)

StepBlock = Union[cst.Module, cst.FunctionDef, cst.For, cst.While]
# (id of the if/try/match node, arm index, the arm ends in continue/break/return/raise)
Branch = Tuple[int, int, bool]

_ZERO_GRAD_METHODS = frozenset({"zero_grad", "clear_grad", "clear_gradients", "cleargrads", "zero_grads", "zero_gradients"})
_ZERO_GRAD_WORDS = ("zero_grad", "clear_grad", "reset_grad")  # `self._zero_grads()`, `trainer.reset_grads()`
_MANAGING_RECEIVERS = ("accelerator", "fabric")  # their clip helpers unscale AMP gradients themselves
_MAX_HELPER_DEPTH = 3
_EMPTY_MODULE = cst.Module(body=[])


@dataclass(frozen=True)
class Event:
    kind: str
    node: cst.CSTNode  # the call (or the `p.grad = None` assignment) to report
    statement_index: int  # index of the top-level statement of the block that holds it
    branches: Tuple[Branch, ...] = ()
    nested: bool = False  # inside a nested training loop: part of another step
    receiver: str = ""  # text of the object a method is called on: "optimizer", "self.scaler"
    target: str = ""  # first argument of `scaler.step(opt)` / `scaler.unscale_(opt)`
    operation: str = ""  # TensorFlow clipping function: "clip_by_global_norm", ...
    scaled: bool = False  # `scaler.scale(loss).backward()`
    managed: bool = False  # accelerate/fabric/Lightning helper that handles AMP itself
    manual: bool = False  # hand-written: `p.grad = None`, `p.grad.data.clamp_(...)`
    norm_only: bool = False  # clipping with an infinite threshold: only measures the norm
    known: bool = False  # the receiver's role comes from the file (`GradScaler()`), not from its name
    via: Optional[cst.Call] = None  # the call of this block whose helper holds the event
    statement: Optional[cst.CSTNode] = None  # the small statement holding the call

    @property
    def conditional(self) -> bool:
        return bool(self.branches)

    @property
    def site(self) -> cst.CSTNode:
        """Where to report: the call in this block (a helper call for an inlined event)."""
        return self.via if self.via is not None else self.node

    @property
    def optimizer(self) -> str:
        """The optimizer a step applies: the receiver of `opt.step()`, the argument of `scaler.step(opt)`."""
        return self.target if self.kind in (SCALER_STEP, UNSCALE) else self.receiver


def compatible(earlier: Event, later: Event) -> bool:
    """Whether both events can happen in one pass through the block (`earlier` first in source)."""
    arms = {node: arm for node, arm, _ in earlier.branches}
    later_arms = {(node, arm) for node, arm, _ in later.branches}
    for node, arm, _ in later.branches:
        if node in arms and arms[node] != arm:
            return False
    for node, arm, exits in earlier.branches:
        if exits and (node, arm) not in later_arms:
            return False
    return True


def iter_kinds(sequence: Sequence[Event], *kinds: str) -> Iterator[Event]:
    return (event for event in sequence if event.kind in kinds)


def block_statements(block: StepBlock) -> Sequence[cst.BaseStatement]:
    body = block.body
    if type(body) is cst.IndentedBlock:
        return body.body
    if isinstance(body, (list, tuple)):
        return body  # a Module
    return [body]  # type: ignore[list-item]


def events(block: StepBlock, model, cache: Optional[MutableMapping[int, List[Event]]] = None) -> List[Event]:
    """The events of a step block in source order.

    `model` is the file's SemanticModel: names resolve as they are bound at the point
    of the walk where this is asked (ask when the walk enters the block; for a module,
    when it leaves it). `cache` keeps the answer per block. Nested loops and helpers
    are read afresh for each block asked about, with what the block bound before them."""
    if cache is None:
        cache = {}
    found = cache.get(id(block))
    if found is not None:
        return found
    state = cache.get(_FILE_STATE)
    if not isinstance(state, _FileState):
        state = cache[_FILE_STATE] = _FileState()  # type: ignore[assignment]
    found = _events(block, model, _Shared(state), {}, {})
    cache[id(block)] = found
    return found


def _events(block: StepBlock, model, shared: "_Shared", roles: Dict[str, str],
            definitions: Dict[str, cst.FunctionDef]) -> List[Event]:
    found = shared.cache.get(id(block))
    if found is not None:
        return found
    shared.active.add(id(block))
    try:
        found = _Walker(block, model, shared, roles, definitions).run()
    finally:
        shared.active.discard(id(block))
    shared.cache[id(block)] = found
    return found


def small_statements(block: StepBlock) -> Iterator[cst.BaseSmallStatement]:
    """Every simple statement of a block in source order, through if/with/try/loops,
    not into nested function or class definitions."""
    for statement in block_statements(block):
        yield from _small_statements_of(statement)


def _small_statements_of(node: cst.CSTNode) -> Iterator[cst.BaseSmallStatement]:
    if type(node) in (cst.FunctionDef, cst.ClassDef):
        return
    if type(node) in (cst.SimpleStatementLine, cst.SimpleStatementSuite):
        yield from node.body
        return
    if isinstance(node, cst.BaseSmallStatement):
        yield node
        return
    for child in children(node):
        if isinstance(child, (cst.BaseStatement, cst.BaseSuite, cst.BaseSmallStatement, cst.Else, cst.ExceptHandler,
                              cst.ExceptStarHandler, cst.Finally, cst.MatchCase)):
            yield from _small_statements_of(child)


def text_of(expr: cst.CSTNode) -> str:
    """`self.optimizer` -> "self.optimizer"; other expressions as their source without spaces."""
    if isinstance(expr, cst.BaseExpression):
        dotted = dotted_name(expr)
        if dotted is not None:
            return dotted
    return "".join(_EMPTY_MODULE.code_for_node(expr).split())


def _last_name(text: str) -> str:
    text = re.sub(r"\(.*\)$|\[.*\]$", "", text)
    return text.rsplit(".", 1)[-1].lower()


def optimizer_like(text: str) -> bool:
    """`optimizer`, `self.opt`, `opt_g`, `d_optim`, `optimizerD`, `optimizers[0]`."""
    return any(token.startswith("opt") and not token.startswith("option") for token in re.findall(r"[a-z]+", _last_name(text)))


def scheduler_like(text: str) -> bool:
    last = _last_name(text)
    return "sched" in last or last.startswith("lr_") or "warmup" in last


def scaler_like(text: str) -> bool:
    return "scaler" in _last_name(text)


def tape_like(text: str) -> bool:
    return "tape" in _last_name(text)


def grad_attribute(expr: cst.BaseExpression) -> bool:
    """`p.grad`, `p.grad.data`: an expression that is a parameter's gradient."""
    while type(expr) is cst.Attribute:
        if expr.attr.value == "grad":
            return True
        expr = expr.value
    return False


# Key of the per-file state in the model's cache (no object has id -1).
_FILE_STATE = -1


class _FileState:
    """What one file's requests share: roles of `self.x` per class, events of helpers."""

    def __init__(self) -> None:
        self.class_roles: Dict[int, Dict[str, str]] = {}
        self.methods: Dict[int, Dict[str, cst.FunctionDef]] = {}
        self.helpers: Dict[int, List[Event]] = {}
        self.calls: Dict[int, List[cst.Call]] = {}  # calls of each expression/statement read


class _Shared:
    """State of one request: blocks already read, helpers being expanded."""

    def __init__(self, state: _FileState) -> None:
        self.cache: Dict[int, List[Event]] = {}
        self.active: Set[int] = set()
        self.class_roles = state.class_roles
        self.methods = state.methods
        self.helpers = state.helpers
        self.calls = state.calls


class _Calls(cst.CSTVisitor):
    """Calls of an expression or simple statement, innermost first; not into lambdas."""

    def __init__(self) -> None:
        super().__init__()
        self.found: List[cst.Call] = []

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def leave_Call(self, original_node: cst.Call) -> None:
        self.found.append(original_node)


# Every method name `_Walker._classify` can make an event of (it reads the receiver, which
# costs, only for these): keep in step with its branches.
_EVENT_METHODS = frozenset({"backward", "manual_backward", "clip_grads_with_norm_", "clamp_", "clip_", "zero_", "fill_",
                            "unscale_", "step", "update", "gradient", "compute_gradients", "apply_gradients",
                            "minimize", *_ZERO_GRAD_METHODS, *names.GRADIENT_CLIPPING_METHODS})


def _may_be_event(method: str) -> bool:
    return method in _EVENT_METHODS or any(word in method.lower() for word in _ZERO_GRAD_WORDS)


def _exits(suite: cst.BaseSuite) -> bool:
    statements = suite.body if type(suite) is cst.IndentedBlock else [suite]
    for statement in statements:
        smalls = statement.body if type(statement) in (cst.SimpleStatementLine, cst.SimpleStatementSuite) else ()
        if any(type(small) in (cst.Continue, cst.Break, cst.Return, cst.Raise) for small in smalls):
            return True
    return False


def _quiet(branches: Tuple[Branch, ...]) -> Tuple[Branch, ...]:
    """Branches seen from outside a nested loop or helper: its jumps do not leave this block."""
    return tuple((node, arm, False) for node, arm, _ in branches)


class _Walker:
    def __init__(self, block: StepBlock, model, shared: _Shared, roles: Dict[str, str],
                 definitions: Dict[str, cst.FunctionDef]) -> None:
        self.block = block
        self.model = model
        self.shared = shared
        self.out: List[Event] = []
        # What this block (and the blocks around it, before it) showed: `opt = Adam(...)`, `def step(): ...`
        self.local_roles: Dict[str, str] = dict(roles)
        self.local_defs: Dict[str, cst.FunctionDef] = dict(definitions)
        self.index = 0
        self.branches: Tuple[Branch, ...] = ()
        self.statement: Optional[cst.CSTNode] = None

    def run(self) -> List[Event]:
        for index, statement in enumerate(block_statements(self.block)):
            self.index = index
            self._statement(statement)
        return self.out

    # --- statements ------------------------------------------------------------------

    def _statement(self, node: cst.CSTNode) -> None:
        if type(node) in (cst.SimpleStatementLine, cst.SimpleStatementSuite):
            for small in node.body:
                self._small(small)
        elif type(node) is cst.If:
            self._if(node)
        elif type(node) in (cst.For, cst.While):
            self._loop(node)
        elif type(node) is cst.With:
            for item in node.items:
                self._expression(item.item, node)
                if item.asname is not None and type(item.asname.name) is cst.Name and type(item.item) is cst.Call:
                    qualified = self.model.qualified_name(item.item.func)
                    if qualified in names.GRADIENT_TAPES:
                        self.local_roles[item.asname.name.value] = GRADIENT_TAPE
            self._suite(node.body)
        elif type(node) in (cst.Try, cst.TryStar):
            self._arm(node, 0, node.body)
            if node.orelse is not None:
                self._arm(node, 0, node.orelse.body)
            for number, handler in enumerate(node.handlers, start=1):
                self._arm(node, number, handler.body)
            if node.finalbody is not None:
                self._suite(node.finalbody.body)
        elif type(node) is cst.Match:
            self._expression(node.subject, node)
            for number, case in enumerate(node.cases):
                self._arm(node, number, case.body)
        elif type(node) is cst.FunctionDef:
            self.local_defs[node.name.value] = node  # a block of its own, and a helper from here on

    def _suite(self, suite: cst.BaseSuite) -> None:
        if type(suite) is cst.IndentedBlock:
            for statement in suite.body:
                self._statement(statement)
        else:
            self._statement(suite)

    def _arm(self, node: cst.CSTNode, arm: int, suite: cst.BaseSuite) -> None:
        saved = self.branches
        self.branches = saved + ((id(node), arm, _exits(suite)),)
        try:
            self._suite(suite)
        finally:
            self.branches = saved

    def _if(self, node: cst.If) -> None:
        self._expression(node.test, node)
        self._arm(node, 0, node.body)
        orelse = node.orelse
        if type(orelse) is cst.Else:
            self._arm(node, 1, orelse.body)
        elif type(orelse) is cst.If:
            saved = self.branches
            self.branches = saved + ((id(node), 1, False),)
            try:
                self._if(orelse)
            finally:
                self.branches = saved

    def _loop(self, node: Union[cst.For, cst.While]) -> None:
        self._expression(node.iter if type(node) is cst.For else node.test, node)
        inner = _events(node, self.model, self.shared, self.local_roles, self.local_defs)
        training = any(event.kind == BACKWARD and not event.nested for event in inner)
        for event in inner:
            self.out.append(replace(event, statement_index=self.index, branches=self.branches + _quiet(event.branches),
                                    nested=event.nested or training))

    def _small(self, node: cst.BaseSmallStatement) -> None:
        self.statement = node
        if type(node) is cst.Assign:
            self._expression(node.value, node)
            for target in node.targets:
                if type(target.target) is cst.Attribute and target.target.attr.value == "grad":
                    self._emit(ZERO_GRAD, node, manual=True)  # `p.grad = None`
            if len(node.targets) == 1 and type(node.targets[0].target) is cst.Name and type(node.value) is cst.Call:
                role = self._constructed_role(node.value)
                name = node.targets[0].target.value
                if role is not None:
                    self.local_roles[name] = role
                else:
                    self.local_roles.pop(name, None)
            return
        self._expression(node, node)

    def _expression(self, node: cst.CSTNode, statement: cst.CSTNode) -> None:
        found = self.shared.calls.get(id(node))
        if found is None:
            collector = _Calls()
            visit(node, collector)
            found = self.shared.calls[id(node)] = collector.found
        if not found:
            return
        self.statement = statement
        for call in found:
            if not self._classify(call):
                helper = self._helper(call)
                if helper is not None:
                    self._inline(call, helper)

    # --- calls -----------------------------------------------------------------------

    def _emit(self, kind: str, node: cst.CSTNode, **details) -> bool:
        self.out.append(Event(kind, node, self.index, self.branches, statement=self.statement, **details))
        return True

    def _classify(self, call: cst.Call) -> bool:
        """Emit the event this call is, if it is one."""
        func = call.func
        qualified = self.model.qualified_name(func)
        if qualified is not None and not qualified.startswith("<local>."):
            if qualified in names.GRADIENT_CLIPPING or qualified in names.GRADIENT_CLIPPING_EXTRA:
                return self._emit(CLIP, call, norm_only=self._norm_only(call))
            if qualified == "torch.autograd.backward":
                return self._emit(BACKWARD, call)
            if qualified in names.TF_GRADIENT_CLIPPING:
                return self._emit(TF_CLIP, call, operation=names.TF_GRADIENT_CLIPPING[qualified])
            if qualified in names.TF_GRADIENT_FUNCTIONS:
                return self._emit(GRADIENTS, call)
            if qualified in names.GRADIENT_TAPES:
                return self._emit(TAPE, call)
            return False  # a function of an imported module: not a method of a training object
        if type(func) is cst.Name:
            binding = self.model.scopes.lookup(func.value)
            if isinstance(binding, ValueBinding) and "model" in getattr(binding.value, "tags", ()):
                return self._emit(FORWARD, call, receiver=func.value)
            return False
        if type(func) is not cst.Attribute or not _may_be_event(func.attr.value):
            return False
        receiver_expr = func.value
        if type(receiver_expr) is cst.Call and type(receiver_expr.func) is cst.Name and receiver_expr.func.value == "super":
            return False  # `super().backward(...)` inside an autograd Function
        if type(receiver_expr) is cst.Name and isinstance(self.model.scopes.lookup(receiver_expr.value), DefinitionBinding):
            return False  # `MyFunction.backward(ctx, grad)`: a class, not a tensor
        method = func.attr.value
        receiver = text_of(receiver_expr)
        role = self._role(receiver_expr)
        if method in ("backward", "manual_backward"):
            return self._emit(BACKWARD, call, receiver=receiver, scaled=self._is_scaled(receiver_expr),
                              managed=any(word in receiver.lower() for word in _MANAGING_RECEIVERS))
        if method in names.GRADIENT_CLIPPING_METHODS or method == "clip_grads_with_norm_":
            managed = method == "clip_gradients" or any(word in receiver.lower() for word in _MANAGING_RECEIVERS)
            return self._emit(CLIP, call, receiver=receiver, managed=managed, norm_only=self._norm_only(call))
        if method in ("clamp_", "clip_") and grad_attribute(receiver_expr):
            return self._emit(CLIP, call, receiver=receiver, manual=True)
        if method in _ZERO_GRAD_METHODS or any(word in method.lower() for word in _ZERO_GRAD_WORDS):
            return self._emit(ZERO_GRAD, call, receiver=receiver)
        if method in ("zero_", "fill_") and grad_attribute(receiver_expr):
            return self._emit(ZERO_GRAD, call, receiver=receiver, manual=True)
        if method == "unscale_":
            return self._emit(UNSCALE, call, receiver=receiver, target=self._first_argument(call))
        if method == "step":
            return self._step(call, receiver, role)
        if method == "update" and positional_count(call) <= 1 and (role == GRAD_SCALER or (role is None and scaler_like(receiver))):
            return self._emit(SCALER_UPDATE, call, receiver=receiver)
        if method == "gradient" and (role == GRADIENT_TAPE or (role is None and tape_like(receiver))):
            return self._emit(GRADIENTS, call, receiver=receiver)
        if method == "compute_gradients":
            return self._emit(GRADIENTS, call, receiver=receiver)
        if method == "apply_gradients":
            return self._emit(APPLY_GRADIENTS, call, receiver=receiver)
        if method == "minimize" and (role == OPTIMIZER or (role is None and optimizer_like(receiver))):
            return self._emit(MINIMIZE, call, receiver=receiver)
        return False

    def _step(self, call: cst.Call, receiver: str, role: Optional[str]) -> bool:
        positional = positional_count(call)
        if role == GRAD_SCALER or (role is None and scaler_like(receiver)):
            return positional >= 1 and self._emit(SCALER_STEP, call, receiver=receiver, target=self._first_argument(call),
                                                  known=role == GRAD_SCALER)
        if role == LR_SCHEDULER or (role is None and scheduler_like(receiver)):
            # `noise_scheduler.step(model_output, t, sample)` is a diffusion sampler, not a learning-rate step
            return positional <= 1 and self._emit(SCHEDULER_STEP, call, receiver=receiver, known=role == LR_SCHEDULER)
        if role == OPTIMIZER or (role is None and optimizer_like(receiver)):
            if positional == 0 and "closure" not in set(keyword_names(call)):
                return self._emit(STEP, call, receiver=receiver, known=role == OPTIMIZER)
        return False

    @staticmethod
    def _first_argument(call: cst.Call) -> str:
        first = argument_value(call, ("optimizer",), 0)
        return text_of(first) if first is not None else ""

    def _is_scaled(self, receiver: cst.BaseExpression) -> bool:
        """`scaler.scale(loss)`."""
        if not (type(receiver) is cst.Call and type(receiver.func) is cst.Attribute and receiver.func.attr.value == "scale"):
            return False
        owner = receiver.func.value
        role = self._role(owner)
        return role == GRAD_SCALER or (role is None and scaler_like(text_of(owner)))

    def _norm_only(self, call: cst.Call) -> bool:
        for arg in call.args:
            value = self.model.constant(arg.value)
            if value is not None and math.isinf(value):
                return True
        return False

    # --- what an object is -----------------------------------------------------------

    def _constructed_role(self, call: cst.Call) -> Optional[str]:
        qualified = self.model.qualified_name(call.func)
        return names.object_role(qualified) if qualified else None

    def _role(self, expr: cst.BaseExpression) -> Optional[str]:
        if type(expr) is cst.Name:
            local = self.local_roles.get(expr.value)
            if local is not None:
                return local
            binding = self.model.scopes.lookup(expr.value)
            if isinstance(binding, ValueBinding):
                tags = getattr(binding.value, "tags", frozenset())
                for role in ROLES:
                    if role in tags:
                        return role
                if "model" in tags:
                    return OTHER
            return None
        if type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self":
            owner = self._enclosing_class()
            if owner is not None:
                return self._class_roles(owner).get(expr.attr.value)
        return None

    def _enclosing_class(self) -> Optional[cst.ClassDef]:
        for scope in reversed(self.model.scopes.scopes):
            if scope.kind == "class" and type(scope.node) is cst.ClassDef:
                return scope.node
        return None

    def _class_roles(self, owner: cst.ClassDef) -> Dict[str, str]:
        """`self.x = torch.optim.Adam(...)` anywhere in the class's methods."""
        found = self.shared.class_roles.get(id(owner))
        if found is not None:
            return found
        found = {}
        for method in self._methods(owner).values():
            for small in small_statements(method):
                if not (type(small) is cst.Assign and type(small.value) is cst.Call):
                    continue
                role = self._constructed_role(small.value)
                if role is None:
                    continue
                for target in small.targets:
                    node = target.target
                    if type(node) is cst.Attribute and type(node.value) is cst.Name and node.value.value == "self":
                        found[node.attr.value] = role
        self.shared.class_roles[id(owner)] = found
        return found

    # --- helpers defined in the file ---------------------------------------------------

    def _helper(self, call: cst.Call) -> Optional[cst.FunctionDef]:
        func = call.func
        if type(func) is cst.Name:
            if func.value in self.local_defs:
                return self.local_defs[func.value]
            binding = self.model.scopes.lookup(func.value)
            if isinstance(binding, DefinitionBinding) and type(binding.node) is cst.FunctionDef:
                return binding.node
        elif type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == "self":
            owner = self._enclosing_class()
            if owner is not None:
                return self._methods(owner).get(func.attr.value)
        return None

    def _methods(self, owner: cst.ClassDef) -> Dict[str, cst.FunctionDef]:
        found = self.shared.methods.get(id(owner))
        if found is None:
            found = self.shared.methods[id(owner)] = _methods(owner)
        return found

    def _inline(self, call: cst.Call, helper: cst.FunctionDef) -> None:
        found = self.shared.helpers.get(id(helper))
        if found is None:
            if id(helper) in self.shared.active or len(self.shared.active) > _MAX_HELPER_DEPTH:
                return
            found = _events(helper, self.model, self.shared, {}, {})
            if len(self.shared.active) == 1:
                # Read from the top of a request, so complete: keep it for the whole file.
                self.shared.helpers[id(helper)] = found
        for event in found:
            self.out.append(replace(event, statement_index=self.index, branches=self.branches + _quiet(event.branches),
                                    via=call))


def _methods(owner: cst.ClassDef) -> Dict[str, cst.FunctionDef]:
    body = owner.body.body if type(owner.body) is cst.IndentedBlock else ()
    return {statement.name.value: statement for statement in body if type(statement) is cst.FunctionDef}
