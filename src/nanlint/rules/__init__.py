"""Built-in rules: one module per rule (or per small family of rules).

Every `Rule` subclass defined in a module of this package is registered; adding a
rule is adding a module. `builtin_rules()` returns them sorted by code.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import List, Type

from nanlint.rule import Rule


def builtin_rules() -> List[Type[Rule]]:
    found = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.code and obj.__module__ == module.__name__:
                found[obj] = None
    return sorted(found, key=lambda rule: rule.code)
