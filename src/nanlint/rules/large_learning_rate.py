from __future__ import annotations

import re
from pathlib import PurePath
from typing import Set

import libcst as cst

from nanlint import names
from nanlint.rule import Invalid, Rule, Valid

# Optimizers in one literal table from which the rule treats the rates as placeholders.
_TABLE_SIZE = 3
# Test code by the file-name conventions of pytest, unittest and absltest: `test_x.py`,
# `x_test.py`, `conftest.py`, `x_test_utils.py`. (Not every file under a `tests/` folder:
# those are also fixtures and example programs, like this project's seed articles.)
_TEST_FILE = re.compile(r"^(test_.*|.*_tests?|conftest|(.*_)?test_?utils?)$")


def _is_test_path(path: str) -> bool:
    return bool(_TEST_FILE.match(PurePath(path).stem))


class LargeLearningRate(Rule):
    """
    ## What it does
    Flags an optimizer created with a learning rate that is very large for that
    optimizer: 1.0 or more for SGD, 0.1 or more for Adam-family and RMSprop
    optimizers. Optimizers whose normal learning rate is 1.0 (Adadelta, LBFGS)
    are not flagged at 1.0. The value may be a literal, an expression of
    literals, a module constant, a parameter default or an `argparse` default.

    In test files (`test_*.py`, `*_test.py`, `*_tests.py`, `conftest.py`,
    `*_test_utils.py`) a rate exactly at the threshold is not flagged; a rate
    above it is.

    ## Why is this bad?
    Each update moves the weights by roughly the learning rate times the
    (normalized) gradient. Far above the usual range, updates overshoot, the
    loss grows each step, activations overflow to `inf` and the loss turns NaN,
    often within the first few iterations.

    ## Example
    ```python
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-1)
    ```

    Use instead:
    ```python
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ```

    ## Known problems
    A schedule that warms up from a small value is still flagged when its peak
    value is passed to the optimizer as a constant; suppress with `# noqa: NAN301`
    if the large rate is deliberate. Thresholds are configurable per optimizer family.
    Optimizers listed together in a literal table of three or more (a dict, list or
    tuple of optimizer calls, as tests and benchmarks build to parametrize over
    optimizers) are not flagged: their shared rate is a placeholder.

    A rate exactly at the threshold (SGD at 1.0, Adam at 0.1) is where real code
    disagrees. In a training script on unscaled inputs SGD at 1.0 multiplies the
    error at every step, so it is flagged there. Tests choose that round value on
    purpose: one update then equals the clipped gradient, or an accuracy test
    checks that the model trains. So test code is not flagged at the threshold
    (option `at_threshold_in_tests = true` flags it), but it is flagged above it
    (Adam at 2 copied into a test). On the real-code corpus all 10 findings at the
    threshold in test files were deliberate. The 3 in example scripts are still
    reported, and did not look like NaN risks either (see `docs/precision.md`).

    ## References
    - Goodfellow, Bengio, Courville, *Deep Learning*, section 8.5 (learning-rate choice)
    - PyTorch docs: `torch.optim`
    """

    code = "NAN301"
    name = "large-learning-rate"
    message = "Learning rate is very large for this optimizer; updates diverge and the loss turns NaN"
    fix_title = "Use a learning rate in the optimizer's usual range (Adam: about 1e-4 to 3e-3; SGD: about 1e-3 to 0.1)"
    triggers = tuple(sorted({cls for classes in names.OPTIMIZER_FAMILIES.values() for cls in classes}))
    default_options = {
        "thresholds": {"sgd": 1.0, "adam": 0.1, "rmsprop": 0.1, "adagrad": 1.0, "adadelta": 10.0, "lbfgs": 10.0},
        "at_threshold_in_tests": False,
    }

    VALID = [
        Valid("import torch\nopt = torch.optim.Adam(model.parameters(), lr=1e-3)"),
        Valid("import torch\nopt = torch.optim.Adadelta(model.parameters(), lr=1.0)"),
        Valid("import torch\nopt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)"),
        Valid("def SGD(params, lr):\n    pass\nopt = SGD(params, lr=5.0)"),
    ]
    INVALID = [
        Invalid("import torch.optim as optim\nopt = optim.SGD(model.parameters(), lr=1.0)", line=2, col=7),
        Invalid("from torch import optim\nLR = 10 ** -1\nopt = optim.Adam(model.parameters(), LR)", line=3, col=7),
        Invalid("import tensorflow as tf\nopt = tf.train.AdamOptimizer(learning_rate=1.0)", line=2, col=7),
        Invalid("import optax\ntx = optax.adam(0.5)", line=2, col=6),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._table_members: Set[int] = set()

    # A literal table of several different optimizers (`{"adam": optax.adam(1.0), "sgd": ...}`)
    # is a parametrization for tests or benchmarks: one placeholder rate shared by all of them.
    def visit_Dict(self, node: cst.Dict) -> None:
        self._note_table([e.value for e in node.elements if isinstance(e, cst.DictElement)])

    def visit_List(self, node: cst.List) -> None:
        self._note_table([e.value for e in node.elements])

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._note_table([e.value for e in node.elements])

    def _note_table(self, values) -> None:
        members = [value for value in values if self._optimizer_call(value)]
        if len(members) >= _TABLE_SIZE:
            self._table_members.update(id(member) for member in members)

    def _optimizer_call(self, node: cst.CSTNode) -> bool:
        qualified = self.qualified_name(node) if type(node) is cst.Call else None
        return bool(qualified) and qualified in names.OPTIMIZERS

    def visit_Call(self, node: cst.Call) -> None:
        if id(node) in self._table_members:
            return
        qualified = self.qualified_name(node)
        family = names.OPTIMIZERS.get(qualified) if qualified else None
        if family is None:
            return
        threshold = self.options["thresholds"].get(family)
        lr = self.arg(node, names.LEARNING_RATE_KEYWORDS, names.learning_rate_position(qualified))
        if threshold is None or lr is None:
            return
        value = self.semantic.constant(lr)
        if value is None or value != value or value < threshold:
            return
        if value == threshold and not self.options["at_threshold_in_tests"] and _is_test_path(self.context.path):
            return  # a round rate at the edge of the usual range, chosen on purpose in a test
        optimizer = qualified.rsplit(".", 1)[-1]
        self.report(
            node,
            f"Learning rate {value:g} is very large for `{optimizer}` (threshold {threshold:g}); "
            "updates diverge and the loss turns NaN",
        )
