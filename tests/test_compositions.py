"""Unstable-composition rules (NAN103-NAN114): fixes, messages and the helpers behind them."""

from pathlib import Path

import libcst as cst
import pytest

from nanlint.fixes import apply_fixes, reparses
from nanlint.registry import all_rules
from nanlint.rules._numerics import float32
from nanlint.testing import run_rule

FIXTURES = Path(__file__).parent / "fixtures"
RULES = all_rules()
FIXABLE = ["NAN103", "NAN104", "NAN113", "NAN114"]


def _messages(code, source):
    return [d.message for d in run_rule(RULES[code], source)]


@pytest.mark.parametrize("code", FIXABLE)
def test_fixes_on_fixture_reparse_and_remove_the_finding(code):
    source = (FIXTURES / f"{code}.py").read_text(encoding="utf-8")
    diagnostics = run_rule(RULES[code], source)
    fixes = [d.fix for d in diagnostics if d.fix is not None]
    assert fixes, f"{code} offers no fix on its fixture"
    fixed = apply_fixes(source, fixes)
    assert reparses(fixed)
    remaining = run_rule(RULES[code], fixed)
    # Every fixed finding is gone; findings without a fix stay.
    assert len(remaining) == len(diagnostics) - len(fixes)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import torch\ny = torch.log(torch.softmax(x, dim=-1))", "y = torch.log_softmax(x, dim=-1)"),
        ("import torch\ny = (torch.log(torch.softmax(x, -1)))", "y = (torch.log_softmax(x, -1))"),
        ("import torch\ny = x.softmax(dim=1, dtype=torch.float32).log()", "y = x.log_softmax(dim=1, dtype=torch.float32)"),
        ("import jax\nimport jax.numpy as jnp\ny = jnp.log(jax.nn.softmax(x, axis=-1))", "y = jax.nn.log_softmax(x, axis=-1)"),
    ],
)
def test_log_softmax_fix_keeps_arguments(source, expected):
    (diagnostic,) = run_rule(RULES["NAN103"], source)
    assert diagnostic.fix is not None
    assert apply_fixes(source, [diagnostic.fix]).splitlines()[-1] == expected


@pytest.mark.parametrize(
    "source",
    [
        "from torch.nn.functional import softmax\nimport torch\ny = torch.log(softmax(x, 1))",  # would need an import
        "import torch\ny = torch.log(self.softmax(x))",  # a module attribute, not the tensor method
        "import torch\np = torch.softmax(x, 1)\ny = torch.log(p)",  # through a variable
        "import tensorflow as tf\ny = tf.math.log(tf.keras.activations.softmax(x))",
    ],
)
def test_log_softmax_without_a_safe_rename_has_no_fix(source):
    (diagnostic,) = run_rule(RULES["NAN103"], source)
    assert diagnostic.fix is None


def test_log_sum_exp_message_keeps_the_reduction_dimension():
    (message,) = _messages("NAN105", "import torch\ny = torch.log(torch.exp(s).sum(dim=1, keepdim=True))")
    assert "torch.logsumexp(s, dim=1, keepdim=True)" in message
    (message,) = _messages("NAN105", "import tensorflow as tf\ny = tf.math.log(tf.reduce_sum(tf.exp(z), axis=-1))")
    assert "tf.reduce_logsumexp(z, axis=-1)" in message
    (message,) = _messages("NAN105", "import numpy as np\ny = np.log(np.sum(np.exp(v)))")
    assert "scipy.special.logsumexp(v)" in message
    (message,) = _messages("NAN105", "import torch\ny = torch.log(torch.exp(s).sum())")
    assert "torch.logsumexp(s.flatten(), dim=0)" in message


def test_float32_rounding_of_clamp_bounds():
    assert float32(1 - 1e-8) == 1.0
    assert float32(1 - 1e-7) < 1.0
    assert float32(-1 + 1e-8) == -1.0


def test_inverse_trig_message_says_what_the_bound_becomes():
    source = "import torch\ndef angle_loss(c):\n    return torch.acos(c.clamp(-1 + {eps}, 1 - {eps}))"
    (message,) = _messages("NAN111", source.format(eps="1e-8"))
    assert "0.99999999" in message and "rounds to 1.0 in float32" in message
    assert _messages("NAN111", source.format(eps="1e-7")) == []


def test_sqrt_message_gives_the_reason_for_zero():
    (message,) = _messages("NAN109", "import torch\ndef loss(a, b):\n    return torch.sqrt(((a - b) ** 2).sum(-1))")
    assert "sum of squared differences" in message
    (message,) = _messages("NAN109", "import torch\ndef loss(d):\n    return torch.sqrt(d.clamp(min=0))")
    assert "clamping at 0" in message


PAIR_DISTANCE = "torch.sqrt(((a - b) ** 2).sum(-1))"


@pytest.mark.parametrize(
    "source",
    [
        # a no_grad function, then a loss: the no_grad context ends with its function
        f"import torch\n@torch.no_grad()\ndef f(a, b):\n    return 1\ndef my_loss(a, b):\n    return {PAIR_DISTANCE}",
        f"import torch\ndef my_loss(a, b):\n    with torch.no_grad():\n        pass\n    return {PAIR_DISTANCE}",
        f"import torch\ndef my_loss(a, b):\n    with torch.set_grad_enabled(True):\n        return {PAIR_DISTANCE}",
        f"import torch\nclass Net(torch.nn.Module):\n    def forward(self, a, b):\n        return {PAIR_DISTANCE}",
        f"import torch\nimport lightning as L\nclass Lit(L.LightningModule):\n    def training_step(self, a, b):\n        return {PAIR_DISTANCE}",
        f"import torch\nclass Trainer:\n    def train_step(self, a, b):\n        return {PAIR_DISTANCE}",
    ],
)
def test_training_code_is_where_gradients_flow(source):
    assert len(_messages("NAN109", source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        f"import torch\ndef my_loss(a, b):\n    with torch.set_grad_enabled(False):\n        return {PAIR_DISTANCE}",
        f"import torch\nclass Metric:\n    def compute(self, a, b):\n        return {PAIR_DISTANCE}",
        f"import torch\nclass Net(torch.nn.Module):\n    pass\ndef helper(a, b):\n    return {PAIR_DISTANCE}",
        f"import torch\nclass Net(torch.nn.Module):\n    @torch.inference_mode()\n    def forward(self, a, b):\n        return {PAIR_DISTANCE}",
        f"import torch\nd = {PAIR_DISTANCE}",
    ],
)
def test_code_that_is_not_differentiated_is_silent(source):
    assert _messages("NAN109", source) == []


def test_unsafe_where_reports_each_unsafe_operation_once():
    source = "import torch\ndef loss(x):\n    return torch.where(x > 0, torch.log(x) + torch.sqrt(x), 0.0)"
    assert len(_messages("NAN112", source)) == 2


def test_off_by_default_rules():
    assert not RULES["NAN113"].default_enabled
    assert not RULES["NAN114"].default_enabled


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import torch\ny = (1 + a * b).log()", "y = (a * b).log1p()"),
        ("import torch\ny = (x + 1).log()", "y = x.log1p()"),
        ("import torch\ny = torch.log(1 + (a - b))", "y = torch.log1p((a - b))"),
    ],
)
def test_log1p_fix_parenthesizes_a_method_receiver(source, expected):
    (diagnostic,) = run_rule(RULES["NAN113"], source)
    fixed = apply_fixes(source, [diagnostic.fix])
    assert fixed.splitlines()[-1] == expected
    cst.parse_module(fixed)
