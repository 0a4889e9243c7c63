"""Results cached per file, so that a run over unchanged files parses nothing.

An entry is keyed by everything that decides a file's findings: the file's bytes
(a BLAKE2 digest), its path (it is in every diagnostic, and per-file ignores
match it), nanlint's version and source code, and the effective configuration
for that file: the rule codes that run on it, each rule's identity (module,
class, the file it is defined in, so a changed plugin misses), their options and
the size limit. Anything else that changes leaves the key alone, so the entry is
simply not found and the file is checked again.

Layout: `<cache dir>/v1/<first two hex digits>/<key>.json`, one small JSON file per
entry (JSON, not pickle: a cache folder in a repository must not be a way to run
code). Entries are written to a temporary file in the same folder and moved into
place with `os.replace`, so concurrent runs never see half an entry; an entry that
cannot be read or decoded is treated as missing. The folder holds a `CACHEDIR.TAG`
(backup tools skip it) and a `.gitignore` of `*` (git ignores it).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Type

from nanlint import __version__
from nanlint.diagnostics import Diagnostic, Fix, FixSafety

FORMAT = "v1"
DEFAULT_DIRNAME = ".nanlint_cache"
ENV_VAR = "NANLINT_CACHE_DIR"

_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by nanlint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def default_directory(root: Optional[Path]) -> Path:
    """--cache-dir wins, then $NANLINT_CACHE_DIR, then .nanlint_cache next to the config, or in cwd."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return (root if root is not None else Path.cwd()) / DEFAULT_DIRNAME


@functools.lru_cache(maxsize=1)
def _source_fingerprint() -> str:
    """nanlint's own code: an edited rule or model (an editable install) must miss the cache.
    Read once per process: a run uses the code it started with."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _rule_identity(rule: type) -> str:
    module = sys.modules.get(rule.__module__)
    where = getattr(module, "__file__", None) or ""
    stamp = ""
    if where:
        try:
            stat = os.stat(where)
            stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
        except OSError:
            pass
    return f"{rule.code}={rule.__module__}.{rule.__qualname__}@{where}:{stamp}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


class Cache:
    """The cache of one run: a folder plus the part of the key shared by every file."""

    def __init__(self, directory: Path, rules: Sequence[Type[Any]], rule_options: Mapping[str, Mapping[str, Any]],
                 extra: Mapping[str, Any] = ()) -> None:
        self.directory = Path(directory)
        self.entries = self.directory / FORMAT
        self._identities = {rule.code: _rule_identity(rule) for rule in rules}
        base = {
            "format": FORMAT,
            "version": __version__,
            "source": _source_fingerprint(),
            "options": _jsonable(rule_options),
            "extra": _jsonable(dict(extra)),
        }
        self._base = json.dumps(base, sort_keys=True)
        self._ready = False
        self.hits = 0
        self.misses = 0
        self.writes_failed = 0

    # --- keys --------------------------------------------------------------------------

    def key(self, path: str, digest: str, rules: Iterable[Type[Any]]) -> str:
        """The entry key of a file with content `digest` checked at `path` by `rules`."""
        identities = [self._identities.get(rule.code) or _rule_identity(rule) for rule in rules]
        text = "\0".join([self._base, os.path.abspath(path), digest, *sorted(identities)])
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.entries / key[:2] / f"{key}.json"

    # --- reading and writing -------------------------------------------------------------

    def get(self, key: str) -> Optional[List[Diagnostic]]:
        try:
            with open(self._entry(key), "rb") as handle:
                data = json.loads(handle.read())
            if data.get("key") != key:
                raise ValueError("entry does not match its name")
            found = [_diagnostic(item) for item in data["diagnostics"]]
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.misses += 1  # a corrupted or foreign entry is a miss, never an error
            return None
        self.hits += 1
        return found

    def put(self, key: str, diagnostics: Sequence[Diagnostic]) -> bool:
        """Store an entry atomically; False (and nothing stored) if the folder is not writable."""
        target = self._entry(key)
        payload = json.dumps({"key": key, "diagnostics": [_encode(d) for d in diagnostics]},
                             separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
        try:
            self._prepare()
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{key[:8]}-", suffix=".tmp", dir=target.parent)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(payload)
                os.replace(temporary, target)
            except BaseException:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
                raise
        except OSError:
            self.writes_failed += 1
            return False
        return True

    def _prepare(self) -> None:
        """Create the folder with its CACHEDIR.TAG and .gitignore (once per run)."""
        if self._ready:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", "# Created by nanlint.\n*\n")):
            marker = self.directory / name
            if not marker.exists():
                try:
                    handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
                    with os.fdopen(handle, "w", encoding="utf-8") as out:
                        out.write(text)
                    os.replace(temporary, marker)
                except OSError:
                    pass
        self._ready = True

    def __getstate__(self) -> Dict[str, Any]:  # sent to worker processes
        state = dict(self.__dict__)
        state.update(hits=0, misses=0, writes_failed=0)
        return state


def _encode(diagnostic: Diagnostic) -> Dict[str, Any]:
    data = {f.name: getattr(diagnostic, f.name) for f in dataclasses.fields(diagnostic) if f.name != "fix"}
    fix = diagnostic.fix
    data["fix"] = None if fix is None else {**{f.name: getattr(fix, f.name) for f in dataclasses.fields(fix)},
                                            "safety": fix.safety.value}
    return data


def _diagnostic(data: Mapping[str, Any]) -> Diagnostic:
    known = {f.name for f in dataclasses.fields(Diagnostic)}
    values = {name: value for name, value in data.items() if name in known}
    fix = values.get("fix")
    if fix is not None:
        values["fix"] = Fix(**{**fix, "safety": FixSafety(fix["safety"])})
    found = Diagnostic(**values)
    if not (isinstance(found.path, str) and isinstance(found.line, int) and isinstance(found.code, str)):
        raise TypeError("malformed diagnostic")
    return found
