"""Source lines of the checked files, for formats that show or fingerprint them.

Files are read lazily, only for paths that have findings. A notebook's lines are
its cells' original lines (magics included), looked up by cell number. Text read
from standard input cannot be read twice, so the command line hands it in.
"""

from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional

_NEWLINE = re.compile(r"\r\n|\r|\n")

# path -> {cell number or None: lines}
_Cells = Dict[Optional[int], List[str]]


def split_lines(text: str) -> List[str]:
    """Lines as Python counts them (\\n, \\r\\n, \\r; not form feeds or other Unicode breaks)."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class SourceLines:
    def __init__(self, preloaded: Optional[Mapping[str, bytes]] = None) -> None:
        self._preloaded: Dict[str, bytes] = dict(preloaded or {})
        self._cache: Dict[str, _Cells] = {}

    def line(self, path: str, line: int, cell: Optional[int] = None) -> Optional[str]:
        lines = self.lines(path, cell)
        if 1 <= line <= len(lines):
            return lines[line - 1]
        return None

    def lines(self, path: str, cell: Optional[int] = None) -> List[str]:
        if path not in self._cache:
            self._cache[path] = self._load(path)
        return self._cache[path].get(cell, [])

    def _load(self, path: str) -> _Cells:
        data = self._preloaded.get(path)
        if data is None:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                return {}
        if path.lower().endswith(".ipynb"):
            from nanlint.notebooks import cell_lines

            return dict(cell_lines(data))
        from nanlint.loader import LoadError, decode_source

        text = decode_source(data)
        if isinstance(text, LoadError):
            return {}
        return {None: split_lines(text)}
