"""Options and messages of the guard-aware rules NAN101 unguarded-log and NAN102 unguarded-division."""

from nanlint.registry import all_rules
from nanlint.testing import run_rule

RULES = all_rules()

STATISTICS_OF_ACTIVATIONS = (
    "import torch\n"
    "def rescale(noise_cfg, noise_text):\n"
    "    std_text = noise_text.std(dim=[1, 2, 3], keepdim=True)\n"
    "    std_cfg = noise_cfg.std(dim=[1, 2, 3], keepdim=True)\n"
    "    return noise_cfg * (std_text / std_cfg)\n"
    "def embed(image_embeds):\n"
    "    return image_embeds / image_embeds.norm(p=2, dim=-1, keepdim=True)\n"
)


def test_statistics_of_learned_activations_are_reported_only_with_statistics_anywhere():
    rule = RULES["NAN102"]
    assert run_rule(rule, STATISTICS_OF_ACTIVATIONS) == []
    reported = run_rule(rule, STATISTICS_OF_ACTIVATIONS, {"statistics_anywhere": True})
    assert [(d.line, d.col) for d in reported] == [(5, 25), (7, 12)]


def test_default_kinds_do_not_depend_on_the_option():
    source = (
        "import torch\n"
        "def f(x, loss, mask):\n"
        "    a = (x - x.min()) / (x.max() - x.min())\n"
        "    b = (loss * mask).sum(dim=1) / mask.sum(dim=1)\n"
        "    return a, b\n"
    )
    for options in ({}, {"statistics_anywhere": True}):
        assert [d.line for d in run_rule(RULES["NAN102"], source, options)] == [3, 4]


def test_batch_wide_counts_and_ranges_of_predictions_need_the_option():
    source = (
        "import torch\n"
        "def f(model, image, loss, mask):\n"
        "    a = (loss * mask).sum() / mask.sum()\n"
        "    depth = model(image)\n"
        "    b = (depth - depth.min()) / (depth.max() - depth.min())\n"
        "    return a, b\n"
    )
    assert run_rule(RULES["NAN102"], source) == []
    assert [d.line for d in run_rule(RULES["NAN102"], source, {"statistics_anywhere": True})] == [3, 5]


def test_a_prediction_named_parameter_is_not_called_a_probability_only():
    source = "import tensorflow as tf\ndef update_state(y_true, y_pred):\n    return tf.math.log(y_pred)\n"
    [finding] = run_rule(RULES["NAN101"], source)
    assert "named as a probability or prediction" in finding.message
    assert finding.message.index("tf.maximum(x, eps)") < finding.message.index("log_softmax")
