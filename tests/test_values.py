"""The value domain: what the semantic model knows about an expression.

Each case is a small program whose last line is `result = <expr>`; the facts the
model records for `result` must match. A fact left as None in the table is not
checked.
"""

from dataclasses import dataclass
from typing import FrozenSet, Optional

import libcst as cst
import pytest

from nanlint.semantic import values as v
from nanlint.semantic.model import SemanticModel
from nanlint.walker import walk


def value_of_result(source: str) -> v.Value:
    """The value bound to `result` at the end of the module."""
    model = SemanticModel()
    module = cst.parse_module(source)
    walk(module, [model])
    binding = model.scopes.module.bindings["result"]
    return binding.value  # type: ignore[union-attr]


@dataclass(frozen=True)
class Case:
    source: str
    can_be_zero: Optional[bool] = None
    kind: Optional[str] = None  # the kind of zero evidence
    positive: Optional[bool] = None
    const: Optional[float] = None
    lo: Optional[float] = None
    hi: Optional[float] = None
    magnitude: Optional[float] = None
    no_magnitude: bool = False  # the data facts must be gone (any normalization on the path)
    tags: FrozenSet[str] = frozenset()  # tags that must be present


T = "import torch\nimport torch.nn.functional as F\nimport numpy as np\n"

CASES = {
    # constants
    "literal": Case("result = 2 * 3 + 1", const=7, positive=True),
    "power-of-ten": Case("result = 10 ** -3", const=0.001),
    "floor-divide": Case("result = 7 // 2", const=3),
    "module-constant": Case("EPS = 1e-8\nresult = 1 - EPS", const=1 - 1e-8),
    "zero-literal": Case("result = 0", can_be_zero=True, kind=v.LITERAL),
    "numpy-pi": Case(T + "result = np.pi", const=3.141592653589793),
    # producers of values that can be 0
    "softmax": Case(T + "result = torch.softmax(x, -1)", can_be_zero=True, kind=v.UNDERFLOW, lo=0, hi=1,
                    tags=frozenset({v.PROBABILITY, "softmax"})),
    "sigmoid-method": Case(T + "result = x.sigmoid()", can_be_zero=True, kind=v.UNDERFLOW, tags=frozenset({"sigmoid"})),
    "one-minus-p": Case(T + "p = torch.sigmoid(x)\nresult = 1 - p", can_be_zero=True, kind=v.DIFFERENCE, lo=0, hi=1),
    "relu": Case(T + "result = F.relu(x)", can_be_zero=True, kind=v.NONNEGATIVE, lo=0),
    "abs-of-relu": Case(T + "result = F.relu(x).abs()", can_be_zero=True, kind=v.NONNEGATIVE),
    "abs-of-unknown": Case(T + "result = x.abs()", can_be_zero=False, lo=0),
    "square-of-relu": Case(T + "result = F.relu(x) ** 2", can_be_zero=True, kind=v.NONNEGATIVE),
    "square-of-unknown": Case(T + "result = x ** 2", can_be_zero=False, lo=0),
    "sum-of-squares": Case(T + "result = torch.sum(x ** 2, dim=-1)", can_be_zero=True, kind=v.REDUCTION),
    "sum-of-abs": Case(T + "result = x.abs().sum()", can_be_zero=True, kind=v.REDUCTION),
    "mean-of-squares": Case(T + "result = torch.mean(torch.square(a - b))", can_be_zero=False),
    "square-of-guarded": Case(T + "result = (x.abs() + 1e-3) ** 2", positive=True),
    "std": Case(T + "result = x.std(dim=0)", can_be_zero=True, kind=v.REDUCTION),
    "norm": Case(T + "result = torch.linalg.norm(x, dim=-1)", can_be_zero=True, kind=v.REDUCTION),
    "sqrt-of-var": Case(T + "result = torch.sqrt(x.var())", can_be_zero=True, kind=v.REDUCTION),
    "var-to-the-half": Case(T + "result = x.var() ** 0.5", can_be_zero=True, kind=v.REDUCTION),
    "mask-sum": Case(T + "result = mask.sum()", can_be_zero=True, kind=v.SUM),
    "range": Case(T + "lo = np.min(x)\nhi = np.max(x)\nresult = hi - lo", can_be_zero=True, kind=v.REDUCTION),
    "range-of-values": Case(T + "result = x.max(dim=1).values - x.min(dim=1).values", can_be_zero=True, kind=v.REDUCTION),
    "len": Case("result = len(items)", can_be_zero=True, kind=v.COUNT, tags=frozenset({"python"})),
    "clamp-at-zero": Case(T + "result = x.clamp(min=0)", can_be_zero=True, kind=v.CLAMPED_AT_ZERO),
    "model-output": Case(T + "model = torch.nn.Linear(3, 1)\nresult = model(x)", can_be_zero=True, kind=v.MODEL_OUTPUT),
    # guards
    "plus-eps-literal": Case(T + "result = x.std() + 1e-8", can_be_zero=False, positive=True),
    "plus-eps-name": Case(T + "def f(x, eps):\n    pass\nresult = x.abs() + eps", positive=True),
    "plus-self-eps": Case(T + "result = x.norm() + self.eps", positive=True),
    "plus-finfo-eps": Case(T + "result = x.norm() + torch.finfo(x.dtype).eps", positive=True),
    "clamp-floor": Case(T + "result = torch.clamp(1 - torch.sigmoid(x), min=1e-6)", positive=True, lo=1e-6),
    "clip-floor-numpy": Case(T + "result = np.clip(p, 1e-7, 1 - 1e-7)", positive=True, hi=1 - 1e-7),
    "one-minus-clipped": Case(T + "p = np.clip(p, 1e-7, 1 - 1e-7)\nresult = 1 - p", positive=True),
    "maximum-floor": Case(T + "result = torch.maximum(x.norm(), torch.tensor(1e-12))", positive=True),
    "max-with-eps": Case(T + "result = torch.max(x.norm(), eps)", positive=True),
    "where-guard": Case(T + "d = mask.sum()\nresult = torch.where(d == 0, torch.ones_like(d), d)", can_be_zero=False),
    "masked-assignment": Case(T + "result = x.std(0)\nresult[result == 0] = 1.0", can_be_zero=False),
    "in-place-clamp": Case(T + "result = mask.sum()\nresult.clamp_(min=1)", positive=True),
    "exp-is-not-zero-evidence": Case(T + "result = torch.exp(x)", can_be_zero=False, lo=0),
    "sum-of-exp": Case(T + "result = torch.exp(x - x.max()).sum(-1)", can_be_zero=False),
    "softplus": Case(T + "result = F.softplus(x) + 1e-4", positive=True),
    "plus-zero-is-no-guard": Case(T + "result = x.std() + 0.0", can_be_zero=True),
    # data magnitudes
    "randn-scaled": Case(T + "result = torch.randn(4, 10) * 1000", magnitude=1000, tags=frozenset({v.RANDOM})),
    "randn-scaled-back": Case(T + "x = torch.randn(4, 10) * 1000\nresult = x / 1000", magnitude=1),
    "randn-std": Case(T + "result = np.random.normal(0, size=3, scale=50.0)", magnitude=50),
    "pixels-reshaped": Case("import keras\n(x, y), _ = keras.datasets.cifar10.load_data()\nresult = x.reshape(-1, 3072).astype('float32')",
                            magnitude=255, tags=frozenset({v.RAW_PIXELS})),
    "pixels-scaled": Case("import keras\n(x, y), _ = keras.datasets.mnist.load_data()\nresult = x / 255.0", magnitude=1),
    "pixels-augassign": Case("import keras\n(x, y), _ = keras.datasets.mnist.load_data()\nresult = x\nresult /= 255", magnitude=1),
    "pixels-standardized": Case("import keras\n(x, y), _ = keras.datasets.mnist.load_data()\nresult = (x - x.mean()) / x.std()", no_magnitude=True),
    "labels-are-not-pixels": Case("import keras\n(x, y), _ = keras.datasets.mnist.load_data()\nresult = y", no_magnitude=True),
    "tuple-index": Case("import keras\ndata = keras.datasets.mnist.load_data()\nresult = data[0][0]", magnitude=255),
    "cv2": Case("import cv2\nresult = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)", magnitude=255),
    "pil-array": Case("import numpy as np\nfrom PIL import Image\nresult = np.asarray(Image.open(p).convert('RGB'))", magnitude=255),
    "pil-to-tensor-loader": Case(
        "import torch\nfrom torchvision import transforms as T, datasets\n"
        "ds = datasets.CIFAR10('.', transform=T.Compose([T.RandomCrop(32), T.PILToTensor()]))\n"
        "loader = torch.utils.data.DataLoader(ds, batch_size=8)\nfor i, (images, labels) in enumerate(loader):\n"
        "    result = images.float()", magnitude=255),
    "to-tensor-loader": Case(
        "import torch\nfrom torchvision import transforms as T, datasets\n"
        "ds = datasets.CIFAR10('.', transform=T.Compose([T.PILToTensor(), T.ConvertImageDtype(torch.float)]))\n"
        "loader = torch.utils.data.DataLoader(ds)\nfor images, labels in loader:\n    result = images", no_magnitude=True),
    "to-dtype-without-scale": Case(
        "import torch\nfrom torchvision.transforms import v2\n"
        "t = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32)])\nresult = t(img)", magnitude=255),
    "to-dtype-with-scale": Case(
        "import torch\nfrom torchvision.transforms import v2\n"
        "t = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])\nresult = t(img)", no_magnitude=True),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_value_facts(case: Case) -> None:
    value = value_of_result(case.source)
    if case.can_be_zero is not None:
        assert value.can_be_zero == case.can_be_zero, value
    if case.kind is not None:
        assert value.zero is not None and value.zero.kind == case.kind, value
    if case.positive is not None:
        assert value.positive == case.positive, value
    for fact in ("const", "lo", "hi", "magnitude"):
        expected = getattr(case, fact)
        if expected is not None:
            assert getattr(value, fact) == pytest.approx(expected), (fact, value)
    assert case.tags <= value.tags, value
    if case.no_magnitude:
        assert value.magnitude is None, value


def test_unknown_is_unknown() -> None:
    value = value_of_result("import torch\nresult = f(x) / g(y)")
    assert value == v.UNKNOWN


def test_named_probability_parameter() -> None:
    model = SemanticModel()
    module = cst.parse_module("def loss(probs, eps=1e-7, logits=None):\n    pass\n")
    seen = {}

    class Probe(cst.BatchableCSTVisitor):
        def visit_Pass(self, node: cst.Pass) -> None:
            for name in ("probs", "eps", "logits"):
                seen[name] = model.scopes.lookup(name).value  # type: ignore[union-attr]

    walk(module, [model, Probe()])
    assert seen["probs"].zero is not None and seen["probs"].zero.kind == v.NAMED
    assert seen["eps"].const == pytest.approx(1e-7)
    assert seen["logits"].zero is None


def test_magnitude_is_lost_through_unknown_calls() -> None:
    value = value_of_result("import torch\nx = torch.randn(3) * 1000\nresult = normalize(x)")
    assert value.magnitude is None


def test_join_keeps_only_shared_facts() -> None:
    joined = v.join(v.probability("softmax"), v.constant(0.5))
    assert joined.lo == 0 and joined.hi == 1
    assert joined.zero is not None
    assert v.join(v.constant(2.0), v.constant(2.0)).const == 2.0
