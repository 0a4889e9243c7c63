"""`# noqa` comments: which codes are suppressed on which line, and file-level opt-outs.

Only real comments count: the source is tokenized, so "# noqa" inside a string
suppresses nothing. Codes may be prefixes (`# noqa: NAN1`) and are case-insensitive;
`# expect:` markers used by the test fixtures are not noqa comments.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, FrozenSet, Iterator, Optional, Tuple

# `# noqa`, `# noqa: NAN101, NAN2` (a colon with no valid codes after it means "all").
NOQA_INLINE = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
NOQA_FILE = re.compile(r"#\s*nanlint\s*:\s*noqa\b(?!\s*:)", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)

ALL = frozenset({"*"})


class Suppressions:
    """Per-line suppressions of one file."""

    def __init__(self, by_line: Dict[int, FrozenSet[str]], whole_file: bool) -> None:
        self.by_line = by_line
        self.whole_file = whole_file

    def suppresses(self, line: int, code: str) -> bool:
        if self.whole_file:
            return True
        codes = self.by_line.get(line)
        if codes is None:
            return False
        return codes is ALL or any(code.upper().startswith(prefix) for prefix in codes)


def _comments(source: str) -> Iterator[Tuple[int, str]]:
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Fall back to a line scan: better an over-eager noqa than a missed one.
        for number, line in enumerate(source.splitlines(), start=1):
            if "#" in line:
                yield number, line[line.index("#"):]


def parse_codes(comment: str) -> Optional[FrozenSet[str]]:
    """The codes a noqa comment names: ALL for a bare noqa, None if it is no noqa comment."""
    match = NOQA_INLINE.search(comment)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return ALL
    return frozenset(code.upper() for code in _CODE.findall(codes))


def parse(source: str) -> Suppressions:
    by_line: Dict[int, FrozenSet[str]] = {}
    whole_file = False
    for line, comment in _comments(source):
        if NOQA_FILE.search(comment):
            whole_file = True
            continue
        codes = parse_codes(comment)
        if codes is not None:
            previous = by_line.get(line)
            by_line[line] = ALL if codes is ALL or previous is ALL else codes | (previous or frozenset())
    return Suppressions(by_line, whole_file)
