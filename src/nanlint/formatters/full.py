"""For people: each finding with its source line, a caret under the reported range and
the rule's fix hint.

    train.py:12:7: NAN301 Learning rate 1 is very large for `SGD` (threshold 1); ...
       |
    12 | opt = torch.optim.SGD(model.parameters(), lr=1.0)
       |       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
       = help: Use a learning rate in the optimizer's usual range ...

Findings are separated by a blank line. With `--show-fixes`, the fix is shown as
`-`/`+` lines under the help.
"""

from __future__ import annotations

from typing import List

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import Formatter


class FullFormatter(Formatter):
    def start(self) -> None:
        self._first = True

    def format(self, diagnostic: Diagnostic) -> str:
        out: List[str] = [] if self._first else [""]
        self._first = False
        out.append(f"{diagnostic.location()}: {diagnostic.code} {diagnostic.message}")
        source = self.source_line(diagnostic)
        number = str(diagnostic.line)
        gutter = " " * len(number)
        if source is not None:
            source = source.rstrip()
            out.append(f"{gutter} |")
            out.append(f"{number} | {source}")
            out.append(f"{gutter} | {_caret(source, diagnostic)}")
        hint = diagnostic.fix_title or getattr(self.rules.get(diagnostic.code), "fix_title", None)
        if hint:
            out.append(f"{gutter} = help: {hint}")
        if self.show_fixes and diagnostic.fix is not None:
            out.append(f"{gutter} = fix ({diagnostic.fix.safety.value}):")
            out += [f"{gutter}   {line}" for line in self.fix_preview(diagnostic)]
        return "\n".join(out)


def _caret(source: str, diagnostic: Diagnostic) -> str:
    start = max(diagnostic.col - 1, 0)
    if diagnostic.end_line is None or diagnostic.end_col is None:
        end = start + 1  # the end is unknown: one caret
    elif diagnostic.end_line == diagnostic.line:
        end = diagnostic.end_col - 1
    else:
        end = len(source)  # the range goes on below: underline to the end of this line
    end = max(min(end, len(source)), start + 1)
    # Keep tabs so the caret lines up however the terminal expands them.
    padding = "".join("\t" if char == "\t" else " " for char in source[:start])
    return padding + "^" * (end - start)
