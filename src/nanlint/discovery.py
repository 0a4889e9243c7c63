"""Paths on the command line -> the files to check.

Directories are searched recursively for source files, pruning excluded and
git-ignored folders; a file named explicitly is always checked. Problems with a
path (missing, unreadable, a symlink loop) are returned, not raised, so the run
goes on with the other files.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

STDIN = "-"
SOURCE_SUFFIXES: Tuple[str, ...] = (".py", ".pyi", ".ipynb")


@dataclass
class Discovered:
    files: List[str] = field(default_factory=list)
    # (path, message) for paths that could not be searched
    problems: List[Tuple[str, str]] = field(default_factory=list)


class Excluder:
    """Matches exclude globs against a path's name and its path relative to the roots."""

    def __init__(self, patterns: Sequence[str], roots: Sequence[Path]) -> None:
        self.patterns = tuple(p.rstrip("/") for p in patterns)
        self.roots = tuple(root.resolve() for root in roots)

    def excluded(self, path: Path) -> bool:
        if not self.patterns:
            return False
        forms = [path.name]
        absolute = path.absolute()
        for root in self.roots:
            try:
                forms.append(absolute.relative_to(root).as_posix())
            except ValueError:
                pass
        return any(fnmatch.fnmatch(form, pattern) for form in forms for pattern in self.patterns)


class GitIgnore:
    """The .gitignore files that apply to a directory tree, each relative to its folder."""

    def __init__(self) -> None:
        self._specs: Dict[Path, object] = {}

    def load(self, folder: Path) -> None:
        if folder in self._specs:
            return
        spec = None
        ignore_file = folder / ".gitignore"
        try:
            if ignore_file.is_file():
                import pathspec

                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                try:
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except Exception:  # noqa: BLE001 - invalid patterns (`!`, `[z-a]`, a final `\`): git skips them, so do we
                    spec = pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid_pattern(line)])
        except OSError:
            spec = None
        self._specs[folder] = spec

    def load_parents(self, folder: Path) -> None:
        """.gitignore files above the searched folder, up to the repository root."""
        for parent in folder.parents:
            self.load(parent)
            if (parent / ".git").exists():
                break

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for folder, spec in self._specs.items():
            if spec is None:
                continue
            try:
                relative = path.relative_to(folder).as_posix()
            except ValueError:
                continue
            if spec.match_file(relative + ("/" if is_dir else "")):  # type: ignore[attr-defined]
                return True
        return False


def discover(
    paths: Iterable[str],
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    roots: Sequence[Path] = (),
    suffixes: Tuple[str, ...] = SOURCE_SUFFIXES,
) -> Discovered:
    result = Discovered()
    try:
        here = [Path.cwd()]
    except OSError:  # the working directory was deleted: relative exclude globs match from the roots only
        here = []
    excluder = Excluder(exclude, [*roots, *here])
    seen = set()
    for raw in paths:
        if raw == STDIN:
            result.files.append(STDIN)
            continue
        path = Path(raw)
        if not os.path.lexists(raw):
            result.problems.append((raw, "no such file or directory"))
        elif path.is_dir():
            _walk(path, excluder, respect_gitignore, suffixes, result, seen)
        elif path.is_file():
            if raw not in seen:  # named explicitly: always checked
                seen.add(raw)
                result.files.append(raw)
        elif path.is_symlink():
            result.problems.append((raw, _link_problem(raw)))
        else:
            result.problems.append((raw, "not a regular file or directory"))
    return result


def _walk(top: Path, excluder: Excluder, respect_gitignore: bool, suffixes: Tuple[str, ...],
          result: Discovered, seen: set) -> None:
    gitignore = GitIgnore() if respect_gitignore else None
    if gitignore is not None:
        gitignore.load_parents(top.absolute())
        if gitignore.ignored(top.absolute(), True):
            # The user named an ignored folder: check it, honouring only the .gitignore files inside it.
            gitignore = GitIgnore()

    def on_error(error: OSError) -> None:
        result.problems.append((str(error.filename or top), f"cannot read directory: {error.strerror or error}"))

    # followlinks=False: a symlinked folder (or a symlink loop) is never entered.
    for folder, dirnames, filenames in os.walk(top, onerror=on_error, followlinks=False):
        folder_path = Path(folder)
        if gitignore is not None:
            gitignore.load(folder_path.absolute())
        kept = []
        for name in sorted(dirnames):
            child = folder_path / name
            if excluder.excluded(child) or (gitignore and gitignore.ignored(child.absolute(), True)):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(suffixes):
                continue
            child = folder_path / name
            if excluder.excluded(child) or (gitignore and gitignore.ignored(child.absolute(), False)):
                continue
            if child.is_symlink() and not child.exists():
                result.problems.append((str(child), _link_problem(str(child))))
                continue
            if not child.is_file():
                continue
            text = str(child)
            if text not in seen:
                seen.add(text)
                result.files.append(text)


def _valid_pattern(line: str) -> bool:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([line]).match_file("a/b.py")
    except Exception:  # noqa: BLE001 - pathspec raises its own errors and re.error
        return False
    return True


def _link_problem(path: str) -> str:
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"


def common_parent(paths: Iterable[str]) -> Optional[Path]:
    real = [Path(p).absolute() for p in paths if p != STDIN]
    if not real:
        return None
    try:
        return Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in real]))
    except ValueError:
        return None
