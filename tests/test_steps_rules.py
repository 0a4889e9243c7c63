"""Training-step rules whose decision depends on the whole file (NAN305 outside loops,
NAN310), and the seed articles' examples."""

import textwrap

import pytest

from nanlint.registry import all_rules
from nanlint.testing import run_rule


def findings(code: str, source: str):
    return [(d.line, d.code) for d in run_rule(all_rules()[code], textwrap.dedent(source))]


LSTM_LOOP = """
import torch
model = torch.nn.LSTM(8, 16)
{setup}
for epoch in range(3):
    for i, (x, y) in enumerate(loader):
        out, _ = model(x)
        loss_fn(out, y).backward()
        {clip}
        if (i + 1) % accum == 0:
            optimizer.step()
            optimizer.zero_grad()
"""


def test_recurrent_model_trained_without_clipping_is_flagged_at_the_backward():
    assert findings("NAN310", LSTM_LOOP.format(setup="", clip="")) == [(8, "NAN310")]


@pytest.mark.parametrize(
    "setup, clip",
    [
        ("", "torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)"),
        ("", "accelerator.clip_grad_norm_(model.parameters(), 0.25)"),
        ("", "for p in model.parameters(): p.grad.data.clamp_(-1, 1)"),
        ("trainer = Trainer(gradient_clip_val=0.5)", ""),
        ("args = TrainingArguments(max_grad_norm=1.0)", ""),
    ],
)
def test_any_clipping_in_the_file_silences_the_recurrent_rule(setup, clip):
    assert findings("NAN310", LSTM_LOOP.format(setup=setup, clip=clip)) == []


def test_clipping_in_a_helper_counts():
    source = """
    import torch
    def clip(model):
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    model = torch.nn.GRU(8, 16)
    for x in data:
        f(model, x).backward()
        clip(model)
        opt.step()
    """
    assert findings("NAN310", source) == []


def test_norm_measurement_is_not_clipping():
    source = """
    import torch
    model = torch.nn.RNN(8, 16)
    for x in data:
        f(model, x).backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))
        opt.step()
    """
    assert findings("NAN310", source) == [(5, "NAN310")]


def test_keras_recurrent_model():
    flagged = """
    import tensorflow as tf
    model = tf.keras.Sequential([tf.keras.layers.SimpleRNN(32), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(x, y, epochs=3)
    """
    assert findings("NAN310", flagged) == [(5, "NAN310")]
    assert findings("NAN310", flagged.replace("Adam(1e-3)", "Adam(1e-3, global_clipnorm=1.0)")) == []


def test_recurrent_layer_without_training_in_the_file_is_not_flagged():
    assert findings("NAN310", "import torch\nclass Net(torch.nn.Module):\n    def __init__(self):\n"
                              "        self.rnn = torch.nn.LSTM(8, 16)\n") == []


def test_recurrent_rule_is_off_by_default():
    assert all_rules()["NAN310"].default_enabled is False


def test_scaler_step_outside_a_loop_needs_an_update_somewhere_in_the_file():
    source = """
    import torch
    class Trainer:
        def __init__(self):
            self.scaler = torch.cuda.amp.GradScaler()

        def optimizer_step(self):
            self.scaler.step(self.optimizer)
    """
    assert findings("NAN305", source) == [(8, "NAN305")]
    assert findings("NAN305", source + "scaler.update()\n") == []


def test_an_object_only_named_scaler_may_be_a_wrapper_that_updates_itself():
    # timm-style `NativeScaler`: `loss_scaler(loss, optimizer)` runs backward, `step()` updates
    source = """
    for batch in loader:
        loss_scaler(compute(batch), optimizer)
        loss_scaler.step(optimizer)
    """
    assert findings("NAN305", source) == []
    assert findings("NAN305", source.replace("loss_scaler(compute(batch), optimizer)",
                                             "loss_scaler.scale(compute(batch)).backward()")) == [(4, "NAN305")]


SEED_001 = """
import torch
import torch.nn as nn
import torch.optim as optim

optimizer = optim.Adam(model.parameters(), lr=0.001)

for epoch in range(num_epochs):
    for inputs, targets in dataloader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)

        # Gradient clipping
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)

        loss.backward()
        optimizer.step()
"""


def test_seed_article_clip_before_backward_is_flagged_and_its_fix_is_not():
    assert findings("NAN302", SEED_001) == [(15, "NAN302")]
    fixed = SEED_001.replace(
        "        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n\n        loss.backward()\n",
        "        loss.backward()\n        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n",
    )
    assert fixed != SEED_001
    for code in ("NAN302", "NAN303", "NAN304", "NAN305", "NAN306", "NAN307", "NAN308"):
        assert findings(code, fixed) == [], code


SEED_003 = """
import tensorflow as tf
optimizer = tf.train.AdamOptimizer(learning_rate=0.001)
gradients, variables = zip(*optimizer.compute_gradients(loss))
gradients, _ = tf.clip_by_global_norm(gradients, 5.0)  # Limit gradient norm
train_op = optimizer.apply_gradients(zip(gradients, variables))

class StableTrainer:
    def train_step(self, x, y):
        with tf.GradientTape() as tape:
            predictions = self.model(x)
            loss = tf.keras.losses.sparse_categorical_crossentropy(y, predictions)
        gradients = tape.gradient(loss, self.model.trainable_variables)
        gradients, _ = tf.clip_by_global_norm(gradients, 5.0)
        self.optimizer.apply_gradients(zip(gradients, self.model.trainable_variables))
"""


def test_seed_article_tensorflow_clipping_is_silent_and_a_broken_copy_is_not():
    assert findings("NAN309", SEED_003) == []
    broken = SEED_003.replace("gradients, _ = tf.clip_by_global_norm(gradients, 5.0)\n        self",
                              "clipped, _ = tf.clip_by_global_norm(gradients, 5.0)\n        self")
    assert broken != SEED_003
    assert findings("NAN309", broken) == [(15, "NAN309")]


CORRECT_TRAINING_CODE = """
import torch
import tensorflow as tf
from torch.cuda.amp import GradScaler, autocast

# DCGAN: each network cleared by its own zero_grad
for real in loader:
    netD.zero_grad()
    errD_real = criterion(netD(real), ones)
    errD_real.backward()
    fake = netG(noise())
    errD_fake = criterion(netD(fake.detach()), zeros)
    errD_fake.backward()
    optimizerD.step()
    netG.zero_grad()
    errG = criterion(netD(fake), ones)
    errG.backward()
    optimizerG.step()

# LBFGS: backward inside the closure
for batch in loader:
    def closure():
        optimizer.zero_grad()
        loss = compute(batch)
        loss.backward()
        return loss
    optimizer.step(closure)

# accelerate with managed accumulation
for batch in loader:
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        accelerator.backward(loss)
        if accelerator.sync_gradients:
            accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        lr_scheduler.step()
        optimizer.zero_grad()

# accumulation: clear at the start of each group, step at its end
scaler = GradScaler()
for i, batch in enumerate(loader):
    if i % accum == 0:
        optimizer.zero_grad(set_to_none=True)
    with autocast():
        loss = compute(batch) / accum
    scaler.scale(loss).backward()
    if (i + 1) % accum == 0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()

# two optimizers, one loss
for batch in loader:
    enc_opt.zero_grad()
    dec_opt.zero_grad()
    compute(batch).backward()
    enc_opt.step()
    dec_opt.step()

# stochastic weight averaging
for epoch in range(epochs):
    for batch in loader:
        optimizer.zero_grad()
        compute(batch).backward()
        optimizer.step()
    swa_model.update_parameters(model)
    swa_scheduler.step()


class Module:
    # Lightning manual optimization
    def training_step(self, batch, batch_idx):
        opt = self.optimizers()
        opt.zero_grad()
        loss = self.compute_loss(batch)
        self.manual_backward(loss)
        self.clip_gradients(opt, gradient_clip_val=0.5, gradient_clip_algorithm="norm")
        opt.step()

    # Keras custom train_step
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = self.compiled_loss(y, self(x, training=True))
        gradients = tape.gradient(loss, self.trainable_variables)
        gradients = [tf.clip_by_norm(g, 1.0) for g in gradients]
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return {"loss": loss}
"""


@pytest.mark.parametrize("code", ["NAN302", "NAN303", "NAN304", "NAN305", "NAN306", "NAN307", "NAN308", "NAN309"])
def test_common_correct_training_code_is_silent(code):
    assert findings(code, CORRECT_TRAINING_CODE) == []


# --- NAN301 at the threshold in test code -------------------------------------------

AT_THRESHOLD = """
import torch
sgd = torch.optim.SGD(model.parameters(), lr=1.0)
adam = torch.optim.Adam(model.parameters(), lr=0.1)
above = torch.optim.Adam(model.parameters(), lr=2)
"""


@pytest.mark.parametrize("path", ["train.py", "examples/train.py", "src/latest.py", "src/contest_utils.py",
                                  "tests/seeds/lr_sgd_bad.py"])
def test_rates_at_the_threshold_are_flagged_in_ordinary_code(path):
    found = [d.line for d in run_rule(all_rules()["NAN301"], AT_THRESHOLD, path=path)]
    assert found == [3, 4, 5]


@pytest.mark.parametrize("path", ["tests/training/test_strategies.py", "pkg/dp_model_test.py", "test_a.py",
                                  "conftest.py", "pkg/common_test_utils.py"])
def test_test_code_is_flagged_only_above_the_threshold(path):
    found = [d.line for d in run_rule(all_rules()["NAN301"], AT_THRESHOLD, path=path)]
    assert found == [5]


def test_test_code_at_the_threshold_can_be_flagged_with_an_option():
    found = run_rule(all_rules()["NAN301"], AT_THRESHOLD, {"at_threshold_in_tests": True}, path="tests/test_a.py")
    assert [d.line for d in found] == [3, 4, 5]
