"""The records that flow from rules to reporters."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

# Code for "this file could not be read, decoded or parsed".
UNREADABLE_CODE = "NAN000"
# Code for "a rule raised while checking this file" (a bug in nanlint or a plugin).
INTERNAL_ERROR_CODE = "NAN999"


class FixSafety(enum.Enum):
    SAFE = "safe"  # behaviour is preserved
    UNSAFE = "unsafe"  # values change (usually the intent), review before applying


@dataclass(frozen=True)
class Fix:
    """A replacement of a source range with new text (1-based lines, 1-based columns)."""

    line: int
    col: int
    end_line: int
    end_col: int
    replacement: str
    safety: FixSafety = FixSafety.UNSAFE


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding. Lines and columns are 1-based, as printed."""

    path: str
    line: int
    col: int
    code: str
    message: str
    end_line: Optional[int] = None
    end_col: Optional[int] = None
    fix_title: Optional[str] = None
    fix: Optional[Fix] = None
    # For notebooks: the 1-based cell number; `line` is then the line inside the cell.
    cell: Optional[int] = None

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.col, self.code, self.message)

    def location(self) -> str:
        if self.cell is not None:
            return f"{self.path}:{self.cell}:{self.line}:{self.col}"
        return f"{self.path}:{self.line}:{self.col}"
