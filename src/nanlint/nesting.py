"""Is a file nested too deeply for libcst? A cheap bound from the text, CPython's tree if needed.

libcst's native parser recurses on the C stack and slows down sharply on very deep or
very long expressions (a chain of 10,000 `+` takes minutes), so a file whose statements
nest more than a limit is refused before libcst sees it. The exact measure needs
CPython's tree (`too_deeply_nested`), and `ast.parse` costs about a tenth of libcst's
parse; `depth_bound` reads the text alone, much more cheaply, and for almost every real
file shows that no statement can come near the limit, so that the tree is not needed.

The bound: every level of nesting inside one statement is paid for by a token of its
own (an operator, a bracket, a comma, a dot, a keyword such as `and`, `not`, `lambda`,
`for`, the quotes and braces of an f-string), and the expressions of one statement lie
within one logical line. So the deepest statement is at most the largest number of such
tokens in one logical line, outside string literals and comments, plus a few levels of
nodes that own no token (`Expr`, `arguments`, ...). Reading logical lines takes
brackets, strings (f-strings nest, with Python 3.12's rules, which also cover older
code) and comments into account; text it cannot read (an unterminated string, an
unbalanced bracket) gives no bound, and the caller asks CPython.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
from typing import Any, List, Optional, Tuple

# Levels of nodes that own no token, at most this many in one statement (a margin: the
# corpus and the generated programs of tests/test_nesting.py need at most 1).
SLACK = 8
# CPython refuses more than 100 levels of indentation ("too many levels of indentation");
# a line indented that deep has at least that many whitespace characters before its text.
_MAX_INDENT = 100
_DEEP_INDENT = re.compile(r"^[ \t\f]{%d}" % _MAX_INDENT, re.MULTILINE)

_CODE = re.compile(r"""[#\\'"()\[\]{}]""")
_FIELD_CODE = re.compile(r"""[#\\'"()\[\]{}:]""")  # inside an f-string's {...}: `:` starts a format spec
_SPEC = re.compile(r"[{}]")  # a newline in a spec is text (an error in a one-line f-string: CPython will say)
_PREFIX = re.compile(r"[A-Za-z]{0,3}\Z")
_STRING_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb", "f", "fr", "rf", "t", "tr", "rt"})
_PLAIN_STRING = {
    "'": re.compile(r"[^'\\\n\r]*(?:\\(?:\r\n|.)[^'\\\n\r]*)*'", re.DOTALL),
    '"': re.compile(r'[^"\\\n\r]*(?:\\(?:\r\n|.)[^"\\\n\r]*)*"', re.DOTALL),
    "'''": re.compile(r"[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''", re.DOTALL),
    '"""': re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""', re.DOTALL),
}
_F_LITERAL = {quote: re.compile(r"\\|\{|\}|" + re.escape(quote) + (r"" if len(quote) == 3 else r"|[\n\r]"))
              for quote in ("'", '"', "'''", '"""')}
# One token that may own a level: any character but letters, digits, `_` and whitespace, or a keyword.
_OWN_TOKEN = re.compile(r"[^\w\s]|\b(?:%s)\b" % "|".join(keyword.kwlist + keyword.softkwlist))

# What the reader is inside of (the stack's frames): a bracket in code (its closing
# character), an f-string's replacement field, its format spec, or an f-string's literal
# text (its closing quote).
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_BRACKETS = frozenset(_CLOSERS.values())


def _plain_group(depth: int) -> str:
    """A regex for brackets nested at most `depth` deep with no string, comment or backslash."""
    inside = r"[^#\\'\"()\[\]{}]*+"
    for _ in range(depth - 1):
        inner = "|".join(re.escape(o) + inside + re.escape(c) for o, c in _CLOSERS.items())
        inside = rf"(?:[^#\\'\"()\[\]{{}}]++|{inner})*+"  # possessive: no backtracking
    return inside


_PLAIN_GROUP = {o: re.compile(re.escape(o) + _plain_group(3) + re.escape(c)) for o, c in _CLOSERS.items()}
_FIELD, _SPEC_FRAME = "field", "spec"


def depth_bound(source: str, beyond: int = 0) -> Optional[int]:
    """A number no statement of `source` nests deeper than (counted as `too_deeply_nested`
    counts), or None if the text cannot be read cheaply (it may not even be valid Python:
    CPython will say). With `beyond`, only statements that might nest deeper than `beyond`
    are measured (the others are too short to): every statement then nests at most
    max(bound, beyond) levels, which is all a caller with a limit of `beyond` needs."""
    if _DEEP_INDENT.search(source):
        return None
    lines = _logical_lines(source, beyond - SLACK)
    if lines is None:
        return None
    deepest = 0
    for start, end, literals, fstrings in lines:
        code = [(a, b) for a, b in zip([start, *(b for _, b in literals)], [*(a for a, _ in literals), end]) if a < b]
        if sum(b - a for a, b in code) + 2 * fstrings + SLACK <= deepest:
            continue  # mostly strings and comments (a docstring): too few characters of code
        owned = sum(len(_OWN_TOKEN.findall(source, a, b)) for a, b in code) + 2 * fstrings
        deepest = max(deepest, owned + SLACK)
    return deepest


# (start, end, spans of string literals and comments inside, number of f-strings)
_LogicalLine = Tuple[int, int, List[Tuple[int, int]], int]


def _logical_lines(source: str, shortest: int) -> Optional[List[_LogicalLine]]:
    """The logical lines of `source` at least `shortest` characters long, with the spans
    in them that are not code; None if the text cannot be read (unbalanced, unterminated).

    Only brackets, quotes, comments and backslashes are looked at one by one; the text
    between them, and every newline inside brackets, is skipped by the regex engine.
    """
    shortest = max(shortest, 1)
    found: List[_LogicalLine] = []
    stack: List[str] = []
    literals: List[Tuple[int, int]] = []
    fstrings = 0
    line_start = pos = 0
    literal_start = 0  # where the current f-string literal text or format spec began
    size = len(source)
    while True:
        top = stack[-1] if stack else None
        if top is None:
            match = _CODE.search(source, pos)
            special = match.start() if match else size
            first_break = _NEWLINE.search(source, pos, special)
            if first_break is not None:  # the logical line ends, whole lines follow up to `special`
                if first_break.start() - line_start >= shortest:
                    found.append((line_start, first_break.start(), literals, fstrings))
                literals, fstrings = [], 0
                last_break = max(source.rfind("\n", pos, special), source.rfind("\r", pos, special))
                for long_line in _long_physical_lines(shortest).finditer(source, first_break.end(), last_break):
                    found.append((long_line.start(), long_line.end(), [], 0))
                line_start = last_break + 1
            if match is None:
                break
        elif top is _FIELD or top in _BRACKETS:  # newlines here do not end the logical line
            match = (_FIELD_CODE if top is _FIELD else _CODE).search(source, pos)
            if match is None:
                return None  # an unclosed bracket
        elif top is _SPEC_FRAME:
            match = _SPEC.search(source, pos)
            if match is None:
                return None
            at = pos = match.end()
            literals.append((literal_start, at - 1))
            if match.group() == "{":
                stack.append(_FIELD)
            else:  # the end of the field: back in the enclosing f-string's literal text
                stack.pop()
                literal_start = pos
            continue
        else:  # inside an f-string's literal text; `top` is its closing quote
            match = _F_LITERAL[top].search(source, pos)
            if match is None:
                return None  # unterminated
            char, at = match.group(), match.start()
            pos = match.end()
            if char == "\\":
                pos = at + 2
            elif char == "{":
                if source.startswith("{{", at):
                    pos = at + 2
                else:
                    literals.append((literal_start, at))
                    stack.append(_FIELD)
            elif char == "}":
                pos = at + 2 if source.startswith("}}", at) else pos
            elif char in "\n\r":
                return None  # a newline in the literal text of a one-line f-string
            else:  # the closing quote
                literals.append((literal_start, pos))
                stack.pop()
            continue

        # In code: a bracket, a quote, a comment, a backslash (or, in a field, a `:`).
        char, at = match.group(), match.start()
        pos = at + 1
        if char == "#":
            end = _line_end(source, at)
            literals.append((at, end))
            pos = end
        elif char == "\\":  # a line continuation (anything else is a syntax error: CPython will say)
            pos = at + 3 if source.startswith("\r\n", at + 1) else at + 2
        elif char in _CLOSERS:
            group = _PLAIN_GROUP[char].match(source, at)
            if group is not None:  # brackets with only code inside (most calls): one step
                pos = group.end()
            else:
                stack.append(_CLOSERS[char])
        elif char in ")]}":
            if char != ("}" if top is _FIELD else top):
                return None  # unbalanced
            stack.pop()
            if top is _FIELD:  # the end of an f-string's replacement field: back in its literal text
                literal_start = pos
        elif char == ":":  # top is _FIELD: the rest of the field is a format spec
            stack[-1] = _SPEC_FRAME
            literal_start = pos
        else:  # a quote
            prefix = _string_prefix(source, at)
            quote = char * 3 if source.startswith(char * 3, at) else char
            if "f" in prefix or "t" in prefix:
                stack.append(quote)
                fstrings += 1
                literal_start = at - len(prefix)
                pos = at + len(quote)
                continue
            end = _PLAIN_STRING[quote].match(source, at + len(quote))
            if end is None:
                return None  # unterminated
            literals.append((at - len(prefix), end.end()))
            pos = end.end()
    if size - line_start >= shortest:
        found.append((line_start, size, literals, fstrings))
    return found


def _string_prefix(source: str, quote: int) -> str:
    """The prefix (lower case) of the string literal whose quote is at `quote`, or ""."""
    letters = _PREFIX.search(source, max(0, quote - 3), quote).group()
    before = quote - len(letters) - 1
    if before >= 0 and (source[before].isalnum() or source[before] == "_"):
        return ""  # `if"x"`: the letters before the quote end a name
    letters = letters.lower()
    return letters if letters in _STRING_PREFIXES else ""


@functools.lru_cache(maxsize=None)
def _long_physical_lines(shortest: int) -> "re.Pattern[str]":
    return re.compile(r"[^\n\r]{%d,}" % shortest)


def _line_end(source: str, at: int) -> int:
    newline = _NEWLINE.search(source, at)
    return newline.start() if newline else len(source)


_NEWLINE = re.compile(r"[\n\r]")
LINE_BREAKS = re.compile(r"\r\n?|\n")  # line ends as CPython and libcst count lines


def deeper(depth: int, child: ast.AST) -> int:
    """The depth of `child` below its statement, its parent being at `depth`. libcst nests
    `a and b and c` and `a < b < c` one level per operand where ast is flat, so those count
    per operand."""
    if isinstance(child, ast.BoolOp):
        return depth + len(child.values)
    if isinstance(child, ast.Compare):
        return depth + len(child.comparators)
    return depth + 1


def too_deeply_nested(tree: ast.Module, source: str, limit: int) -> "Optional[tuple[int, int]]":
    """(line, depth) of a statement whose expressions nest more than `limit` levels, else None.

    Depth is counted from each statement (see `deeper`). A node spanning fewer than
    `limit - depth` characters cannot reach `limit` below it (every level takes a
    character), so only the few long statements and expressions are entered, not whole
    files. Inside f-strings positions are not trusted (before Python 3.12 they can be
    off): everything is entered there.
    """
    starts: Optional[List[int]] = None
    bound = limit - SLACK

    def span(node: Any) -> int:
        nonlocal starts
        first, last = node.lineno, node.end_lineno or node.lineno
        if first == last:
            return (node.end_col_offset or 0) - node.col_offset  # bytes >= characters
        if starts is None:
            starts = [0, *(match.end() for match in LINE_BREAKS.finditer(source))]
        return (starts[last] if last < len(starts) else len(source)) - starts[min(first, len(starts)) - 1]

    # (node, its depth below its statement, that statement's line, positions trusted)
    pending: List[Tuple[ast.AST, int, int, bool]] = [(statement, 0, statement.lineno, True) for statement in tree.body]
    while pending:
        node, depth, line, trusted = pending.pop()
        if trusted and getattr(node, "end_lineno", None) is not None and depth + span(node) < bound:
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                pending.append((child, 0, child.lineno, True))
                continue
            depth_of_child = deeper(depth, child)
            if depth_of_child > limit:
                return line, depth_of_child
            pending.append((child, depth_of_child, line, trusted and not isinstance(child, ast.JoinedStr)))
    return None
