"""Which rules run: select / ignore / extend-select by code prefix, flake8 semantics.

For each code, the longest matching prefix among the selected and the ignored
prefixes decides; a tie means ignored. Rules that are off by default run only when
a selected prefix names them more specifically than the bare "NAN" (or "ALL").
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Iterable, List, Optional, Sequence, Tuple, Type

from nanlint.rule import Rule

BROAD_PREFIXES = frozenset({"", "NAN", "ALL"})
# "ALL" matches every code, as specifically as the bare "NAN" prefix does.
_BROAD_SPECIFICITY = 3


def _specificity(code: str, prefixes: Iterable[str]) -> Optional[int]:
    """Length of the longest prefix in `prefixes` that matches `code` (None: no match)."""
    best: Optional[int] = None
    for prefix in prefixes:
        if prefix == "ALL":
            length = _BROAD_SPECIFICITY
        elif code.startswith(prefix):
            length = len(prefix)
        else:
            continue
        best = length if best is None else max(best, length)
    return best


@dataclass(frozen=True)
class Selection:
    select: Tuple[str, ...] = ("NAN",)
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()

    def is_enabled(self, rule: Type[Rule]) -> bool:
        selected = _specificity(rule.code, (*self.select, *self.extend_select))
        if selected is None:
            return False
        ignored = _specificity(rule.code, self.ignore)
        if ignored is not None and ignored >= selected:
            return False
        return rule.default_enabled or selected > _BROAD_SPECIFICITY

    def enabled(self, rules: Iterable[Type[Rule]]) -> List[Type[Rule]]:
        return [rule for rule in rules if self.is_enabled(rule)]


@dataclass(frozen=True)
class PerFileIgnores:
    """glob -> code prefixes ignored in files that match it."""

    entries: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()

    def ignored_for(self, path: str, root: Optional[str] = None) -> Tuple[str, ...]:
        candidates = _match_forms(path, root)
        codes: List[str] = []
        for pattern, prefixes in self.entries:
            if any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates):
                codes.extend(prefixes)
        return tuple(codes)

    def filter(self, rules: Sequence[Type[Rule]], path: str, root: Optional[str] = None) -> List[Type[Rule]]:
        ignored = self.ignored_for(path, root)
        if not ignored:
            return list(rules)
        return [rule for rule in rules if not any(rule.code.startswith("" if p == "ALL" else p) for p in ignored)]


def _match_forms(path: str, root: Optional[str]) -> List[str]:
    """A path as a glob may mean it: as given, relative to the config root, and its name."""
    forms = [PurePath(path).as_posix(), PurePath(path).name]
    if root is not None:
        try:
            forms.append(Path(path).resolve().relative_to(Path(root).resolve()).as_posix())
        except (ValueError, OSError):
            pass
    return forms


def known_prefix(prefix: str, codes: Iterable[str]) -> bool:
    if prefix in BROAD_PREFIXES:
        return True
    return any(code.startswith(prefix) for code in codes)


def normalize_codes(codes: Iterable[str]) -> Tuple[str, ...]:
    return tuple(code.strip().upper() for code in codes if code.strip())

