"""Jupyter notebooks: the code cells of a `.ipynb` file as one Python program.

Code cells are concatenated in order, so a name defined in an earlier cell is known
in a later one, exactly as when the notebook runs top to bottom. IPython syntax that
is not Python is neutralised *in place*, without moving anything:

- a cell magic on the first line (`%%bash`, `%%writefile x.py`, ...) blanks the whole
  cell, except the magics whose body is Python (`%%time`, `%%timeit`, `%%capture`, ...),
  where only the magic line is blanked;
- a line magic (`%matplotlib inline`), a shell escape (`!pip install x`) or a help
  line (`obj?`, `??obj`) becomes `pass` at the same indentation, so a block whose only
  statement was a magic stays valid;
- an assignment from a magic or shell escape (`files = !ls`) keeps its target and gets
  `...` as its value, so the name stays defined.

Lines inside strings and brackets are never touched. Diagnostics found in the
program are mapped back to (cell, line within the cell); columns do not change.
Cells are numbered from 1 in notebook order, counting every cell (markdown cells
too), as an editor shows them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from nanlint.diagnostics import Diagnostic, Fix
from nanlint.loader import LoadError

NOTEBOOK_SUFFIX = ".ipynb"

# Cell magics whose body is ordinary Python run in the notebook's namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})

_NEWLINE = re.compile(r"\r\n|\r|\n")
# `name = %magic ...`, `a, b = !cmd`: the target is kept, the magic replaced by `...`.
_MAGIC_ASSIGNMENT = re.compile(r"^(\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)[%!]")


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


@dataclass
class Notebook:
    """The program made from a notebook's code cells, and the way back to cell positions."""

    # cell number -> the cell's original lines (for display and fingerprints)
    cells: Dict[int, List[str]] = field(default_factory=dict)
    # the Python program checked: code cells concatenated, IPython syntax neutralised
    text: str = ""
    # program line (index + 1) -> (cell number, line within the cell)
    line_map: List[Tuple[int, int]] = field(default_factory=list)

    def position(self, line: int) -> Tuple[Optional[int], int]:
        """(cell, line in cell) of a 1-based program line; past the end -> the last line."""
        if not self.line_map:
            return None, max(line, 1)
        if line < 1:
            return self.line_map[0]
        if line > len(self.line_map):
            return self.line_map[-1]
        return self.line_map[line - 1]


# --- loading -----------------------------------------------------------------


def load_notebook(data: bytes) -> "Notebook | LoadError":
    """Parse the notebook JSON and build its program; problems become a LoadError (NAN000)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return LoadError(f"notebook is not valid UTF-8: byte 0x{error.object[error.start]:02x} cannot be decoded")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return LoadError(f"notebook is not valid JSON: {error.msg}", error.lineno, error.colno)
    except RecursionError:
        return LoadError("notebook is not valid JSON: nested too deeply")
    cells = code_cells(document)
    if isinstance(cells, LoadError):
        return cells
    return build(cells)


def code_cells(document: Any) -> "List[Tuple[int, str]] | LoadError":
    """(cell number, source) of every code cell, or a LoadError if this is not a notebook."""
    if not isinstance(document, dict):
        return LoadError("not a Jupyter notebook: the top level is not a JSON object")
    if isinstance(document.get("cells"), list):  # nbformat 4
        raw_cells, source_key = document["cells"], "source"
    elif isinstance(document.get("worksheets"), list):  # nbformat 3
        raw_cells, source_key = [], "input"
        for sheet in document["worksheets"]:
            if not isinstance(sheet, dict) or not isinstance(sheet.get("cells", []), list):
                return LoadError("not a Jupyter notebook: a worksheet has no list of cells")
            raw_cells.extend(sheet.get("cells", []))
    else:
        return LoadError("not a Jupyter notebook: no list of cells")
    if not _is_python(document):
        return []
    found: List[Tuple[int, str]] = []
    for number, cell in enumerate(raw_cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            return LoadError(f"not a Jupyter notebook: cell {number} has no cell_type")
        if cell["cell_type"] != "code":
            continue
        source = cell.get(source_key, "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            return LoadError(f"not a Jupyter notebook: the source of cell {number} is not text")
        found.append((number, source))
    return found


def _is_python(document: Dict[str, Any]) -> bool:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    language = None
    info = metadata.get("language_info")
    if isinstance(info, dict):
        language = info.get("name")
    kernel = metadata.get("kernelspec")
    if language is None and isinstance(kernel, dict):
        language = kernel.get("language")
    return not isinstance(language, str) or language.lower() in ("python", "python3", "ipython", "")


def split_lines(source: str) -> List[str]:
    """A cell's lines as Python counts them (\\n, \\r\\n, \\r); a final newline adds no line."""
    if not source:
        return []
    lines = _NEWLINE.split(source)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def build(cells: Sequence[Tuple[int, str]]) -> Notebook:
    notebook = Notebook()
    program: List[str] = []
    for number, source in cells:
        lines = split_lines(source)
        notebook.cells[number] = lines
        for index, line in enumerate(neutralise(lines), start=1):
            program.append(line)
            notebook.line_map.append((number, index))
    notebook.text = "".join(line + "\n" for line in program)
    return notebook


# --- IPython syntax -> Python, in place -----------------------------------------


def neutralise(lines: Sequence[str]) -> List[str]:
    """The cell's lines with IPython-only syntax replaced; same number of lines."""
    if not lines:
        return []
    first = lines[0].strip()
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if name not in PYTHON_CELL_MAGICS:
            return ["" for _ in lines]
        lines = ["", *lines[1:]]
    scanner = _Scanner()
    result: List[str] = []
    in_magic = False  # a magic continues on the next line after a trailing backslash
    for line in lines:
        if in_magic:
            # A continuation line of a magic: blank (the magic's first line became `pass`).
            result.append("")
            in_magic = line.rstrip().endswith("\\")
            continue
        if scanner.at_statement_start:
            replaced = _replace_magic(line)
            if replaced is not None:
                result.append(replaced)
                in_magic = line.rstrip().endswith("\\")
                continue
        result.append(line)
        scanner.feed(line)
    return result


def _replace_magic(line: str) -> Optional[str]:
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith(("%", "!", "?")):
        return indent + "pass"
    assignment = _MAGIC_ASSIGNMENT.match(line)
    if assignment:
        return assignment.group(1) + "..."
    code = _strip_comment(stripped).rstrip()
    if code.endswith("?") and _is_help_target(code.rstrip("?")):
        return indent + "pass"
    return None


def _is_help_target(text: str) -> bool:
    """`obj`, `obj.attr`, `np.*load*` (IPython's wildcard search): what `?` may follow."""
    return bool(re.fullmatch(r"[\w.*\[\]()'\"]+", text.strip()))


def _strip_comment(code: str) -> str:
    quote: Optional[str] = None
    index = 0
    while index < len(code):
        char = code[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return code[:index]
        index += 1
    return code


class _Scanner:
    """Tracks, line by line, whether the next line starts a new statement: not inside
    brackets, a multi-line string, or after a backslash continuation."""

    def __init__(self) -> None:
        self.depth = 0
        self.string: Optional[str] = None  # the open triple quote, if any
        self.continued = False

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.string is None and not self.continued

    def feed(self, line: str) -> None:
        index, length = 0, len(line)
        self.continued = False
        while index < length:
            if self.string is not None:
                if line[index] == "\\":
                    index += 2
                    continue
                if line.startswith(self.string, index):
                    index += len(self.string)
                    self.string = None
                    continue
                index += 1
                continue
            char = line[index]
            if char == "#":
                return
            if char in "'\"":
                triple = line[index : index + 3]
                if triple in ('"""', "'''"):
                    self.string = triple
                    index += 3
                    continue
                index = _skip_short_string(line, index)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            elif char == "\\" and index == length - 1:
                self.continued = True
            index += 1


def _skip_short_string(line: str, start: int) -> int:
    quote = line[start]
    index = start + 1
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line[index] == quote:
            return index + 1
        index += 1
    return len(line)


# --- program positions -> cell positions ----------------------------------------


def to_cells(diagnostics: Sequence[Diagnostic], notebook: Notebook) -> List[Diagnostic]:
    return [to_cell(diagnostic, notebook) for diagnostic in diagnostics]


def to_cell(diagnostic: Diagnostic, notebook: Notebook) -> Diagnostic:
    cell, line = notebook.position(diagnostic.line)
    end_line: Optional[int] = None
    end_col = diagnostic.end_col
    if diagnostic.end_line is not None:
        end_cell, end_line = notebook.position(diagnostic.end_line)
        if end_cell != cell:
            end_line, end_col = None, None
    fix = diagnostic.fix
    if fix is not None:
        fix = _fix_to_cell(fix, cell, notebook)
    return replace(diagnostic, cell=cell, line=line, end_line=end_line, end_col=end_col, fix=fix)


def _fix_to_cell(fix: Fix, cell: Optional[int], notebook: Notebook) -> Optional[Fix]:
    start_cell, start = notebook.position(fix.line)
    end_cell, end = notebook.position(fix.end_line)
    if start_cell != cell or end_cell != cell:
        return None  # a fix across cells cannot be expressed; the finding is still reported
    return replace(fix, line=start, end_line=end)


def cell_lines(data: bytes) -> Dict[int, List[str]]:
    """cell number -> original lines, for showing source; {} if the notebook is unreadable."""
    loaded = load_notebook(data)
    return loaded.cells if isinstance(loaded, Notebook) else {}
