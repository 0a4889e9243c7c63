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
    "max": _spell(TORCH + NUMPY + KERAS, "max", "amax") + _spell(TF, "reduce_max")
    + _spell(TORCH_NN, "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"),
    "min": _spell(TORCH + NUMPY + KERAS, "min", "amin") + _spell(TF, "reduce_min"),
    "where": _spell(TORCH + TF + KERAS + NUMPY, "where"),
    "relu": _spell(TORCH + TORCH_NN + TF + KERAS + JAX_NN, "relu"),
    "acos": _spell(TORCH + TF + KERAS + NUMPY + MATH, "acos", "arccos"),
    "asin": _spell(TORCH + TF + KERAS + NUMPY + MATH, "asin", "arcsin"),
    "atanh": _spell(TORCH + TF + KERAS + NUMPY + MATH, "atanh", "arctanh"),
    "normalize": _spell(TORCH_NN, "normalize") + ("tensorflow.math.l2_normalize", "tensorflow.nn.l2_normalize"),
    "cosine_similarity": _spell(TORCH + TORCH_NN, "cosine_similarity")
    + ("optax.cosine_similarity", "keras.losses.cosine_similarity", "tensorflow.keras.losses.cosine_similarity"),
    "cdist": ("torch.cdist",),
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

# `a - b` spelled as a call: `tf.subtract(x, m)`, `torch.sub(x, m)`, `np.subtract(x, m)`, `x.sub(m)`.
SUBTRACT_FUNCTIONS: FrozenSet[str] = frozenset(_spell(TORCH + TF + KERAS + NUMPY, "subtract", "sub"))
SUBTRACT_METHODS: FrozenSet[str] = frozenset({"sub", "subtract"})

# Methods that keep a tensor's values (shape, device and dtype plumbing).
VALUE_PRESERVING_METHODS: FrozenSet[str] = frozenset(
    {
        "view", "reshape", "view_as", "reshape_as", "squeeze", "unsqueeze", "flatten",
        "permute", "transpose", "t", "T", "contiguous", "detach", "clone", "to",
        "float", "double", "half", "bfloat16", "cpu", "cuda", "expand", "expand_as",
        "repeat", "gather", "index_select", "masked_select", "type_as", "type",
        "numpy", "squeeze_", "unsqueeze_", "flip", "roll", "narrow", "select",
        "astype", "copy",
    }
)

# Functions that keep their first argument's values.
VALUE_PRESERVING_FUNCTIONS: FrozenSet[str] = frozenset(
    _spell(TORCH + TF + KERAS + NUMPY, "reshape", "squeeze", "expand_dims", "transpose", "gather",
           "stop_gradient", "cast", "asarray", "array", "convert_to_tensor", "flatten", "unsqueeze",
           "permute", "take_along_axis", "gather_nd", "identity")
    + _spell(("torch",), "from_numpy", "tensor", "as_tensor")
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

# --- The training step (NAN302-NAN310) ----------------------------------------------

# Newer torch spellings of clipping (torch >= 2.6 splits the norm from the scaling).
GRADIENT_CLIPPING_EXTRA: FrozenSet[str] = frozenset(_spell(("torch.nn.utils", "torch.nn.utils.clip_grad"), "clip_grads_with_norm_"))
# TensorFlow clipping functions, which return the clipped tensors (nothing is clipped in place).
_TF_ROOTS = ("tensorflow", "tensorflow.compat.v1", "tensorflow.compat.v2")
TF_GRADIENT_CLIPPING: Mapping[str, str] = {
    **{f"{ns}.clip_by_global_norm": "clip_by_global_norm" for ns in _TF_ROOTS},
    **{f"{ns}.clip_by_norm": "clip_by_norm" for ns in _TF_ROOTS + ("tensorflow.math",)},
    **{f"{ns}.clip_by_value": "clip_by_value" for ns in _TF_ROOTS},
}
# Functions that return gradients (as opposed to accumulating them into `.grad`).
TF_GRADIENT_FUNCTIONS: FrozenSet[str] = frozenset(_spell(_TF_ROOTS, "gradients"))
GRADIENT_TAPES: FrozenSet[str] = frozenset(_spell(_TF_ROOTS, "GradientTape"))
# AMP loss scalers (PyTorch): objects with scale/unscale_/step/update.
GRAD_SCALERS: FrozenSet[str] = frozenset(
    _spell(("torch.cuda.amp", "torch.amp", "torch.cpu.amp", "torch", "torch.amp.grad_scaler", "torch.cuda.amp.grad_scaler"),
           "GradScaler")
    + _spell(("torch.distributed.fsdp.sharded_grad_scaler", "torch.distributed.fsdp"), "ShardedGradScaler")
)
# Learning-rate schedulers: every class of these modules, plus factory functions.
LR_SCHEDULER_MODULES: Tuple[str, ...] = ("torch.optim.lr_scheduler.", "timm.scheduler.", "torch.optim.swa_utils.SWALR")
LR_SCHEDULER_FACTORIES: FrozenSet[str] = frozenset(
    _spell(("transformers", "transformers.optimization"), "get_scheduler", "get_linear_schedule_with_warmup",
           "get_cosine_schedule_with_warmup", "get_constant_schedule", "get_constant_schedule_with_warmup",
           "get_polynomial_decay_schedule_with_warmup", "get_cosine_with_hard_restarts_schedule_with_warmup",
           "get_inverse_sqrt_schedule", "get_wsd_schedule")
    + _spell(("diffusers.optimization",), "get_scheduler", "get_cosine_schedule_with_warmup",
             "get_linear_schedule_with_warmup", "get_constant_schedule_with_warmup")
    + ("timm.scheduler.create_scheduler", "timm.scheduler.create_scheduler_v2")
)
# Recurrent layers, whose gradients explode without clipping.
_KERAS_LAYER_MODULES = ("keras.layers", "tensorflow.keras.layers", "tf_keras.layers", "keras.src.layers")
RECURRENT_LAYERS: FrozenSet[str] = frozenset(
    _spell(("torch.nn", "torch.nn.modules.rnn"), "LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell")
    + _spell(_KERAS_LAYER_MODULES, "LSTM", "GRU", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell")
)


def object_role(qualified_name: str) -> "str | None":
    """The training-step role of the object a named call builds: "optimizer", "grad-scaler",
    "lr-scheduler" or "gradient-tape"; None for anything else."""
    if qualified_name in GRAD_SCALERS:
        return "grad-scaler"
    if qualified_name in LR_SCHEDULER_FACTORIES or qualified_name.startswith(LR_SCHEDULER_MODULES):
        return "lr-scheduler"
    if qualified_name in GRADIENT_TAPES:
        return "gradient-tape"
    if qualified_name in OPTIMIZERS:
        return "optimizer"
    parts = qualified_name.split(".")
    if len(parts) == 3 and parts[:2] == ["torch", "optim"] and parts[2][:1].isupper():
        return "optimizer"  # torch.optim.ASGD, torch.optim.Rprop, ...
    return None


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


# --- Data sources and preprocessing (input normalization) --------------------------

# Random-array constructors whose elements are about 1 in size (standard normal/uniform).
RANDOM_CONSTRUCTORS: FrozenSet[str] = frozenset(
    _spell(("torch",), "randn", "rand", "randn_like", "rand_like")
    + _spell(("numpy.random", "jax.numpy.random"), "randn", "rand", "standard_normal", "random", "normal", "uniform")
    + _spell(("tensorflow.random", "keras.random", "tensorflow.keras.random"), "normal", "uniform")
    + _spell(("jax.random",), "normal", "uniform")
)
# Keyword giving the spread of a random constructor, when it is not 1.
RANDOM_SCALE_KEYWORDS: Tuple[str, ...] = ("std", "stddev", "scale", "maxval", "high")

# `keras.datasets.<name>.load_data()` image datasets: ((x_train, y_train), (x_test, y_test)), uint8 0-255.
IMAGE_DATASETS: FrozenSet[str] = frozenset(
    _spell(("keras.datasets", "tensorflow.keras.datasets", "tf_keras.datasets"), "mnist", "fashion_mnist", "cifar10", "cifar100")
)
# Functions returning an image array in its stored 0-255 range.
IMAGE_READERS: FrozenSet[str] = frozenset(
    {"cv2.imread", "imageio.imread", "imageio.v2.imread", "imageio.v3.imread", "skimage.io.imread",
     "torchvision.io.read_image", "torchvision.io.decode_image", "torchvision.io.decode_jpeg",
     "torchvision.io.decode_png", "PIL.Image.open"}
)
# Readers of numeric data from files: what they return is input the code must accept as it
# comes (a constant column, a constant series).
DATA_READERS: FrozenSet[str] = frozenset(
    {"numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile",
     "pandas.read_csv", "pandas.read_table", "pandas.read_excel", "pandas.read_parquet"}
)
# Image functions and PIL methods that keep pixel values in range.
IMAGE_PLUMBING: FrozenSet[str] = frozenset(
    {"cv2.resize", "cv2.cvtColor", "PIL.Image.fromarray", "numpy.invert", "numpy.bitwise_not", "numpy.stack", "numpy.vstack"}
)
IMAGE_PLUMBING_METHODS: FrozenSet[str] = frozenset({"convert", "resize", "crop", "rotate", "transpose"})
_TORCHVISION_TRANSFORMS = ("torchvision.transforms", "torchvision.transforms.v2")
# Transforms that turn an image into an unscaled uint8 tensor.
RAW_TENSOR_TRANSFORMS: FrozenSet[str] = frozenset(_spell(_TORCHVISION_TRANSFORMS, "PILToTensor", "ToImage"))
# Transforms that scale or may scale values (ToDtype scales only with `scale=True`, read by the model).
SCALING_TRANSFORMS: FrozenSet[str] = frozenset(
    _spell(_TORCHVISION_TRANSFORMS, "ToTensor", "ConvertImageDtype", "Normalize", "Lambda", "ToDtype")
)
TRANSFORM_MODULES: Tuple[str, ...] = _TORCHVISION_TRANSFORMS
COMPOSE: FrozenSet[str] = frozenset(_spell(_TORCHVISION_TRANSFORMS, "Compose"))
DATA_LOADERS: FrozenSet[str] = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})
PROGRESS_WRAPPERS: FrozenSet[str] = frozenset({"tqdm.tqdm", "tqdm.auto.tqdm", "tqdm.notebook.tqdm", "builtins.iter"})
# Substrings of layer/module names that normalize or rescale a model's input.
NORMALIZING_LAYER_WORDS: Tuple[str, ...] = ("Normalization", "Rescaling", "Norm", "normalize", "Standardize")
# Model methods that take the input batch as their first argument.
MODEL_INPUT_METHODS: FrozenSet[str] = frozenset(
    {"fit", "predict", "evaluate", "train_on_batch", "test_on_batch", "predict_on_batch", "forward", "__call__"}
)


# --- Floating-point dtypes and reduced precision (NAN5xx) ---------------------------

# Canonical dtype -> its names in each framework namespace (`torch.half`, `np.float16`, `tf.bfloat16`).
_DTYPE_NAMESPACES = ("torch", "numpy", "jax.numpy", "tensorflow", "tensorflow.dtypes", "tensorflow.experimental.numpy",
                     "cupy", "ml_dtypes", "keras.ops")
DTYPES: Dict[str, str] = {
    **{f"{ns}.{name}": name for ns in _DTYPE_NAMESPACES for name in ("float16", "bfloat16", "float32", "float64")},
    **{f"{ns}.half": "float16" for ns in ("torch", "numpy", "jax.numpy", "tensorflow", "tensorflow.dtypes", "cupy")},
    **{f"{ns}.double": "float64" for ns in ("torch", "numpy", "jax.numpy", "tensorflow", "tensorflow.dtypes", "cupy")},
    **{f"{ns}.single": "float32" for ns in ("numpy", "jax.numpy", "cupy")},
    "torch.float": "float32",
    **{f"{ns}.{kind}Tensor": dtype for ns in ("torch", "torch.cuda")
       for kind, dtype in (("Half", "float16"), ("BFloat16", "bfloat16"), ("Float", "float32"), ("Double", "float64"))},
}
# dtype given as a string: `astype("float16")`, `dtype="bfloat16"`, `set_floatx("float16")`.
DTYPE_STRINGS: Dict[str, str] = {"float16": "float16", "half": "float16", "bfloat16": "bfloat16",
                                 "float32": "float32", "float64": "float64", "double": "float64"}
# Tensor/module methods that convert to a dtype and take no argument: `model.half()`.
DTYPE_METHODS: Dict[str, str] = {"half": "float16", "bfloat16": "bfloat16", "float": "float32", "double": "float64"}
# Methods and functions that convert to the dtype they are given: method -> (keyword, position).
DTYPE_CONVERSION_METHODS: Dict[str, Tuple[str, Optional[int]]] = {"to": ("dtype", None), "type": ("dtype", 0),
                                                                   "astype": ("dtype", 0)}
DTYPE_CONVERSION_FUNCTIONS: Dict[str, Tuple[str, int]] = {
    **{f"{ns}.cast": ("dtype", 1) for ns in ("tensorflow", "tensorflow.dtypes", "keras.ops", "keras.backend",
                                            "tensorflow.keras.backend", "tf_keras.backend")},
    **{f"{ns}.astype": ("dtype", 1) for ns in ("numpy", "jax.numpy")},
}
# Calls that set the default floating-point dtype of everything created afterwards.
DEFAULT_DTYPE_SETTERS: FrozenSet[str] = frozenset(
    {"torch.set_default_dtype"}
    | set(_spell(("keras.backend", "keras.config", "tensorflow.keras.backend", "tf_keras.backend"), "set_floatx"))
)
# Keras mixed-precision policy setters: layers compute in the policy's dtype, variables stay float32.
MIXED_PRECISION_POLICY_SETTERS: FrozenSet[str] = frozenset(
    _spell(("keras.mixed_precision", "tensorflow.keras.mixed_precision", "tf_keras.mixed_precision",
            "tensorflow.keras.mixed_precision.experimental", "keras.config"),
           "set_global_policy", "set_policy", "set_dtype_policy")
)
# torch autocast context managers/decorators -> their dtype when none is given (None: depends on the device).
AUTOCAST: Dict[str, Optional[str]] = {
    "torch.autocast": None,
    "torch.amp.autocast": None,
    "torch.amp.autocast_mode.autocast": None,
    "torch.cuda.amp.autocast": "float16",
    "torch.cuda.amp.autocast_mode.autocast": "float16",
    "torch.cpu.amp.autocast": "bfloat16",
    "torch.cpu.amp.autocast_mode.autocast": "bfloat16",
}
AUTOCAST_DEVICE_DTYPES: Dict[str, str] = {"cuda": "float16", "cpu": "bfloat16", "xpu": "bfloat16", "mps": "float16",
                                          "hpu": "bfloat16"}
# Canonical operations that torch.autocast runs in float32 whatever their input's dtype.
AUTOCAST_FLOAT32_OPS: FrozenSet[str] = frozenset(
    {"softmax", "log_softmax", "exp", "expm1", "log", "log2", "log10", "log1p", "pow", "sum", "norm", "logsumexp",
     "softplus", "reciprocal", "rsqrt", "acos", "asin", "normalize", "cosine_similarity", "cdist"}
)
# Operations that torch.autocast runs in its low-precision dtype (matrix products and convolutions).
AUTOCAST_LOW_PRECISION_FUNCTIONS: FrozenSet[str] = frozenset(
    _spell(("torch",), "matmul", "mm", "bmm", "baddbmm", "addmm", "addbmm", "einsum", "conv1d", "conv2d", "conv3d")
    + _spell(TORCH_NN, "linear", "conv1d", "conv2d", "conv3d", "scaled_dot_product_attention")
)
AUTOCAST_LOW_PRECISION_METHODS: FrozenSet[str] = frozenset({"matmul", "mm", "bmm", "baddbmm", "addmm"})

# Optimizers that add an epsilon to the denominator of their update, with where that
# epsilon is given and its default: qualified name -> (keyword, position, default).
OPTIMIZER_EPSILON: Dict[str, Tuple[str, Optional[int], float]] = {
    **{f"torch.optim.{name}": ("eps", 3, 1e-8) for name in ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SparseAdam", "RMSprop")},
    "torch.optim.Adagrad": ("eps", 5, 1e-10),
    "torch.optim.Adadelta": ("eps", 3, 1e-6),
    **{f"{module}.{name}": ("epsilon", 3, 1e-7)
       for module in ("keras.optimizers", "tensorflow.keras.optimizers", "tf_keras.optimizers",
                      "tensorflow.keras.optimizers.legacy", "keras.optimizers.legacy")
       for name in ("Adam", "AdamW", "Adamax", "Nadam", "RMSprop")},
    **{f"{module}.{name}": ("epsilon", 2, 1e-7)
       for module in ("keras.optimizers", "tensorflow.keras.optimizers", "tf_keras.optimizers",
                      "tensorflow.keras.optimizers.legacy", "keras.optimizers.legacy")
       for name in ("Adagrad", "Adadelta")},
    **{f"{module}.AdamOptimizer": ("epsilon", 3, 1e-8) for module in ("tensorflow.train", "tensorflow.compat.v1.train")},
}

# --- Losses (NAN2xx) -------------------------------------------------------------------

_KERAS_LOSSES = ("keras.losses", "tensorflow.keras.losses", "tf_keras.losses", "keras.metrics", "tensorflow.keras.metrics")
_KERAS_BACKENDS = ("keras.backend", "tensorflow.keras.backend", "tf_keras.backend", "keras.ops")
# A loss and where its prediction argument is: qualified name -> (keywords, position).
# Functions are called directly; classes are instantiated and the instance is called.
BINARY_PROBABILITY_LOSS_FUNCTIONS: Dict[str, Tuple[Tuple[str, ...], int]] = {
    "torch.nn.functional.binary_cross_entropy": (("input",), 0),
    **{f"{ns}.binary_crossentropy": (("y_pred",), 1) for ns in _KERAS_LOSSES},
    **{f"{ns}.binary_focal_crossentropy": (("y_pred",), 1) for ns in _KERAS_LOSSES},
    **{f"{ns}.binary_crossentropy": (("output",), 1) for ns in _KERAS_BACKENDS},
}
BINARY_PROBABILITY_LOSS_CLASSES: Dict[str, Tuple[Tuple[str, ...], int]] = {
    "torch.nn.BCELoss": (("input",), 0),
    "torch.nn.modules.loss.BCELoss": (("input",), 0),
    **{f"{ns}.BinaryCrossentropy": (("y_pred",), 1) for ns in _KERAS_LOSSES},
    **{f"{ns}.BinaryFocalCrossentropy": (("y_pred",), 1) for ns in _KERAS_LOSSES},
}
NLL_LOSS_FUNCTIONS: Dict[str, Tuple[Tuple[str, ...], int]] = {"torch.nn.functional.nll_loss": (("input",), 0)}
NLL_LOSS_CLASSES: Dict[str, Tuple[Tuple[str, ...], int]] = {
    "torch.nn.NLLLoss": (("input",), 0),
    "torch.nn.modules.loss.NLLLoss": (("input",), 0),
}
# Keras cross-entropy losses that take `from_logits` -> "binary" or "categorical".
KERAS_CROSSENTROPY_CLASSES: Dict[str, str] = {
    **{f"{ns}.{name}": kind for ns in _KERAS_LOSSES for name, kind in (
        ("BinaryCrossentropy", "binary"), ("BinaryFocalCrossentropy", "binary"),
        ("CategoricalCrossentropy", "categorical"), ("SparseCategoricalCrossentropy", "categorical"),
        ("CategoricalFocalCrossentropy", "categorical"))},
}
KERAS_CROSSENTROPY_FUNCTIONS: Dict[str, str] = {
    **{f"{ns}.{name}": kind for ns in _KERAS_LOSSES + _KERAS_BACKENDS for name, kind in (
        ("binary_crossentropy", "binary"), ("binary_focal_crossentropy", "binary"),
        ("categorical_crossentropy", "categorical"), ("sparse_categorical_crossentropy", "categorical"),
        ("categorical_focal_crossentropy", "categorical"))},
}
# `model.compile(loss="...")` strings (always from_logits=False).
KERAS_CROSSENTROPY_STRINGS: Dict[str, str] = {
    "binary_crossentropy": "binary", "categorical_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "categorical", "binary_focal_crossentropy": "binary",
    "categorical_focal_crossentropy": "categorical",
}
_KERAS_LAYERS = ("keras.layers", "tensorflow.keras.layers", "tf_keras.layers")
# Keras layers whose output, without an activation, is a logit.
KERAS_LINEAR_LAYERS: FrozenSet[str] = frozenset(
    _spell(_KERAS_LAYERS, "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D")
)
KERAS_ACTIVATION_LAYERS: FrozenSet[str] = frozenset(_spell(_KERAS_LAYERS, "Activation"))
KERAS_SOFTMAX_LAYERS: FrozenSet[str] = frozenset(_spell(_KERAS_LAYERS, "Softmax"))
KERAS_SEQUENTIAL: FrozenSet[str] = frozenset(
    _spell(("keras", "keras.models", "tensorflow.keras", "tensorflow.keras.models", "tf_keras", "tf_keras.models"), "Sequential")
)
KERAS_FUNCTIONAL_MODEL: FrozenSet[str] = frozenset(
    _spell(("keras", "keras.models", "tensorflow.keras", "tensorflow.keras.models", "tf_keras", "tf_keras.models"), "Model")
)
# torch modules whose output is a probability (the last element of an `nn.Sequential`).
TORCH_PROBABILITY_MODULES: Dict[str, str] = {
    "torch.nn.Sigmoid": "sigmoid", "torch.nn.Softmax": "softmax", "torch.nn.Softmax2d": "softmax",
}

# --- Initialization (NAN504, NAN505) -------------------------------------------------

# Calls that return uninitialized memory.
UNINITIALIZED_CONSTRUCTORS: FrozenSet[str] = frozenset(
    _spell(("torch",), "empty", "empty_like", "empty_strided") + _spell(("numpy", "cupy"), "empty", "empty_like")
)
UNINITIALIZED_METHODS: FrozenSet[str] = frozenset({"new_empty", "new_empty_strided"})
# Legacy tensor constructors that allocate uninitialized memory when given sizes: `torch.Tensor(3, 4)`.
LEGACY_TENSOR_CONSTRUCTORS: FrozenSet[str] = frozenset(
    f"{ns}.{kind}Tensor" for ns in ("torch", "torch.cuda") for kind in ("", "Float", "Double", "Half", "BFloat16")
)
PARAMETER_CONSTRUCTORS: FrozenSet[str] = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})
# In-place methods that overwrite every element of their receiver.
INITIALIZING_METHODS: FrozenSet[str] = frozenset(
    {"normal_", "uniform_", "zero_", "fill_", "copy_", "random_", "bernoulli_", "exponential_", "geometric_",
     "log_normal_", "cauchy_", "set_", "fill_diagonal_", "index_copy_", "index_fill_", "scatter_", "masked_fill_",
     "masked_scatter_", "put_", "index_put_", "trunc_normal_", "orthogonal_"}
)
# Weight initializers with an explicit scale. qualified name -> (kind, keywords, positions, default scale):
# "std": the scale is the standard deviation; "range": the scale is max(|low|, |high|).
_TORCH_INIT = ("torch.nn.init",)
_KERAS_INIT = ("keras.initializers", "tensorflow.keras.initializers", "tf_keras.initializers")
_JAX_INIT = ("jax.nn.initializers", "flax.linen.initializers", "flax.nnx.initializers")
INITIALIZER_SCALES: Dict[str, Tuple[str, Tuple[str, ...], Tuple[int, ...], Tuple[float, ...]]] = {
    **{f"{ns}.normal_": ("std", ("std",), (2,), (1.0,)) for ns in _TORCH_INIT},
    **{f"{ns}.trunc_normal_": ("std", ("std",), (2,), (1.0,)) for ns in _TORCH_INIT},
    **{f"{ns}.uniform_": ("range", ("a", "b"), (1, 2), (0.0, 1.0)) for ns in _TORCH_INIT},
    **{f"{ns}.{name}": ("std", ("stddev",), (1,), (0.05,)) for ns in _KERAS_INIT
       for name in ("RandomNormal", "TruncatedNormal", "random_normal", "truncated_normal")},
    **{f"{ns}.{name}": ("range", ("minval", "maxval"), (0, 1), (-0.05, 0.05)) for ns in _KERAS_INIT
       for name in ("RandomUniform", "random_uniform")},
    "tensorflow.random_normal_initializer": ("std", ("stddev",), (1,), (0.05,)),
    "tensorflow.compat.v1.random_normal_initializer": ("std", ("stddev",), (1,), (1.0,)),
    "tensorflow.truncated_normal_initializer": ("std", ("stddev",), (1,), (1.0,)),
    "tensorflow.compat.v1.truncated_normal_initializer": ("std", ("stddev",), (1,), (1.0,)),
    "tensorflow.random_uniform_initializer": ("range", ("minval", "maxval"), (0, 1), (-0.05, 0.05)),
    **{f"{ns}.{name}": ("std", ("stddev",), (0,), (1e-2,)) for ns in _JAX_INIT for name in ("normal", "truncated_normal")},
    **{f"{ns}.uniform": ("range", ("scale",), (0,), (1e-2,)) for ns in _JAX_INIT},
}
# In-place tensor methods that initialize with a scale: method -> (kind, keywords, positions, defaults).
INITIALIZER_SCALE_METHODS: Dict[str, Tuple[str, Tuple[str, ...], Tuple[int, ...], Tuple[float, ...]]] = {
    "normal_": ("std", ("std",), (1,), (1.0,)),
    "uniform_": ("range", ("from", "to"), (0, 1), (0.0, 1.0)),
}
# Random tensors that initialize a TF variable when passed to `tf.Variable(...)`.
TF_RANDOM_INITIAL_VALUES: Dict[str, Tuple[str, Tuple[str, ...], Tuple[int, ...], Tuple[float, ...]]] = {
    **{f"{ns}.{name}": ("std", ("stddev",), (2,), (1.0,))
       for ns in ("tensorflow.random", "tensorflow", "tensorflow.compat.v1", "tensorflow.compat.v1.random")
       for name in ("normal", "truncated_normal", "random_normal")},
}
TF_VARIABLES: FrozenSet[str] = frozenset({"tensorflow.Variable", "tensorflow.compat.v1.Variable"})

# --- NaN constants (NAN402) ---------------------------------------------------------------

# Namespaces whose `isnan` handles what their `nan` is compared with.
ISNAN_NAMESPACES: FrozenSet[str] = frozenset({"numpy", "torch", "jax.numpy", "math", "cupy"})
# Samplers of the uniform distribution on [0, 1): their values never reach 1.
UNIT_UNIFORM_SAMPLERS: FrozenSet[str] = frozenset(
    _spell(("torch",), "rand", "rand_like")
    + _spell(("numpy.random", "jax.numpy.random", "cupy.random"), "rand", "random", "random_sample", "uniform")
    + _spell(("jax.random", "tensorflow.random", "keras.random", "tensorflow.keras.random"), "uniform")
)
