from __future__ import annotations

from typing import Dict, List, Sequence, Set, Tuple

import libcst as cst

from nanlint.rule import Invalid, Valid
from nanlint.rules._training_step import TrainingStepRule, is_loop
from nanlint.semantic import steps
from nanlint.semantic.calls import argument_value

_COMPREHENSIONS = (cst.ListComp, cst.GeneratorExp, cst.SetComp)


class _Names(cst.CSTVisitor):
    """Names and dotted names an expression reads: `zip(grads, self.vars)` -> {zip, grads, self.vars}."""

    def __init__(self) -> None:
        super().__init__()
        self.found: Set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        text = steps.text_of(node)
        if "(" in text or "[" in text:
            return True
        self.found.add(text)
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        self.found.add(node.value)
        return False


def names_in(node: cst.CSTNode) -> Set[str]:
    collector = _Names()
    node.visit(collector)
    return collector.found


def _targets(statement: cst.BaseSmallStatement) -> Set[str]:
    if isinstance(statement, cst.Assign):
        found: Set[str] = set()
        for target in statement.targets:
            found |= names_in(target.target)
        return found
    if isinstance(statement, (cst.AnnAssign, cst.AugAssign)):
        return names_in(statement.target)
    return set()


def _value(statement: cst.BaseSmallStatement):
    return getattr(statement, "value", None)


class ClippedGradientsDiscarded(TrainingStepRule):
    """
    ## What it does
    In TensorFlow code, flags gradients clipped with `tf.clip_by_global_norm`,
    `tf.clip_by_norm` or `tf.clip_by_value` whose clipped result is not what is
    applied: `apply_gradients` receives the original, unclipped gradients, or the
    clipping call's result is thrown away. `clip_by_norm`/`clip_by_value` count as
    gradient clipping when their input comes from `tape.gradient`,
    `compute_gradients`, `tf.gradients` or a name containing `grad`.

    ## Why is this bad?
    TensorFlow's clipping functions return new tensors; they never change their
    input. When the clipped list is assigned to a new name and `apply_gradients`
    still gets the old one, or the result is not assigned at all, training runs
    with unclipped gradients while the code looks protected: one exploding
    gradient moves the weights far enough for the loss to overflow to `inf`/NaN.

    ## Example
    ```python
    grads = tape.gradient(loss, model.trainable_variables)
    clipped, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    ```

    Use instead:
    ```python
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    ```

    ## Known problems
    Data flow is followed by name within one function (or module) body, in source
    order; gradients passed through containers or helpers are not followed.

    ## References
    - TensorFlow docs: `tf.clip_by_global_norm`, `tf.clip_by_norm`
    - TensorFlow docs: `tf.keras.optimizers.Optimizer.apply_gradients`
    """

    code = "NAN309"
    name = "clipped-gradients-discarded"
    message = "Gradients are clipped but `apply_gradients` receives the unclipped ones; training runs without clipping"
    fix_title = "Pass the clipped gradients to `apply_gradients` (or assign the clipping result back to the same name)"
    triggers = ("clip_by_global_norm", "clip_by_norm", "clip_by_value")
    check_module = True

    DISCARDED = "Result of `{}` is discarded; TensorFlow clipping returns new tensors and changes nothing in place"

    VALID = [
        Valid("import tensorflow as tf\ngvs = optimizer.compute_gradients(loss)\ngrads, variables = zip(*gvs)\n"
              "grads, _ = tf.clip_by_global_norm(grads, 5.0)\ntrain_op = optimizer.apply_gradients(zip(grads, variables))"),
        Valid("import tensorflow as tf\ndef train_step(x):\n    with tf.GradientTape() as tape:\n        loss = f(x)\n"
              "    grads = tape.gradient(loss, model.trainable_variables)\n    clipped = [tf.clip_by_norm(g, 1.0) for g in grads]\n"
              "    optimizer.apply_gradients(zip(clipped, model.trainable_variables))"),
    ]
    INVALID = [
        Invalid("import tensorflow as tf\ndef train_step(x):\n    with tf.GradientTape() as tape:\n        loss = f(x)\n"
                "    grads = tape.gradient(loss, model.trainable_variables)\n    clipped, _ = tf.clip_by_global_norm(grads, 5.0)\n"
                "    optimizer.apply_gradients(zip(grads, model.trainable_variables))", line=7, col=5),
        Invalid("import tensorflow as tf\ngrads = tf.gradients(loss, params)\ntf.clip_by_global_norm(grads, 1.0)\n"
                "train_op = opt.apply_gradients(zip(grads, params))", line=3, col=1),
    ]

    def check(self, block: steps.StepBlock, sequence: Sequence[steps.Event]) -> None:
        if is_loop(block) or not any(event.kind == steps.TF_CLIP for event in sequence):
            return
        by_statement: Dict[int, List[steps.Event]] = {}
        for event in sequence:
            if event.via is None and event.statement is not None:
                by_statement.setdefault(id(event.statement), []).append(event)
        gradients: Set[str] = set()  # names bound to gradients
        pending: Dict[str, Tuple[steps.Event, Set[str]]] = {}  # unclipped name -> (clip, names holding the clipped result)
        for statement in steps.small_statements(block):
            found = by_statement.get(id(statement), [])
            for event in found:
                if event.kind == steps.APPLY_GRADIENTS:
                    used = set().union(*(names_in(arg.value) for arg in event.node.args))  # type: ignore[union-attr]
                    for unclipped, (clip, clipped) in list(pending.items()):
                        if unclipped in used and not clipped & used:
                            self.flag(event.node)
            targets = _targets(statement)
            for name in targets:
                pending.pop(name, None)  # rebound: no longer the unclipped gradients
            for event in found:
                if event.kind == steps.GRADIENTS:
                    gradients |= targets
                elif event.kind == steps.TF_CLIP:
                    self._clip(event, statement, targets, gradients, pending)

    def _clip(self, clip: steps.Event, statement: cst.BaseSmallStatement, targets: Set[str], gradients: Set[str],
              pending: Dict[str, Tuple[steps.Event, Set[str]]]) -> None:
        call = clip.node
        assert isinstance(call, cst.Call)
        first = argument_value(call, ("t_list", "t"), 0)
        if first is None:
            return
        source = names_in(first)
        value = _value(statement)
        if isinstance(value, _COMPREHENSIONS):
            bound = names_in(value.for_in.target)
            if source & bound:
                source = names_in(value.for_in.iter)
        if clip.operation != "clip_by_global_norm" and not any(
            name in gradients or "grad" in name.lower() or "gvs" in name.lower() for name in source
        ):
            return  # clipping some other tensor
        if isinstance(statement, cst.Expr) and (value is call or isinstance(value, _COMPREHENSIONS)):
            self.flag(call, self.DISCARDED.format(f"tf.{clip.operation}"))
            return
        if not targets or source & targets:
            return  # `grads, _ = tf.clip_by_global_norm(grads, 5.0)`: clipped in place by rebinding
        for name in source:
            pending[name] = (clip, targets)
