"""Line and column of nodes, as libcst's `PositionProvider` gives them, at a third of its cost.

`MetadataWrapper(module).resolve(PositionProvider)` runs a full batched visit of the
tree (which rebuilds every node) and then a code generation pass that splits every
token with a regular expression and allocates two `CodePosition`s for every node.
Here the same code generation pass only counts characters: each node gets a pair of
character offsets (with the same "syntactic" start and end that `PositionProvider`
uses, e.g. a decorated function starts at `def`), and offsets become line and column
only for the nodes that are asked for. `tests/test_walker.py` checks every node of
the fixtures against `PositionProvider`.
"""

from __future__ import annotations

import bisect
import re
from typing import Dict, List, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange

_NEWLINE = re.compile(r"\r\n?|\n")


class _Syntactic:
    """`with state.record_syntactic_position(node, ...)` without a generator per node."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: "_OffsetState", node: cst.CSTNode, start_node: Optional[cst.CSTNode],
                 end_node: Optional[cst.CSTNode]) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, *exc: object) -> bool:
        computed = self.state.computed
        start = computed[id(self.start_node)][0] if self.start_node is not None else self.start
        end = computed[id(self.end_node)][1] if self.end_node is not None else self.state.offset
        computed[id(self.node)] = (start, end)
        return False


class _OffsetState(CodegenState):
    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.offset = 0
        self.computed: Dict[int, Tuple[int, int]] = {}
        self.stack: List[int] = []

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.tokens.append(token)
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        if self.tokens:
            self.offset -= len(self.tokens.pop())

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.stack.pop()
        key = id(node)
        if key not in self.computed:  # a syntactic position recorded inside wins
            self.computed[key] = (start, self.offset)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> _Syntactic:  # type: ignore[override]
        return _Syntactic(self, node, start_node, end_node)


class Positions:
    """node -> `CodeRange` (1-based lines, 0-based columns), like `PositionProvider`."""

    def __init__(self, module: cst.Module) -> None:
        state = _OffsetState(module.default_indent, module.default_newline)
        module._codegen(state)
        self._module = module  # the offsets are keyed by id(): keep the nodes alive
        self._computed = state.computed
        self._line_starts = [0]
        self._line_starts.extend(match.end() for match in _NEWLINE.finditer("".join(state.tokens)))

    def _position(self, offset: int) -> CodePosition:
        line = bisect.bisect_right(self._line_starts, offset)
        return CodePosition(line, offset - self._line_starts[line - 1])

    def get(self, node: cst.CSTNode, default: Optional[CodeRange] = None) -> Optional[CodeRange]:
        found = self._computed.get(id(node))
        if found is None:
            return default
        return CodeRange(self._position(found[0]), self._position(found[1]))

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self.get(node)
        if found is None:
            raise KeyError(node)
        return found

    def __contains__(self, node: object) -> bool:
        return id(node) in self._computed
