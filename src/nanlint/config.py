"""Configuration: `[tool.nanlint]` in pyproject.toml or a nanlint.toml, merged with CLI flags.

Config files are found by walking up from the checked paths. Every key is checked:
an unknown key or a wrong type is a ConfigError naming the file and the key.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple

from nanlint.selection import PerFileIgnores, Selection, normalize_codes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

DEFAULT_EXCLUDE: Tuple[str, ...] = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".ipynb_checkpoints", ".mypy_cache", ".nox",
    ".pants.d", ".pytest_cache", ".ruff_cache", ".nanlint_cache", ".svn", ".tox", ".venv", "venv",
    ".env", "env", "__pypackages__", "_build", "buck-out", "build", "dist", "node_modules",
    "site-packages", "__pycache__",
)

CONFIG_FILES = ("nanlint.toml", ".nanlint.toml", "pyproject.toml")

# Larger files are reported (NAN000) instead of checked: libcst needs ~650 MB of memory and
# tens of seconds per MB of source. The largest file of the pinned corpus is 0.45 MB.
DEFAULT_MAX_FILE_SIZE = 2_000_000


class ConfigError(Exception):
    """A configuration problem the user must fix; the message names the file and key."""


@dataclass(frozen=True)
class Settings:
    selection: Selection = Selection()
    per_file_ignores: PerFileIgnores = PerFileIgnores()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    respect_gitignore: bool = True
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    output_format: str = "text"
    config_path: Optional[Path] = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes

    @property
    def root(self) -> Optional[Path]:
        return self.config_path.parent if self.config_path else None

    @property
    def all_excludes(self) -> Tuple[str, ...]:
        return (*self.exclude, *self.extend_exclude)


def _string_list(value: Any) -> Tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("a list of strings")
    return tuple(value)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a string")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("true or false")
    return value


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise TypeError("a positive whole number")
    return value


def _per_file_ignores(value: Any) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise TypeError("a table of glob = [codes]")
    return tuple((pattern, normalize_codes(_string_list(codes))) for pattern, codes in value.items())


def _options(value: Any) -> Dict[str, Dict[str, Any]]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise TypeError("a table of rule code or name = { option = value }")
    return {key: dict(options) for key, options in value.items()}


# key in the file -> (Settings field it sets, parser)
KEYS: Dict[str, Tuple[str, Callable[[Any], Any]]] = {
    "select": ("select", _string_list),
    "ignore": ("ignore", _string_list),
    "extend-select": ("extend_select", _string_list),
    "extend-ignore": ("extend_ignore", _string_list),
    "exclude": ("exclude", _string_list),
    "extend-exclude": ("extend_exclude", _string_list),
    "respect-gitignore": ("respect_gitignore", _boolean),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "options": ("rule_options", _options),
    "output-format": ("output_format", _string),
    "max-file-size": ("max_file_size", _positive_int),
}


def find_config(start: Path) -> Optional[Path]:
    """The nearest nanlint.toml, or pyproject.toml with a [tool.nanlint] table, at or above `start`."""
    directory = start if start.is_dir() else start.parent
    directory = directory.resolve()
    for folder in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # Broken TOML that mentions our table is ours to report, not to skip silently.
        return "tool.nanlint" in text
    return isinstance(data.get("tool"), dict) and "nanlint" in data["tool"]


def read_table(path: Path) -> Dict[str, Any]:
    """The nanlint table of a config file, or a ConfigError that says what is wrong."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark (Windows editors) is fine
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not valid UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {' '.join(str(error).split())}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("nanlint", {}) if isinstance(tool, dict) else {}
        where = "[tool.nanlint]"
    else:
        table, where = data, "the top level"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    table = dict(table)
    table["__where__"] = where
    return table


def parse_table(path: Path, table: Mapping[str, Any]) -> Dict[str, Any]:
    """Validate every key of a config table; return Settings field values."""
    where = table.get("__where__", "[tool.nanlint]")
    parsed: Dict[str, Any] = {}
    for key, raw in table.items():
        if key == "__where__":
            continue
        spec = KEYS.get(key) or KEYS.get(key.replace("_", "-"))
        if spec is None:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(f"{path}: unknown key {key!r} in {where} (known keys: {known})")  # repr: one line
        field_name, parser = spec
        try:
            parsed[field_name] = parser(raw)
        except TypeError as expected:
            shown = repr(raw) if isinstance(raw, (bool, int, float)) or (isinstance(raw, str) and len(raw) < 40) \
                else type(raw).__name__
            raise ConfigError(f"{path}: key {key!r} must be {expected}, not {shown}") from None
    return parsed


def validate_rule_options(path: Optional[Path], options: Mapping[str, Mapping[str, Any]], rules: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Check options against the rules' declared defaults; key the result by rule code."""
    by_name = {rule.name: rule for rule in rules.values()}
    source = f"{path}: " if path else ""
    checked: Dict[str, Dict[str, Any]] = {}
    for key, values in options.items():
        rule = rules.get(key.upper()) or by_name.get(key)
        if rule is None:
            raise ConfigError(f"{source}unknown rule {key!r} in options")
        for option, value in values.items():
            if option not in rule.default_options:
                known = ", ".join(sorted(rule.default_options)) or "none"
                raise ConfigError(f"{source}unknown option {option!r} for {rule.code} ({rule.name}); known options: {known}")
            expected = rule.default_options[option]
            if not _same_kind(expected, value):
                raise ConfigError(
                    f"{source}option {option!r} for {rule.code} must be {_kind(expected)}, not {_shown(expected, value)}"
                )
        checked.setdefault(rule.code, {}).update(values)
    return checked


def _kind(expected: Any) -> str:
    if isinstance(expected, bool):
        return "true or false"
    if isinstance(expected, (int, float)):
        return "a number"
    if isinstance(expected, dict):
        inner = _kind(next(iter(expected.values()), 0.0))
        inner = f"{inner.replace('a ', '', 1)}s" if inner.startswith("a ") else inner
        return f"dict (a table of {inner})"
    return f"a {type(expected).__name__}"


def _shown(expected: Any, value: Any) -> str:
    if isinstance(expected, dict) and isinstance(value, dict):
        inner = next(iter(expected.values()), 0.0)
        for key, item in value.items():
            if not _same_kind(inner, item):
                return f"{key if str(key).isprintable() else repr(key)} = {item!r}"  # one line
    if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) < 40):
        return repr(value)
    return f"a {type(value).__name__}"


def _same_kind(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool)
    if isinstance(expected, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(expected, dict):
        return isinstance(value, dict) and all(_same_kind(next(iter(expected.values()), 0.0), v) for v in value.values())
    return isinstance(value, type(expected))


def build_settings(config_path: Optional[Path], overrides: Mapping[str, Any], rules: Mapping[str, Any]) -> Settings:
    """Settings from a config file (if any) with command-line `overrides` applied on top."""
    values: Dict[str, Any] = parse_table(config_path, read_table(config_path)) if config_path else {}
    values.update({key: value for key, value in overrides.items() if value is not None})
    selection = Selection(
        select=normalize_codes(values.pop("select", ("NAN",))),
        ignore=normalize_codes((*values.pop("ignore", ()), *values.pop("extend_ignore", ()))),
        extend_select=normalize_codes(values.pop("extend_select", ())),
    )
    per_file = PerFileIgnores(tuple(values.pop("per_file_ignores", ())))
    options = validate_rule_options(config_path, values.pop("rule_options", {}), rules)
    settings = Settings(selection=selection, per_file_ignores=per_file, rule_options=options, config_path=config_path)
    return replace(settings, **values)


def unknown_prefixes(settings: Settings, codes: Iterable[str]) -> Tuple[str, ...]:
    """Selected or ignored prefixes that match no rule (a warning, not an error)."""
    from nanlint.selection import known_prefix

    codes = tuple(codes)
    chosen = (*settings.selection.select, *settings.selection.extend_select, *settings.selection.ignore)
    return tuple(prefix for prefix in chosen if not known_prefix(prefix, codes))
