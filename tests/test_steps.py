"""The training-step event model (semantic/steps.py): what is an event, in which order,
under which condition, and what the file says an object is."""

import textwrap
from typing import Dict, List, Tuple

import libcst as cst
import pytest

from nanlint.rule import FileContext
from nanlint.rules._training_step import TrainingStepRule
from nanlint.semantic import steps
from nanlint.semantic.model import SemanticModel


class _Collect(TrainingStepRule):
    code = ""
    check_module = True

    def __init__(self, context) -> None:
        super().__init__(context)
        self.blocks: List[Tuple[cst.CSTNode, List[steps.Event]]] = []

    def check(self, block, sequence):
        self.blocks.append((block, list(sequence)))


def blocks(source: str) -> Dict[str, List[steps.Event]]:
    """Events per block, keyed "module", "def <name>", or "for <target>"/"while"."""
    source = textwrap.dedent(source)
    module = cst.parse_module(source)
    context = FileContext("t.py", source, SemanticModel())
    collector = _Collect(context)
    cst.visit_batched(module, [context.semantic, collector])
    found = {}
    for block, sequence in collector.blocks:
        if isinstance(block, cst.Module):
            key = "module"
        elif isinstance(block, cst.FunctionDef):
            key = f"def {block.name.value}"
        elif isinstance(block, cst.For):
            key = f"for {module.code_for_node(block.target)}"
        else:
            key = "while"
        found[key] = sequence
    return found


def kinds(sequence: List[steps.Event]) -> List[str]:
    return [event.kind for event in sequence]


def test_plain_loop_in_order():
    found = blocks(
        """
        for x in data:
            optimizer.zero_grad()
            loss = model(x).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            lr_scheduler.step()
        """
    )
    # `torch` is not imported: the clip is still recognised by its method name
    assert kinds(found["for x"]) == [steps.ZERO_GRAD, steps.BACKWARD, steps.CLIP, steps.STEP, steps.SCHEDULER_STEP]
    assert all(not event.conditional for event in found["for x"])


def test_identity_from_bindings_beats_names():
    found = blocks(
        """
        import torch
        from torch.cuda.amp import GradScaler
        o = torch.optim.Adam(params, lr=1e-3)
        opt_lr = torch.optim.lr_scheduler.StepLR(o, 10)
        gs = GradScaler()
        for x in data:
            o.zero_grad()
            gs.scale(f(x)).backward()
            gs.unscale_(o)
            gs.step(o)
            gs.update()
            o.step()
            opt_lr.step()
        """
    )
    sequence = found["for x"]
    assert kinds(sequence) == [steps.ZERO_GRAD, steps.BACKWARD, steps.UNSCALE, steps.SCALER_STEP, steps.SCALER_UPDATE,
                               steps.STEP, steps.SCHEDULER_STEP]
    assert sequence[1].scaled
    assert sequence[3].optimizer == "o" and sequence[5].optimizer == "o"


def test_roles_from_self_attributes_and_local_assignments():
    found = blocks(
        """
        import torch
        class Trainer:
            def __init__(self):
                self.g = torch.amp.GradScaler("cuda")
                self.sgd = torch.optim.SGD(self.params, lr=0.1)

            def fit(self):
                s = torch.optim.lr_scheduler.LambdaLR(self.sgd, f)
                for batch in self.loader:
                    self.g.scale(self.loss(batch)).backward()
                    self.g.step(self.sgd)
                    self.g.update()
                    s.step()
        """
    )
    assert kinds(found["for batch"]) == [steps.BACKWARD, steps.SCALER_STEP, steps.SCALER_UPDATE, steps.SCHEDULER_STEP]


def test_semantic_model_tags_optimizer_values():
    source = "import torch\nopt = torch.optim.AdamW(p)\nsc = torch.amp.GradScaler()\n"
    module = cst.parse_module(source)
    model = SemanticModel()
    cst.visit_batched(module, [model])
    assert "optimizer" in model.scopes.lookup("opt").value.tags
    assert "grad-scaler" in model.scopes.lookup("sc").value.tags


@pytest.mark.parametrize(
    "line, kind",
    [
        ("torch.autograd.backward([loss])", steps.BACKWARD),
        ("accelerator.backward(loss)", steps.BACKWARD),
        ("fabric.backward(loss)", steps.BACKWARD),
        ("self.manual_backward(loss)", steps.BACKWARD),
        ("optimizer.zero_grad(set_to_none=True)", steps.ZERO_GRAD),
        ("model.zero_grad()", steps.ZERO_GRAD),
        ("p.grad = None", steps.ZERO_GRAD),
        ("p.grad.data.zero_()", steps.ZERO_GRAD),
        ("accelerator.clip_grad_norm_(model.parameters(), 1.0)", steps.CLIP),
        ("fabric.clip_gradients(model, optimizer, max_norm=1.0)", steps.CLIP),
        ("p.grad.data.clamp_(-1, 1)", steps.CLIP),
        ("scaler.unscale_(optimizer)", steps.UNSCALE),
        ("opt_d.step()", steps.STEP),
        ("optimizers[0].step()", steps.STEP),
        ("scheduler.step()", steps.SCHEDULER_STEP),
    ],
)
def test_event_spellings(line, kind):
    found = blocks(f"import torch\nfor x in data:\n    {line}\n")
    assert kinds(found["for x"]) == [kind]


@pytest.mark.parametrize(
    "line",
    [
        "env.step(action)",  # an environment, not an optimizer
        "optimizer.step(closure)",  # LBFGS closure form: backward runs inside the closure
        "options.step()",
        "super().backward(grad)",
        "noise.update(values)",
        "torch.nn.functional.relu(x)",
    ],
)
def test_not_events(line):
    found = blocks(f"import torch\nfor x in data:\n    {line}\n")
    assert kinds(found.get("for x", [])) == []


def test_class_backward_is_not_an_event():
    found = blocks("class F:\n    pass\nfor x in data:\n    F.backward(ctx, g)\n")
    assert kinds(found.get("for x", [])) == []


def test_branches_accumulation_and_exits():
    found = blocks(
        """
        for i, x in enumerate(data):
            loss = f(x)
            loss.backward()
            if bad(loss):
                optimizer.zero_grad()
                continue
            if (i + 1) % accum == 0:
                optimizer.step()
                optimizer.zero_grad()
            else:
                scheduler.step()
        """
    )
    backward, skip_zero, step, zero, sched = found["for i, x"]
    assert not backward.conditional and skip_zero.conditional and step.conditional
    assert steps.compatible(backward, step)
    assert steps.compatible(step, zero)
    assert not steps.compatible(step, sched)  # two arms of one `if`
    assert not steps.compatible(skip_zero, step)  # the arm leaves the iteration with `continue`


def test_nested_training_loop_is_another_step_and_parameter_loops_are_this_one():
    found = blocks(
        """
        for epoch in range(10):
            for p in model.parameters():
                p.grad = None
            for batch in loader:
                f(batch).backward()
            optimizer.step()
        """
    )
    outer = found["for epoch"]
    assert [(event.kind, event.nested) for event in outer] == [
        (steps.ZERO_GRAD, False), (steps.BACKWARD, True), (steps.STEP, False)]
    assert kinds(found["for batch"]) == [steps.BACKWARD]


def test_helpers_are_inlined_at_the_call():
    found = blocks(
        """
        class Trainer:
            def _backward(self, loss):
                self.scaler.scale(loss).backward()

            def fit(self):
                def clip():
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)

                for batch in self.loader:
                    self._backward(self.loss(batch))
                    clip()
                    self.scaler.step(self.optimizer)
        """
    )
    sequence = found["for batch"]
    assert kinds(sequence) == [steps.BACKWARD, steps.CLIP, steps.SCALER_STEP]
    assert sequence[0].via is not None and sequence[0].site is sequence[0].via
    assert sequence[2].via is None


def test_recursive_helpers_terminate():
    found = blocks(
        """
        def a(n):
            loss.backward()
            b(n)
        def b(n):
            a(n)
        for x in data:
            a(x)
        """
    )
    assert kinds(found["for x"]) == [steps.BACKWARD]


def test_roles_flow_into_nested_loops_of_a_function():
    found = blocks(
        """
        import torch
        def train():
            ss = torch.cuda.amp.GradScaler()
            for x in data:
                ss.scale(f(x)).backward()
                ss.step(o)
        """
    )
    assert kinds(found["for x"]) == [steps.BACKWARD, steps.SCALER_STEP]
    assert kinds(found["def train"]) == [steps.BACKWARD, steps.SCALER_STEP]
    assert all(event.nested for event in found["def train"])


def test_tensorflow_events():
    found = blocks(
        """
        import tensorflow as tf
        def train_step(x):
            with tf.GradientTape() as t:
                loss = f(x)
            grads = t.gradient(loss, model.trainable_variables)
            grads, _ = tf.clip_by_global_norm(grads, 5.0)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            opt.minimize(loss, var_list)
        """
    )
    sequence = found["def train_step"]
    assert kinds(sequence) == [steps.TAPE, steps.GRADIENTS, steps.TF_CLIP, steps.APPLY_GRADIENTS, steps.MINIMIZE]
    assert sequence[2].operation == "clip_by_global_norm"
    assert isinstance(sequence[2].statement, cst.Assign)


def test_norm_only_clipping():
    found = blocks(
        """
        import math, torch
        for x in data:
            torch.nn.utils.clip_grad_norm_(params, float("inf"))
            torch.nn.utils.clip_grad_norm_(params, max_norm=math.inf)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
        """
    )
    assert [event.norm_only for event in found["for x"]] == [True, True, False]


def test_module_events_are_read_with_every_binding():
    found = blocks(
        """
        import tensorflow as tf
        grads = tape.gradient(loss, params)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        """
    )
    assert kinds(found["module"]) == [steps.GRADIENTS, steps.TF_CLIP]


def test_small_statements_walks_compound_statements_in_order():
    module = cst.parse_module("a = 1\nif x:\n    b = 2\nelse:\n    c = 3\nfor i in y:\n    d = 4\ndef f():\n    e = 5\n")
    targets = [s.targets[0].target.value for s in steps.small_statements(module)]
    assert targets == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "text, expected",
    [("optimizer", True), ("self.opt", True), ("opt_g", True), ("optimizerD", True), ("d_optim", True),
     ("self.optimizers()", True), ("options", False), ("adopt", False), ("model", False)],
)
def test_optimizer_names(text, expected):
    assert steps.optimizer_like(text) is expected
