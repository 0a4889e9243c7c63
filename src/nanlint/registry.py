"""All known rules: the built-ins plus those that packages add through the
``nanlint.rules`` entry point group (each entry point names a Rule subclass or a
module/callable that yields them)."""

from __future__ import annotations

import functools
import re
import sys
from typing import Dict, Iterable, List, Type

from nanlint.rule import Rule
from nanlint.rules import builtin_rules

ENTRY_POINT_GROUP = "nanlint.rules"
CODE_PATTERN = re.compile(r"^[A-Z]{1,3}[0-9]{3}$")


class RegistryError(Exception):
    pass


def _entry_points():
    from importlib.metadata import entry_points

    if sys.version_info >= (3, 10):
        return entry_points(group=ENTRY_POINT_GROUP)
    return entry_points().get(ENTRY_POINT_GROUP, [])


def _rules_from(obj: object) -> Iterable[Type[Rule]]:
    if isinstance(obj, type) and issubclass(obj, Rule):
        yield obj
    elif callable(obj):
        yield from obj()
    else:
        for value in vars(obj).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and value.code:
                yield value


def plugin_rules() -> List[Type[Rule]]:
    found: List[Type[Rule]] = []
    for entry_point in _entry_points():
        try:
            found.extend(_rules_from(entry_point.load()))
        except Exception as error:  # a broken plugin must not take the linter down
            print(f"nanlint: warning: could not load rule plugin {entry_point.name!r}: {error}", file=sys.stderr)
    return found


@functools.lru_cache(maxsize=1)
def all_rules() -> Dict[str, Type[Rule]]:
    """code -> rule class, sorted by code; raises RegistryError on a duplicate code."""
    table: Dict[str, Type[Rule]] = {}
    for rule in [*builtin_rules(), *plugin_rules()]:
        if not CODE_PATTERN.match(rule.code):
            raise RegistryError(f"rule {rule.__name__} has an invalid code {rule.code!r}")
        if rule.code in table and table[rule.code] is not rule:
            raise RegistryError(f"rule code {rule.code} is used by both {table[rule.code].__name__} and {rule.__name__}")
        table[rule.code] = rule
    return dict(sorted(table.items()))


def find_rule(code_or_name: str) -> Type[Rule]:
    rules = all_rules()
    key = code_or_name.strip()
    if key.upper() in rules:
        return rules[key.upper()]
    for rule in rules.values():
        if rule.name == key:
            return rule
    raise KeyError(code_or_name)
