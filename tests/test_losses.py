"""Loss-input rules (NAN201-NAN204) and NAN402's fixes, beyond the fixtures."""

import pytest

from nanlint.fixes import apply_fixes
from nanlint.registry import all_rules
from nanlint.testing import run_rule

RULES = all_rules()

SIGMOID_NET = '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 1)

    def forward(self, x):
        h = self.fc(x)
        return torch.sigmoid(h)

model = Net().to("cuda")
criterion = nn.BCELoss()
for inputs, targets in loader:
    outputs = model(inputs).squeeze(1)
    loss = criterion(outputs, targets)
'''


def test_sigmoid_in_a_networks_forward_reaches_the_loss():
    found = run_rule(RULES["NAN201"], SIGMOID_NET)
    assert [d.line for d in found] == [18]
    assert "`BCELoss`" in found[0].message


def test_the_same_network_without_sigmoid_is_clean():
    assert run_rule(RULES["NAN201"], SIGMOID_NET.replace("torch.sigmoid(h)", "h")) == []


def test_sigmoid_rebound_to_logits_is_not_followed_forward():
    source = "import torch\nimport torch.nn.functional as F\np = torch.sigmoid(z)\np = z\nloss = F.binary_cross_entropy(p, y)\n"
    assert run_rule(RULES["NAN201"], source) == []


@pytest.mark.parametrize("loss, expected", [
    ("'binary_crossentropy'", "clipped"),
    ("'categorical_crossentropy'", "divides them by their sum"),
])
def test_keras_logits_message_depends_on_the_loss(loss, expected):
    source = ("from tensorflow import keras\nm = keras.Sequential([keras.layers.Dense(3)])\n"
              f"m.compile(loss={loss})\n")
    found = run_rule(RULES["NAN204"], source)
    assert len(found) == 1 and expected in found[0].message


def test_keras_last_added_layer_counts():
    source = ("from tensorflow import keras\nm = keras.Sequential([keras.layers.Dense(3, activation='softmax')])\n"
              "m.add(keras.layers.Dense(3))\nm.compile(loss='categorical_crossentropy')\n")
    assert [d.line for d in run_rule(RULES["NAN204"], source)] == [4]


def test_hand_written_bce_is_reported_once_for_a_long_chain():
    source = ("import torch\ndef f(p, y, w):\n"
              "    return -(w * y * torch.log(p) + w * (1 - y) * torch.log(1 - p) + 0.1 * reg)\n")
    assert len(run_rule(RULES["NAN202"], source)) == 1


@pytest.mark.parametrize("code, fixed", [
    ("import math\nbad = x != math.nan\n", "import math\nbad = not math.isnan(x)\n"),
    ("import jax.numpy as jnp\nbad = jnp.nan == x\n", "import jax.numpy as jnp\nbad = jnp.isnan(x)\n"),
    ("import numpy\nbad = f(a + b) == numpy.nan\n", "import numpy\nbad = numpy.isnan(f(a + b))\n"),
])
def test_nan_comparison_fixes(code, fixed):
    found = run_rule(RULES["NAN402"], code)
    assert len(found) == 1 and found[0].fix is not None
    assert apply_fixes(code, [found[0].fix]) == fixed


@pytest.mark.parametrize("code", [
    "bad = x == float('nan')\n",  # no namespace with isnan is imported for sure
    "import numpy as np\nbad = 0 < x == np.nan\n",  # chained comparison
])
def test_nan_comparison_without_a_fix(code):
    found = run_rule(RULES["NAN402"], code)
    assert len(found) == 1 and found[0].fix is None


HAND_WRITTEN_BCE = (
    "import torch\n"
    "prob = torch.sigmoid(logits)\n"
    "loss = -(y * torch.log(prob) + (1 - y) * torch.log(1 - prob)).mean()  # NOQA_HERE\n"
    "other = torch.log(1 - prob)\n"
)


def _findings(source, rules):
    from nanlint.engine import lint_source

    return [(d.line, d.col, d.code) for d in lint_source("t.py", source, [RULES[c] for c in rules]).diagnostics]


def test_the_logs_inside_a_hand_written_cross_entropy_are_one_finding():
    """NAN202 covers NAN101/NAN104 inside the expression it reports; the same `log` outside it is
    still reported, and without NAN202 each `log` is reported on its own."""
    source = HAND_WRITTEN_BCE.replace("  # NOQA_HERE", "")
    every = ["NAN101", "NAN103", "NAN104", "NAN202"]
    assert _findings(source, every) == [(3, 10, "NAN202"), (4, 9, "NAN101")]
    alone = _findings(source, ["NAN101", "NAN104"])
    assert {(line, code) for line, _, code in alone} == {(3, "NAN104"), (3, "NAN101"), (4, "NAN101")}, alone


def test_silencing_the_covering_finding_does_not_bring_the_covered_ones_back():
    source = HAND_WRITTEN_BCE.replace("NOQA_HERE", "noqa: NAN202")
    assert _findings(source, ["NAN101", "NAN104", "NAN202"]) == [(4, 9, "NAN101")]
