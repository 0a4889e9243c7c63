"""flake8 adapter: `flake8 --select NAN` runs nanlint's rules inside an existing flake8 set-up.

flake8 owns everything around the rules here: file discovery, `# noqa` comments,
`--select`/`--ignore`/`--per-file-ignores`, configuration files and output. So the
adapter runs the rules with nanlint's own noqa handling turned off, drops NAN000
(flake8 reports syntax errors itself, as E999) and yields 0-based columns (flake8
adds 1 when it prints them).

Which rules run: every rule that is on by default, plus a rule that is off by
default when flake8's `--select`/`--extend-select` names it more specifically than
the bare `NAN` prefix (the same rule as nanlint's own selection).
"""

from __future__ import annotations

import ast
from typing import Any, ClassVar, Iterator, List, Optional, Sequence, Tuple

from nanlint import __version__
from nanlint.diagnostics import UNREADABLE_CODE

Flake8Error = Tuple[int, int, str, type]


class Flake8Plugin:
    name = "nanlint"
    version = __version__

    # Set by parse_options (flake8 calls it once per process before checking files).
    _selected: ClassVar[Tuple[str, ...]] = ()
    _rules: ClassVar[Optional[List[type]]] = None

    def __init__(self, tree: ast.AST, filename: str = "stdin", lines: Sequence[str] = ()) -> None:
        del tree  # nanlint parses the text itself (with libcst)
        self.filename = filename
        self.lines = list(lines)

    @classmethod
    def parse_options(cls, options: Any) -> None:
        prefixes: List[str] = []
        for attribute in ("select", "extend_select"):
            prefixes.extend(getattr(options, attribute, None) or ())
        cls._selected = tuple(p.strip().upper() for p in prefixes if p and p.strip())
        cls._rules = None

    @classmethod
    def rules(cls) -> List[type]:
        if cls._rules is None:
            from nanlint.registry import all_rules
            from nanlint.selection import Selection

            # "ALL" runs every default rule; a more specific flake8 prefix turns on the others.
            selection = Selection(select=("ALL", *cls._selected))
            cls._rules = selection.enabled(all_rules().values())
        return cls._rules

    def run(self) -> Iterator[Flake8Error]:
        from nanlint.engine import lint_source

        source = "".join(self.lines)
        result = lint_source(self.filename, source, self.rules(), apply_noqa=False)
        for diagnostic in result.diagnostics:
            if diagnostic.code == UNREADABLE_CODE:
                continue
            yield diagnostic.line, diagnostic.col - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
