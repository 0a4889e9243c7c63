"""Exact float rounding (semantic.precision) and the precision-aware rules NAN501-NAN505."""

import math
import random
import struct

import pytest

from nanlint.registry import all_rules
from nanlint.semantic.precision import BFLOAT16, FLOAT16, FLOAT32, round_to, shortest
from nanlint.testing import run_rule

RULES = all_rules()


def _struct_round(number, fmt):
    try:
        return struct.unpack(fmt, struct.pack(fmt, number))[0]
    except OverflowError:
        return math.copysign(math.inf, number)


def _samples(count=20000):
    rng = random.Random(20240521)
    for _ in range(count):
        kind = rng.randrange(4)
        if kind == 0:
            yield rng.uniform(-1, 1) * 10.0 ** rng.randint(-48, 40)
        elif kind == 1:
            yield 1 - 10.0 ** -rng.uniform(0, 12)
        elif kind == 2:
            yield rng.getrandbits(60) / 2.0 ** rng.randint(0, 130)
        else:  # exact ties between two neighbours of float16 / float32
            yield (2 * rng.randrange(1, 2 ** 11) + 1) * 2.0 ** rng.randint(-40, 5)


@pytest.mark.parametrize("fmt, code", [(FLOAT32, "f"), (FLOAT16, "e")], ids=["float32", "float16"])
def test_rounding_matches_the_platform_conversion(fmt, code):
    mismatches = [x for x in _samples() if round_to(x, fmt) != _struct_round(x, code)]
    assert mismatches == []


def test_bfloat16_matches_truncating_float32_bits_with_ties_to_even():
    rng = random.Random(7)
    for _ in range(5000):
        bits = rng.getrandbits(32) & 0x7F7FFFFF  # finite float32 values
        number = struct.unpack("<f", struct.pack("<I", bits))[0]
        upper, lower = bits >> 16, bits & 0xFFFF
        if lower > 0x8000 or (lower == 0x8000 and upper & 1):
            upper += 1
        expected = struct.unpack("<f", struct.pack("<I", upper << 16))[0]
        assert round_to(number, BFLOAT16) == expected, number


def test_values_the_rules_talk_about():
    assert round_to(1 - 1e-8, FLOAT32) == 1.0
    assert round_to(1 - 1e-7, FLOAT32) == 1 - 2 ** -23
    assert round_to(1 - 5e-8, FLOAT32) == 1 - 2 ** -24  # not a rule of thumb: 5e-8 survives
    assert round_to(1 - 2 ** -25, FLOAT32) == 1.0  # a tie rounds to even
    assert round_to(1e-8, FLOAT16) == 0.0
    assert round_to(1e-7, FLOAT16) == 2 ** -23  # a subnormal, not 0
    assert round_to(1 - 1e-4, FLOAT16) == 1.0
    assert round_to(1 - 3e-4, FLOAT16) == 1 - 2 ** -11
    assert round_to(-1e9, FLOAT16) == -math.inf
    assert round_to(-65504.0, FLOAT16) == -65504.0
    assert round_to(-1e9, BFLOAT16) < 0 and math.isfinite(round_to(-1e9, BFLOAT16))
    assert round_to(-3.4028234663852886e38, BFLOAT16) == -math.inf


def test_shortest_text():
    assert shortest(round_to(1 - 1e-8, FLOAT32), FLOAT32) == "1.0"
    assert shortest(round_to(1 - 1e-7, FLOAT32), FLOAT32) == "0.9999999"
    assert shortest(1e-8) == "1e-8"
    assert shortest(0.0) == "0.0"
    assert shortest(-math.inf) == "-inf"


SEED_BAD = '''
import torch

def binary_cross_entropy_with_nan(outputs, targets, epsilon=1e-8):
    outputs = torch.clamp(outputs, epsilon, 1 - epsilon) #Clamp
    loss = - (targets * torch.log(outputs) + (1 - targets) * torch.log(1-outputs))
    return torch.mean(loss)
'''


def test_seed_clamp_is_reported_with_what_one_minus_eps_becomes_in_float32():
    found = run_rule(RULES["NAN501"], SEED_BAD)
    assert [(d.line, d.col) for d in found] == [(5, 15)]
    assert "`1 - 1e-8`" in found[0].message and "is 1.0 in float32" in found[0].message


def test_seed_loss_is_reported_and_explains_the_vanished_bound():
    found = run_rule(RULES["NAN202"], SEED_BAD)
    assert [d.line for d in found] == [6]
    assert "1.0 in float32" in found[0].message


def test_seed_with_a_float32_epsilon_is_clean_for_both_rules():
    fixed = SEED_BAD.replace("epsilon=1e-8", "epsilon=1e-7")
    assert run_rule(RULES["NAN501"], fixed) == []
    assert run_rule(RULES["NAN202"], fixed) == []


@pytest.mark.parametrize("device, flagged", [("'cuda'", True), ("'cpu'", False), ("device", False)])
def test_autocast_dtype_follows_the_device(device, flagged):
    source = (
        "import torch\n"
        "def f(q, k, mask):\n"
        f"    with torch.autocast({device}):\n"
        "        s = q @ k.T\n"
        "        return s.masked_fill(mask, -1e9)\n"
    )
    assert bool(run_rule(RULES["NAN503"], source)) is flagged


def test_nested_function_does_not_inherit_the_autocast_region():
    source = (
        "import torch\n"
        "with torch.autocast('cuda'):\n"
        "    def later(q, k, mask):\n"
        "        s = q @ k.T\n"
        "        return s.masked_fill(mask, -1e9)\n"
    )
    assert run_rule(RULES["NAN503"], source) == []


def test_global_float16_default_makes_adam_epsilon_vanish():
    source = "import torch\ntorch.set_default_dtype(torch.float16)\nopt = torch.optim.Adam(params)\n"
    found = run_rule(RULES["NAN502"], source)
    assert [d.line for d in found] == [3]
    assert "set_default_dtype" in found[0].message


def test_keras_floatx_float16_with_an_explicit_tiny_epsilon():
    source = ("from tensorflow import keras\nkeras.backend.set_floatx('float16')\n"
              "opt = keras.optimizers.Adam(epsilon=1e-8)\nok = keras.optimizers.Adam()\n")
    assert [d.line for d in run_rule(RULES["NAN502"], source)] == [3]  # the default 1e-7 is a float16 subnormal


LIBRARY = (
    "import torch\nimport torch.nn as nn\n"
    "class Block(nn.Module):\n"
    "    def __init__(self, n):\n"
    "        super().__init__()\n"
    "        self.w = nn.Parameter(torch.empty(n, n))\n"
)


def test_uninitialized_parameter_in_a_model_library_is_left_alone_by_default():
    assert run_rule(RULES["NAN504"], LIBRARY) == []
    assert [d.line for d in run_rule(RULES["NAN504"], LIBRARY, {"parameters_anywhere": True})] == [6]


def test_uninitialized_parameter_in_a_file_that_loads_weights_is_left_alone():
    trains = LIBRARY + "opt = torch.optim.Adam(Block(3).parameters())\n"
    assert [d.line for d in run_rule(RULES["NAN504"], trains)] == [6]
    assert run_rule(RULES["NAN504"], trains + "Block(3).load_state_dict(torch.load('w.pt'))\n") == []


def test_init_scale_threshold_is_an_option():
    source = "import torch.nn as nn\nnn.init.normal_(self.fc.weight, std=0.5)\n"
    assert run_rule(RULES["NAN505"], source) == []
    assert len(run_rule(RULES["NAN505"], source, {"threshold": 0.5})) == 1


def test_the_dtype_rules_share_one_tracker_fed_once():
    """NAN501-NAN503 read one PrecisionTracker per file, which the walk feeds once: each of
    them still finds what it finds alone."""
    from nanlint.engine import lint_source
    from nanlint.rule import FileContext
    from nanlint.semantic.model import SemanticModel
    from nanlint.semantic.precision import PrecisionTracker

    codes = ("NAN501", "NAN502", "NAN503")
    context = FileContext("t.py", "", SemanticModel())
    trackers = {id(RULES[code](context).precision) for code in codes}
    assert trackers == {id(context.analysis(PrecisionTracker))} and len(context.analyses) == 1

    source = (
        "import torch\n"
        "model = Net().half()\n"
        "opt = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
        "x = batch.half()\n"
        "p = torch.clamp(x, 1e-8, 1 - 1e-8)\n"
        "s = x.masked_fill(mask, -1e9)\n"
    )
    rules = [RULES[code] for code in codes]
    together = [(d.line, d.code) for d in lint_source("t.py", source, rules).diagnostics]
    alone = sorted((d.line, d.code) for rule in rules for d in lint_source("t.py", source, [rule]).diagnostics)
    assert sorted(together) == alone
    assert {code for _, code in together} == set(codes), together
