"""What an expression's value can be: a small abstract domain for NaN reasoning.

A `Value` records only what the source shows. Unknown is unknown: an expression
the model cannot read has no bounds and no evidence of reaching zero, and rules
stay silent on it. Facts come from the operation that produced a value
(softmax lies in [0, 1] and can round to 0; `x.clamp(min=1e-6)` is at least
1e-6) and flow through local assignments, which the semantic model records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import FrozenSet, Optional

# Kinds of evidence that a value can be exactly zero; rules pick the kinds they act on.
UNDERFLOW = "underflow"  # softmax / sigmoid / exp outputs that round to 0
REDUCTION = "reduction"  # std, var, norm, max - min: 0 for constant or all-zero input
COUNT = "count"  # len(...), a sum of a mask: 0 when empty
SUM = "sum"  # a sum of terms that can all be 0 or cancel
NONNEGATIVE = "nonnegative"  # abs, square, relu: 0 wherever the input is 0
DIFFERENCE = "difference"  # 1 - p for a probability p
CLAMPED_AT_ZERO = "clamped-at-zero"  # clamp(min=0) keeps 0 in range
MODEL_OUTPUT = "model-output"  # raw output of a network: any sign, any size
LITERAL = "literal"  # the constant 0 itself


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

    @property
    def positive(self) -> bool:
        """Bounded away from zero (a guard, a positive constant, a positive floor)."""
        return self.lo is not None and self.lo > 0

    @property
    def can_be_zero(self) -> bool:
        return self.zero is not None and not self.positive

    def tagged(self, *tags: str) -> "Value":
        return replace(self, tags=self.tags | frozenset(tags))


UNKNOWN = Value()


def constant(number: float) -> Value:
    zero = Zero(LITERAL, "it is the constant 0") if number == 0 else None
    return Value(const=number, lo=number, hi=number, zero=zero)


def probability(op: str) -> Value:
    return Value(lo=0.0, hi=1.0, zero=Zero(UNDERFLOW, f"`{op}` output underflows to 0"), tags=frozenset({op, "probability"}))


def nonnegative(kind: str, reason: str, *tags: str) -> Value:
    return Value(lo=0.0, zero=Zero(kind, reason), tags=frozenset(tags))


def join(a: Value, b: Value) -> Value:
    """A value that is either `a` or `b` (where, if-else)."""
    if a.const is not None and a.const == b.const:
        return a
    lo = min(a.lo, b.lo) if a.lo is not None and b.lo is not None else None
    hi = max(a.hi, b.hi) if a.hi is not None and b.hi is not None else None
    return Value(lo=lo, hi=hi, zero=a.zero or b.zero, guarded=a.guarded and b.guarded, tags=a.tags & b.tags)


def _safe(number: float) -> Optional[float]:
    return number if isinstance(number, (int, float)) and not math.isnan(number) else None


def add(a: Value, b: Value) -> Value:
    if a.const is not None and b.const is not None:
        return constant(a.const + b.const)
    for x, c in ((a, b), (b, a)):
        # x + c with c > 0: the usual epsilon guard. Bounded away from 0 unless x may be negative.
        if c.const is not None and c.const > 0 and (x.lo is None or x.lo >= 0):
            lo = x.lo + c.const if x.lo is not None else c.const
            return Value(lo=lo, guarded=True, tags=x.tags - {"probability"})
        if c.const == 0:
            return x
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
    if a.const is not None and b.hi is not None and a.const >= b.hi and b.zero is not None:
        hi = a.const - b.lo if b.lo is not None else None
        reason = "`1 - p` is 0 where a probability p rounds to 1" if "probability" in b.tags else "the difference can be 0"
        return Value(lo=a.const - b.hi, hi=hi, zero=Zero(DIFFERENCE, reason), tags=frozenset({"one-minus"}))
    if "reduce-max" in a.tags and "reduce-min" in b.tags:
        return nonnegative(REDUCTION, "`max - min` is 0 when all values are equal", "range")
    return UNKNOWN


def multiply(a: Value, b: Value) -> Value:
    if a.const is not None and b.const is not None:
        return constant(a.const * b.const)
    for x, c in ((a, b), (b, a)):
        if c.const is not None and c.const > 0:
            lo = _safe(x.lo * c.const) if x.lo is not None else None
            hi = _safe(x.hi * c.const) if x.hi is not None else None
            return Value(lo=lo, hi=hi, zero=x.zero, guarded=x.guarded, tags=x.tags - {"probability"})
    if a.lo is not None and b.lo is not None and a.lo >= 0 and b.lo >= 0:
        lo = a.lo * b.lo
        hi = a.hi * b.hi if a.hi is not None and b.hi is not None else None
        zero = a.zero or b.zero
        tags = frozenset({"probability"}) if "probability" in a.tags and "probability" in b.tags else frozenset()
        return Value(lo=lo, hi=hi, zero=zero if lo <= 0 else None, tags=tags)
    return UNKNOWN


def divide(a: Value, b: Value) -> Value:
    if a.const is not None and b.const is not None and b.const != 0:
        return constant(a.const / b.const)
    if b.const is not None and b.const > 0:
        lo = a.lo / b.const if a.lo is not None else None
        hi = a.hi / b.const if a.hi is not None else None
        return Value(lo=lo, hi=hi, zero=a.zero, guarded=a.guarded, tags=a.tags - {"probability"})
    if a.positive and b.positive:
        return Value(lo=0.0)
    return UNKNOWN


def power(base: Value, exponent: Value) -> Value:
    if base.const is not None and exponent.const is not None:
        try:
            result = base.const ** exponent.const
        except (OverflowError, ZeroDivisionError):
            return UNKNOWN
        return constant(result) if isinstance(result, (int, float)) else UNKNOWN
    if exponent.const is not None and float(exponent.const).is_integer() and exponent.const % 2 == 0 and exponent.const > 0:
        if base.positive:
            return Value(lo=0.0, tags=frozenset({"square"}))
        return nonnegative(NONNEGATIVE, "a square is 0 where its base is 0", "square")
    return UNKNOWN


def negate(a: Value) -> Value:
    if a.const is not None:
        return constant(-a.const)
    lo = -a.hi if a.hi is not None else None
    hi = -a.lo if a.lo is not None else None
    return Value(lo=lo, hi=hi, zero=a.zero)
