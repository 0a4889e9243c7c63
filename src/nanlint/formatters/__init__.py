"""Output formats. Each format is one module with one Formatter subclass, registered by name here."""

from __future__ import annotations

import importlib
from typing import Dict, Type

from nanlint.formatters.base import Formatter

# format name -> "module:Class"; modules are imported only when their format is used.
FORMATS: Dict[str, str] = {
    "text": "nanlint.formatters.text:TextFormatter",
    "full": "nanlint.formatters.full:FullFormatter",
    "json": "nanlint.formatters.json_array:JsonFormatter",
    "json-lines": "nanlint.formatters.json_lines:JsonLinesFormatter",
    "sarif": "nanlint.formatters.sarif:SarifFormatter",
    "github": "nanlint.formatters.github:GithubFormatter",
    "gitlab": "nanlint.formatters.gitlab:GitlabFormatter",
    "junit": "nanlint.formatters.junit:JunitFormatter",
    "pylint": "nanlint.formatters.pylint:PylintFormatter",
}


def get_formatter(name: str) -> Type[Formatter]:
    target = FORMATS[name]
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)
