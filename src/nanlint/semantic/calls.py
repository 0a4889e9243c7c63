"""Small, pure helpers for reading call expressions."""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import libcst as cst

from nanlint.semantic.values import literal


def positional_args(call: cst.Call) -> Iterator[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            return
        yield arg


def positional_count(call: cst.Call) -> int:
    return sum(1 for _ in positional_args(call))


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def argument(call: cst.Call, keywords: Sequence[str] = (), position: Optional[int] = None) -> Optional[cst.Arg]:
    """The argument given by one of `keywords`, else the one at `position` (0-based)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg
    if position is not None:
        for index, arg in enumerate(positional_args(call)):
            if index == position:
                return arg
    return None


def argument_value(
    call: cst.Call, keywords: Sequence[str] = (), position: Optional[int] = None
) -> Optional[cst.BaseExpression]:
    arg = argument(call, keywords, position)
    return arg.value if arg is not None else None


def dotted_name(expr: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` -> "a.b.c" for plain name chains, else None."""
    parts = []
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def method_name(call: cst.Call) -> Optional[str]:
    """`x.backward()` -> "backward"; a plain function call -> None."""
    if isinstance(call.func, cst.Attribute):
        return call.func.attr.value
    return None


def string_value(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(expr, cst.SimpleString):
        value = literal(expr.value)  # `evaluated_value`, computed once per distinct text
        return value if isinstance(value, str) else None
    return None


def keyword_names(call: cst.Call) -> Iterator[str]:
    for arg in call.args:
        if arg.keyword is not None:
            yield arg.keyword.value
