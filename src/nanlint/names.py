"""Every framework's spelling of the operations nanlint reasons about.

This module is data. A call resolves to a qualified name (``T.log`` under
``import torch as T`` becomes ``torch.log``); the tables below map qualified
names to one canonical operation. Adding a framework or an alias is one entry.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, Mapping, Tuple

# Module prefixes that are one namespace of elementwise math, per framework.
TORCH = ("torch", "torch.special", "torch.Tensor")
TORCH_NN = ("torch.nn.functional",)
TF = (
    "tensorflow",
    "tensorflow.math",
    "tensorflow.nn",
    "tensorflow.compat.v1",
    "tensorflow.compat.v1.math",
    "tensorflow.compat.v1.nn",
    "tensorflow.compat.v2",
    "tensorflow.compat.v2.math",
    "tensorflow.compat.v2.nn",
)
KERAS = (
    "keras.ops",
    "keras.backend",
    "keras.activations",
    "tensorflow.keras.backend",
    "tensorflow.keras.activations",
    "tensorflow.keras.ops",
    "tf_keras.backend",
)
NUMPY = ("numpy", "jax.numpy", "autograd.numpy", "cupy")
JAX_NN = ("jax.nn", "jax.scipy.special", "flax.linen", "optax")
SCIPY = ("scipy.special",)
MATH = ("math",)

ALL_ARRAY = TORCH + TORCH_NN + TF + KERAS + NUMPY + JAX_NN


def _spell(namespaces: Iterable[str], *functions: str) -> Tuple[str, ...]:
    return tuple(f"{ns}.{fn}" for ns in namespaces for fn in functions)


# canonical operation -> qualified names that perform it
OPERATIONS: Dict[str, Tuple[str, ...]] = {
    "log": _spell(TORCH + TF + KERAS + NUMPY + MATH, "log"),
    "log2": _spell(TORCH + TF + KERAS + NUMPY + MATH, "log2"),
    "log10": _spell(TORCH + TF + KERAS + NUMPY + MATH, "log10"),
    "log1p": _spell(TORCH + TF + KERAS + NUMPY + MATH, "log1p"),
    "exp": _spell(TORCH + TF + KERAS + NUMPY + MATH, "exp"),
    "expm1": _spell(TORCH + TF + KERAS + NUMPY + MATH, "expm1"),
    "sqrt": _spell(TORCH + TF + KERAS + NUMPY + MATH, "sqrt"),
    "rsqrt": _spell(TORCH + TF + KERAS, "rsqrt") + ("jax.lax.rsqrt",),
    "pow": _spell(TORCH + TF + KERAS + NUMPY + MATH, "pow") + _spell(NUMPY, "power"),
    "div": _spell(TORCH, "div", "divide", "true_divide")
    + _spell(TF + KERAS, "divide", "truediv", "div", "realdiv")
    + _spell(NUMPY, "divide", "true_divide"),
    "reciprocal": _spell(TORCH + TF + KERAS + NUMPY, "reciprocal"),
    "divide_no_nan": _spell(TF, "divide_no_nan"),
    "softmax": _spell(TORCH + TORCH_NN + TF + KERAS + JAX_NN + SCIPY, "softmax"),
    "log_softmax": _spell(TORCH + TORCH_NN + TF + KERAS + JAX_NN + SCIPY, "log_softmax"),
    "sigmoid": _spell(TORCH + TORCH_NN + TF + KERAS + JAX_NN, "sigmoid")
    + _spell(SCIPY, "expit"),
    "logsigmoid": _spell(TORCH_NN, "logsigmoid")
    + _spell(TF + KERAS + JAX_NN, "log_sigmoid"),
    "softplus": _spell(TORCH_NN + TF + KERAS + JAX_NN, "softplus"),
    "logsumexp": _spell(TORCH + KERAS + JAX_NN + SCIPY, "logsumexp")
    + _spell(TF, "reduce_logsumexp"),
    "clamp": _spell(TORCH, "clamp", "clip", "clamp_min")
    + _spell(TF, "clip_by_value")
    + _spell(KERAS + NUMPY, "clip"),
    "maximum": _spell(TORCH + TF + KERAS + NUMPY, "maximum", "fmax"),
    "minimum": _spell(TORCH + TF + KERAS + NUMPY, "minimum", "fmin"),
    "abs": _spell(TORCH + TF + KERAS + NUMPY, "abs", "absolute") + ("math.fabs",),
    "square": _spell(TORCH + TF + KERAS + NUMPY, "square"),
    "norm": _spell(TORCH, "norm") + ("torch.linalg.norm", "torch.linalg.vector_norm")
    + _spell(TF, "norm") + ("tensorflow.linalg.norm", "numpy.linalg.norm", "jax.numpy.linalg.norm"),
    "std": _spell(TORCH + NUMPY + KERAS, "std") + _spell(TF, "reduce_std"),
    "var": _spell(TORCH + NUMPY + KERAS, "var") + _spell(TF, "reduce_variance"),
    "sum": _spell(TORCH + NUMPY + KERAS, "sum") + _spell(TF, "reduce_sum"),
    "mean": _spell(TORCH + NUMPY + KERAS, "mean") + _spell(TF, "reduce_mean"),
    "max": _spell(TORCH + NUMPY + KERAS, "max", "amax") + _spell(TF, "reduce_max"),
    "min": _spell(TORCH + NUMPY + KERAS, "min", "amin") + _spell(TF, "reduce_min"),
    "where": _spell(TORCH + TF + KERAS + NUMPY, "where"),
    "relu": _spell(TORCH + TORCH_NN + TF + KERAS + JAX_NN, "relu"),
    "acos": _spell(TORCH + TF + KERAS + NUMPY + MATH, "acos", "arccos"),
    "asin": _spell(TORCH + TF + KERAS + NUMPY + MATH, "asin", "arcsin"),
    "atanh": _spell(TORCH + TF + KERAS + NUMPY + MATH, "atanh", "arctanh"),
    "normalize": _spell(TORCH_NN, "normalize") + ("tensorflow.math.l2_normalize", "tensorflow.nn.l2_normalize"),
}

# Tensor methods: method name -> (operation, most positional args it takes).
# The arity keeps `logger.log(level, msg)` from being read as a tensor `log`.
METHODS: Dict[str, Tuple[str, int]] = {
    "log": ("log", 0),
    "log_": ("log", 0),
    "log2": ("log2", 0),
    "log10": ("log10", 0),
    "log1p": ("log1p", 0),
    "exp": ("exp", 0),
    "exp_": ("exp", 0),
    "expm1": ("expm1", 0),
    "sqrt": ("sqrt", 0),
    "sqrt_": ("sqrt", 0),
    "rsqrt": ("rsqrt", 0),
    "pow": ("pow", 1),
    "div": ("div", 1),
    "reciprocal": ("reciprocal", 0),
    "softmax": ("softmax", 1),
    "log_softmax": ("log_softmax", 1),
    "sigmoid": ("sigmoid", 0),
    "clamp": ("clamp", 2),
    "clamp_": ("clamp", 2),
    "clip": ("clamp", 2),
    "clamp_min": ("clamp", 1),
    "clamp_min_": ("clamp", 1),
    "abs": ("abs", 0),
    "square": ("square", 0),
    "norm": ("norm", 2),
    "std": ("std", 1),
    "var": ("var", 1),
    "sum": ("sum", 1),
    "mean": ("mean", 1),
    "amax": ("max", 1),
    "amin": ("min", 1),
    "max": ("max", 1),
    "min": ("min", 1),
    "relu": ("relu", 0),
    "acos": ("acos", 0),
    "arccos": ("acos", 0),
    "asin": ("asin", 0),
    "arcsin": ("asin", 0),
    "atanh": ("atanh", 0),
    "arctanh": ("atanh", 0),
    "logsumexp": ("logsumexp", 1),
}

# Methods that keep a tensor's values (shape, device and dtype plumbing).
VALUE_PRESERVING_METHODS: FrozenSet[str] = frozenset(
    {
        "view", "reshape", "view_as", "reshape_as", "squeeze", "unsqueeze", "flatten",
        "permute", "transpose", "t", "T", "contiguous", "detach", "clone", "to",
        "float", "double", "half", "bfloat16", "cpu", "cuda", "expand", "expand_as",
        "repeat", "gather", "index_select", "masked_select", "type_as", "type",
        "numpy", "squeeze_", "unsqueeze_", "flip", "roll", "narrow", "select",
    }
)

# Functions that keep their first argument's values.
VALUE_PRESERVING_FUNCTIONS: FrozenSet[str] = frozenset(
    _spell(TORCH + TF + KERAS + NUMPY, "reshape", "squeeze", "expand_dims", "transpose", "gather",
           "stop_gradient", "cast", "asarray", "array", "convert_to_tensor", "flatten", "unsqueeze",
           "permute", "take_along_axis", "gather_nd", "identity")
    + ("jax.lax.stop_gradient",)
)

# --- Optimizers -----------------------------------------------------------------

# Optimizer families; the learning-rate thresholds are keyed by family.
OPTIMIZER_FAMILIES: Dict[str, Tuple[str, ...]] = {
    "sgd": ("SGD", "sgd", "GradientDescentOptimizer", "MomentumOptimizer", "noisy_sgd"),
    "adam": (
        "Adam", "AdamW", "Adamax", "NAdam", "Nadam", "RAdam", "SparseAdam", "AdamOptimizer",
        "adam", "adamw", "adamax", "nadam", "radam", "AdamWeightDecay", "Lion", "lion",
        "Adafactor", "adafactor", "Lamb", "LAMB", "lamb", "Adan", "Yogi", "yogi",
    ),
    "rmsprop": ("RMSprop", "RMSProp", "RMSPropOptimizer", "rmsprop"),
    "adagrad": ("Adagrad", "AdagradOptimizer", "adagrad"),
    "adadelta": ("Adadelta", "AdadeltaOptimizer", "adadelta"),
    "lbfgs": ("LBFGS", "lbfgs"),
}

# Where optimizer classes live, per framework.
OPTIMIZER_MODULES: Tuple[str, ...] = (
    "torch.optim",
    "tensorflow.train",
    "tensorflow.compat.v1.train",
    "tensorflow.optimizers",
    "tensorflow.keras.optimizers",
    "tensorflow.keras.optimizers.legacy",
    "tensorflow.keras.optimizers.experimental",
    "keras.optimizers",
    "keras.optimizers.legacy",
    "keras.optimizers.experimental",
    "tf_keras.optimizers",
    "optax",
    "transformers",
    "transformers.optimization",
    "bitsandbytes.optim",
    "torch_optimizer",
    "timm.optim",
)


def _optimizer_table() -> Mapping[str, str]:
    table: Dict[str, str] = {}
    for family, classes in OPTIMIZER_FAMILIES.items():
        for module in OPTIMIZER_MODULES:
            for cls in classes:
                table[f"{module}.{cls}"] = family
    return table


# qualified optimizer name -> family
OPTIMIZERS: Mapping[str, str] = _optimizer_table()

# Position of the learning rate among positional arguments, by framework prefix.
# torch.optim.X(params, lr, ...); optax.x(learning_rate, ...); keras X(learning_rate, ...).
def learning_rate_position(qualified_name: str) -> int:
    return 1 if qualified_name.startswith(("torch.", "bitsandbytes.", "torch_optimizer.", "timm.", "transformers.")) else 0


LEARNING_RATE_KEYWORDS: Tuple[str, ...] = ("lr", "learning_rate")

# --- Gradient clipping ------------------------------------------------------------

GRADIENT_CLIPPING: FrozenSet[str] = frozenset(
    _spell(("torch.nn.utils", "torch.nn.utils.clip_grad"), "clip_grad_norm_", "clip_grad_value_", "clip_grad_norm")
)
# Method spellings of clipping on framework helper objects (accelerator, fabric, ...).
GRADIENT_CLIPPING_METHODS: FrozenSet[str] = frozenset(
    {"clip_grad_norm_", "clip_grad_value_", "clip_grad_norm", "clip_gradients"}
)


def build_reverse_index(operations: Mapping[str, Tuple[str, ...]]) -> Dict[str, str]:
    index: Dict[str, str] = {}
    for op, spellings in operations.items():
        for qualified in spellings:
            index.setdefault(qualified, op)
    return index


# qualified name -> canonical operation
OPERATION_OF: Dict[str, str] = build_reverse_index(OPERATIONS)

# Module roots that the semantic model treats as array frameworks. A call through an
# import of one of these is never read as a tensor method.
FRAMEWORK_ROOTS: FrozenSet[str] = frozenset(
    {"torch", "tensorflow", "keras", "tf_keras", "numpy", "jax", "flax", "optax", "scipy", "math", "cupy", "autograd"}
)
