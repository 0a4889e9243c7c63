"""What an expression's value can be: a small abstract domain for NaN reasoning.

A `Value` records only what the source shows. Unknown is unknown: an expression
the model cannot read has no bounds and no evidence of reaching zero, and rules
stay silent on it. Facts come from the operation that produced a value
(softmax lies in [0, 1] and can round to 0; `x.clamp(min=1e-6)` is at least
1e-6) and flow through local assignments, which the semantic model records.

Besides bounds and zero evidence a value may carry:
- `magnitude`: the typical size of a data array's elements (raw pixels: 255,
  `torch.randn(...)`: 1), scaled by arithmetic with constants and lost by any
  other operation, so "any normalization on the path" makes it unknown;
- `elements`, `item`, `result`: what unpacking or `x[0]`, iterating, and calling
  the value give (a `load_data()` tuple, a dataset or loader, a transform).
"""

from __future__ import annotations

import ast
import functools
import math
from dataclasses import dataclass, field
from typing import FrozenSet, Optional, Tuple

# Kinds of evidence that a value can be exactly zero; rules pick the kinds they act on.
UNDERFLOW = "underflow"  # softmax / sigmoid outputs that round to 0
REDUCTION = "reduction"  # std, var, norm, max - min: 0 for constant or all-zero input
COUNT = "count"  # len(...), count_nonzero: 0 when empty
SUM = "sum"  # a sum of terms that can all be 0 or cancel
NONNEGATIVE = "nonnegative"  # abs, square, relu: 0 wherever the input is 0
DIFFERENCE = "difference"  # 1 - p for a probability p
CLAMPED_AT_ZERO = "clamped-at-zero"  # clamp(min=0) keeps 0 in range
MODEL_OUTPUT = "model-output"  # raw output of a network: any sign, any size
LITERAL = "literal"  # the constant 0 itself
NAMED = "named"  # a parameter named like a probability (`probs`, `y_pred`), value unseen
MASK = "mask"  # a 0/1 mask or a comparison: 0 wherever it does not select

# Tags: roles of a value that rules and the model read.
PROBABILITY = "probability"  # an output of softmax or sigmoid (or a slice, mean or product of them)
EPS = "eps"  # a small positive guard constant whose value the source does not show (`eps`, `self.eps`)
RAW_PIXELS = "raw-pixels"  # image data in its stored 0-255 range
RANDOM = "random"  # a random array (`torch.randn(...)`), possibly scaled
PROBABILITY_NAME = "probability-name"  # a parameter named like a probability
_NEVER_ALL_ZERO = frozenset({"softmax", "sigmoid", "exp", "nonzero-vector", RANDOM})
# Tags that name the producing operation and must not survive arithmetic on the value.
_PRODUCER_TAGS = frozenset({PROBABILITY})

# A positive lower bound for guards whose exact value the source does not show.
TINY = 1e-300


@dataclass(frozen=True)
class Zero:
    """Evidence that a value can be exactly 0, and how to say so in a message."""

    kind: str
    reason: str


@dataclass(frozen=True)
class Value:
    const: Optional[float] = None  # exact value, when it is a known constant
    lo: Optional[float] = None  # a lower bound that always holds
    hi: Optional[float] = None  # an upper bound that always holds
    zero: Optional[Zero] = None  # evidence that the value can be exactly 0
    guarded: bool = False  # built with an explicit guard: clamp, maximum, + eps
    tags: FrozenSet[str] = field(default_factory=frozenset)  # producing ops and roles
    magnitude: Optional[float] = None  # typical |element| of a data array (raw pixels: 255)
    elements: Optional[Tuple["Value", ...]] = None  # items of a tuple, for unpacking and `t[0]`
    item: Optional["Value"] = None  # what iterating gives (a dataset's or a loader's samples)
    result: Optional["Value"] = None  # what calling gives (a transform pipeline's output)
    # The node that produced the data facts (magnitude), for messages; not part of equality.
    origin: Optional[object] = field(default=None, compare=False, hash=False)

    @property
    def positive(self) -> bool:
        """Bounded away from zero (a guard, a positive constant, a positive floor)."""
        return self.lo is not None and self.lo > 0

    @property
    def can_be_zero(self) -> bool:
        return self.zero is not None and not self.positive

    def tagged(self, *tags: str) -> "Value":
        combined = self.tags | frozenset(tags)
        if combined == self.tags:
            return self
        # `replace(self, tags=combined)`, without `replace`'s generic field handling: the
        # model tags tens of thousands of values per run.
        copy = object.__new__(Value)
        copy.__dict__.update(self.__dict__, tags=combined)
        return copy


UNKNOWN = Value()


@functools.lru_cache(maxsize=4096)
def literal(text: str) -> object:
    """The value of a number or string literal's source text, as libcst's `evaluated_value`
    gives it, computed once per distinct text (`ast.literal_eval` compiles every time)."""
    return ast.literal_eval(text)


# Integers past the float range (a 400-digit literal, `10 ** 400`) cannot be compared with a
# float threshold without overflowing; the model treats them as unknown.
_LARGEST_INT = 2 ** 1023
# Folding `a ** b` on integers is skipped past this many result bits: `10 ** 10 ** 10` in a
# file must not make the linter compute a ten-billion-digit number.
_MOST_POWER_BITS = 4096


def constant(number: float) -> Value:
    if isinstance(number, int) and not -_LARGEST_INT < number < _LARGEST_INT:
        return UNKNOWN
    zero = Zero(LITERAL, "it is the constant 0") if number == 0 else None
    return Value(const=number, lo=number, hi=number, zero=zero)


def probability(op: str) -> Value:
    return Value(lo=0.0, hi=1.0, zero=Zero(UNDERFLOW, f"a `{op}` output underflows to 0"), tags=frozenset({op, PROBABILITY}))


def named_probability(name: str) -> Value:
    """A parameter whose name says it holds probabilities; what the caller passes is not seen."""
    reason = f"`{name}` is named as a probability or prediction, and those reach exactly 0"
    return Value(lo=0.0, hi=1.0, zero=Zero(NAMED, reason), tags=frozenset({PROBABILITY_NAME}))


def mask(*tags: str) -> Value:
    """A 0/1 selection (a comparison, an `attention_mask`): its sum counts what it selects."""
    return Value(lo=0.0, hi=1.0, zero=Zero(MASK, "a mask can select nothing"), tags=frozenset({"mask", *tags}))


def nonnegative(kind: str, reason: str, *tags: str) -> Value:
    return Value(lo=0.0, zero=Zero(kind, reason), tags=frozenset(tags))


def eps_like() -> Value:
    """A guard constant named like an epsilon whose value is not visible (a parameter, `self.eps`)."""
    return Value(lo=TINY, tags=frozenset({EPS}))


def data(magnitude: float, origin: object, *tags: str) -> Value:
    """A data array whose elements are typically about `magnitude` in size."""
    return Value(magnitude=magnitude, origin=origin, tags=frozenset(tags))


def join(a: Value, b: Value) -> Value:
    """A value that is either `a` or `b` (where, if-else)."""
    if a.const is not None and a.const == b.const:
        return a
    lo = min(a.lo, b.lo) if a.lo is not None and b.lo is not None else None
    hi = max(a.hi, b.hi) if a.hi is not None and b.hi is not None else None
    magnitude = max(a.magnitude, b.magnitude) if a.magnitude is not None and b.magnitude is not None else None
    return Value(lo=lo, hi=hi, zero=a.zero or b.zero, guarded=a.guarded and b.guarded, tags=a.tags & b.tags,
                 magnitude=magnitude, origin=a.origin or b.origin if magnitude is not None else None)


def _safe(number: Optional[float]) -> Optional[float]:
    if number is None or not isinstance(number, (int, float)) or math.isnan(number):
        return None
    return number


def _magnitude_with(x: Value, c: float, scale: bool) -> Optional[float]:
    """`x * c` (scale) or `x + c` (shift) applied to a data magnitude."""
    if x.magnitude is None:
        return None
    return _safe(x.magnitude * abs(c)) if scale else _safe(x.magnitude + abs(c))


def _data_facts(x: Value, magnitude: Optional[float]) -> dict:
    return {"magnitude": magnitude, "origin": x.origin if magnitude is not None else None}


def add(a: Value, b: Value) -> Value:
    if a.const is not None and b.const is not None:
        return constant(a.const + b.const)
    for x, c in ((a, b), (b, a)):
        if c.const == 0:
            return x
    for x, c in ((a, b), (b, a)):
        # x + c with c > 0 (a constant or an `eps`): the usual guard. Bounded away from 0
        # unless x is known to go negative.
        if (c.positive and c.const is not None) or EPS in c.tags:
            if x.lo is None or x.lo >= 0:
                lo = x.lo + c.lo if x.lo is not None else c.lo
                hi = x.hi + c.hi if x.hi is not None and c.hi is not None else None
                magnitude = _magnitude_with(x, c.const, scale=False) if c.const is not None else None
                return Value(lo=lo, hi=hi, guarded=True, tags=x.tags - _PRODUCER_TAGS, **_data_facts(x, magnitude))
    for x, c in ((a, b), (b, a)):
        if c.const is not None:
            lo = _safe(x.lo + c.const) if x.lo is not None else None
            hi = _safe(x.hi + c.const) if x.hi is not None else None
            return Value(lo=lo, hi=hi, tags=x.tags - _PRODUCER_TAGS, **_data_facts(x, _magnitude_with(x, c.const, scale=False)))
    if a.lo is not None and b.lo is not None:
        lo = a.lo + b.lo
        zero = a.zero if (a.zero and b.zero and lo <= 0) else None
        return Value(lo=lo, zero=zero, guarded=a.guarded or b.guarded)
    return UNKNOWN


def subtract(a: Value, b: Value) -> Value:
    if a.const is not None and b.const is not None:
        return constant(a.const - b.const)
    if b.const == 0:
        return a
    # c - p where p <= c: `1 - p` for a probability is in [0, 1] and 0 where p rounds to 1.
    if a.const is not None and b.hi is not None:
        lo = a.const - b.hi
        hi = a.const - b.lo if b.lo is not None else None
        if lo > 0:
            return Value(lo=lo, hi=hi, guarded=b.guarded)
        if b.tags & {PROBABILITY, PROBABILITY_NAME} and a.const == 1:
            reason = "`1 - p` is 0 where the probability p rounds to 1"
        elif lo == 0:
            reason = f"`{a.const:g} - x` is 0 where x reaches its upper bound {b.hi:g}"
        else:
            reason = f"`{a.const:g} - x` is 0 or negative where x reaches {a.const:g}"
        return Value(lo=lo, hi=hi, zero=Zero(DIFFERENCE, reason), tags=frozenset({"one-minus"}))
    if b.const is not None:
        lo = _safe(a.lo - b.const) if a.lo is not None else None
        hi = _safe(a.hi - b.const) if a.hi is not None else None
        return Value(lo=lo, hi=hi, tags=a.tags - _PRODUCER_TAGS, **_data_facts(a, _magnitude_with(a, b.const, scale=False)))
    if "reduce-max" in a.tags and "reduce-min" in b.tags:
        of_input = ("of-input",) if "of-input" in a.tags and "of-input" in b.tags else ()
        return nonnegative(REDUCTION, "`max - min` is 0 when all values are equal", "range", *of_input)
    if b.tags & {"reduce-max", "logsumexp"}:
        # `x - x.max(...)` / `x - logsumexp(x)`: the shift that keeps `exp` from overflowing.
        return Value(tags=frozenset({"max-shifted"}))
    return UNKNOWN


def multiply(a: Value, b: Value) -> Value:
    if a.const is not None and b.const is not None:
        return constant(a.const * b.const)
    for x, c in ((a, b), (b, a)):
        if c.const is None:
            continue
        if c.const == 0:
            return constant(0)
        bounds = (_safe(x.lo * c.const) if x.lo is not None else None, _safe(x.hi * c.const) if x.hi is not None else None)
        lo, hi = bounds if c.const > 0 else bounds[::-1]
        return Value(lo=lo, hi=hi, zero=x.zero, guarded=x.guarded, tags=x.tags - _PRODUCER_TAGS,
                     **_data_facts(x, _magnitude_with(x, c.const, scale=True)))
    if a.lo is not None and b.lo is not None and a.lo >= 0 and b.lo >= 0:
        lo = a.lo * b.lo
        hi = a.hi * b.hi if a.hi is not None and b.hi is not None else None
        zero = a.zero or b.zero
        tags = frozenset({PROBABILITY}) if PROBABILITY in a.tags and PROBABILITY in b.tags else frozenset()
        return Value(lo=lo, hi=hi, zero=zero if lo <= 0 else None, tags=tags)
    return UNKNOWN


def divide(a: Value, b: Value) -> Value:
    if a.const is not None and b.const is not None:
        return constant(a.const / b.const) if b.const != 0 else UNKNOWN
    if b.const is not None and b.const != 0:
        bounds = (_safe(a.lo / b.const) if a.lo is not None else None, _safe(a.hi / b.const) if a.hi is not None else None)
        lo, hi = bounds if b.const > 0 else bounds[::-1]
        return Value(lo=lo, hi=hi, zero=a.zero, guarded=a.guarded, tags=a.tags - _PRODUCER_TAGS,
                     **_data_facts(a, _magnitude_with(a, 1 / b.const, scale=True)))
    if a.positive and b.positive:
        return Value(lo=0.0)
    return UNKNOWN


def floor_divide(a: Value, b: Value) -> Value:
    if a.const is not None and b.const is not None and b.const != 0:
        try:
            return constant(a.const // b.const)
        except (OverflowError, ValueError):
            return UNKNOWN
    return UNKNOWN


def _raise(base: float, exponent: float) -> Optional[float]:
    """`base ** exponent`, or None where it overflows, is complex or would be too big to compute."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 \
            and exponent * max(abs(base).bit_length(), 1) > _MOST_POWER_BITS:
        return None
    try:
        result = base ** exponent
    except (OverflowError, ZeroDivisionError):
        return None
    return _safe(result)


def power(base: Value, exponent: Value) -> Value:
    if base.const is not None and exponent.const is not None:
        result = _raise(base.const, exponent.const)
        return constant(result) if result is not None else UNKNOWN
    e = exponent.const
    if e is not None and float(e).is_integer() and e % 2 == 0 and e > 0:
        return square_of(base, "square", "a square is 0 where its base is 0")
    if e is not None and e > 0 and base.lo is not None and base.lo >= 0:
        # `var ** 0.5` is a square root: 0 stays 0, a positive floor stays positive.
        lo = _raise(base.lo, e)
        return Value(lo=lo, zero=base.zero if not base.positive else None, guarded=base.guarded,
                     tags=base.tags & {"std", "var", "norm", "range", "sum"})
    return UNKNOWN


def square_of(base: Value, tag: str, reason: str) -> Value:
    """`x ** 2`, `abs(x)`: non-negative. Exactly 0 only where `x` is known to reach 0; for a value
    we know nothing about, a sum of these is what can be 0 (an all-zero vector, like a norm)."""
    kept = base.tags & _NEVER_ALL_ZERO  # the square of a softmax row or a random draw is not all 0 either
    if base.positive:
        return Value(lo=_safe(base.lo ** 2) if tag == "square" else base.lo, tags=frozenset({tag}) | kept)  # type: ignore[operator]
    if base.zero is not None:
        return nonnegative(NONNEGATIVE, reason, tag)
    return Value(lo=0.0, tags=frozenset({tag}) | kept)


def negate(a: Value) -> Value:
    if a.const is not None:
        return constant(-a.const)
    lo = -a.hi if a.hi is not None else None
    hi = -a.lo if a.lo is not None else None
    return Value(lo=lo, hi=hi, zero=a.zero, **_data_facts(a, a.magnitude))
