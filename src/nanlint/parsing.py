"""libcst's parse, without validating again what its own parser has just built.

Every libcst node checks its fields when it is constructed (`CSTNode.__post_init__`
calls `_validate`): right for nodes a codemod builds by hand, redundant for the nodes
the native parser builds from source it has just parsed (a comment in libcst's own
`CSTNode` says as much). On real files those checks are 15-20% of the parse. The tree
is the same either way (tests/test_parsing.py compares them).

Validation is switched off only for the duration of one parse; nodes that rules build
for fixes are still validated.
"""

from __future__ import annotations

import os
import threading

import libcst as cst
from libcst._nodes.base import CSTNode

# None if a libcst version no longer validates in `__post_init__`: then parse as usual.
_VALIDATE = CSTNode.__dict__.get("__post_init__")
_LOCK = threading.Lock()  # one parse at a time switches validation off and on again


def _skip_validation(self: CSTNode) -> None:
    return None


def _after_fork_in_child() -> None:
    """A worker forked mid-parse must not inherit a held lock, nor validation left off."""
    global _LOCK
    _LOCK = threading.Lock()
    if _VALIDATE is not None:
        CSTNode.__post_init__ = _VALIDATE  # type: ignore[method-assign]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def parse_module(source: str) -> cst.Module:
    """`libcst.parse_module(source)`, the same tree, without re-validating the parser's nodes."""
    if _VALIDATE is None:
        return cst.parse_module(source)
    with _LOCK:
        CSTNode.__post_init__ = _skip_validation  # type: ignore[method-assign]
        try:
            return cst.parse_module(source)
        finally:
            CSTNode.__post_init__ = _VALIDATE  # type: ignore[method-assign]
