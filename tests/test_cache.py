"""The results cache: a warm run parses nothing, anything that matters invalidates,
a damaged entry is a miss, and concurrent runs do not corrupt it."""

from __future__ import annotations

import functools
import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import libcst
import pytest

from nanlint import runner
from nanlint.cache import Cache, content_digest, default_directory
from nanlint.config import Settings
from nanlint.discovery import discover
from nanlint.registry import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
RULES = list(all_rules().values())


@functools.lru_cache(maxsize=1)
def _stable_fixtures():
    """Six fixture files that no rule crashes on (a crash, NAN999, is never cached)."""
    from nanlint.engine import lint_source

    chosen = []
    for source in sorted(FIXTURES.glob("*.py")):
        found = lint_source(str(source), source.read_text(encoding="utf-8"), RULES).diagnostics
        if found and not any(d.code == "NAN999" for d in found):
            chosen.append(source)
        if len(chosen) == 6:
            return tuple(chosen)
    return tuple(chosen)


def _files(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    sources = _stable_fixtures()
    if len(sources) < 6:
        pytest.skip("fewer than six fixture files without internal errors")
    for source in sources:
        (project / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return project


def _run(project: Path, cache_dir: Path, settings: Settings = Settings(), rules=RULES, jobs: int = 1):
    cache = Cache(cache_dir, rules, settings.rule_options, {"max_file_size": settings.max_file_size})
    result = runner.run(discover([str(project)]), settings, rules, jobs=jobs, cache=cache)
    return result, cache


class _NoAst:
    def __getattr__(self, name):
        raise AssertionError(f"a warm run used ast.{name}")


def _no_parsing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a warm run parsed a file")

    monkeypatch.setattr(libcst, "parse_module", refuse)
    monkeypatch.setattr("nanlint.engine.ast", _NoAst())  # not ast.parse itself: pytest needs it
    monkeypatch.setattr("nanlint.engine.lint_source", refuse)
    monkeypatch.setattr("nanlint.checker.lint_source", refuse)


def _without_internal_errors(project: Path, result):
    """Results with an internal error (a rule still in the works) are not cached: drop those files."""
    broken = {d.path for d in result.diagnostics if d.code == "NAN999"}
    for path in broken:
        Path(path).unlink()
    result.diagnostics = [d for d in result.diagnostics if d.path not in broken]
    return 6 - len(broken)


def test_warm_run_does_not_parse(tmp_path, monkeypatch):
    project = _files(tmp_path)
    cold, cold_cache = _run(project, tmp_path / "cache")
    assert cold_cache.hits == 0 and cold.files_cached == 0
    assert len(cold.diagnostics) > 5
    count = _without_internal_errors(project, cold)
    assert count >= 3
    _no_parsing(monkeypatch)
    warm, warm_cache = _run(project, tmp_path / "cache")
    assert warm.diagnostics == cold.diagnostics
    assert warm.files_cached == warm.files_checked == count and warm_cache.hits == count


def test_warm_run_after_parallel_cold_run(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "MIN_PARALLEL_FILES", 0)
    monkeypatch.setattr(runner, "MIN_PARALLEL_BYTES", 0)
    project = _files(tmp_path)
    cold, _ = _run(project, tmp_path / "cache", jobs=2)  # entries written by worker processes
    assert cold.jobs_used == 2
    count = _without_internal_errors(project, cold)
    _no_parsing(monkeypatch)
    warm, _ = _run(project, tmp_path / "cache", jobs=2)
    assert warm.diagnostics == cold.diagnostics and warm.files_cached == count


def test_cache_folder_is_tagged_and_ignored(tmp_path):
    _run(_files(tmp_path), tmp_path / "cache")
    assert (tmp_path / "cache" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (tmp_path / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_changed_file_misses(tmp_path):
    project = _files(tmp_path)
    _run(project, tmp_path / "cache")
    target = sorted(project.glob("*.py"))[0]
    target.write_text(target.read_text() + "\n# changed\n")
    _, cache = _run(project, tmp_path / "cache")
    assert cache.hits == 5 and cache.misses == 1


def test_changed_configuration_misses(tmp_path):
    project = _files(tmp_path)
    base, _ = _run(project, tmp_path / "cache")
    # fewer rules selected: every file misses, and the result is the narrower one
    narrow = [rule for rule in RULES if rule.code == "NAN301"]
    result, cache = _run(project, tmp_path / "cache", rules=narrow)
    assert cache.hits == 0
    assert {d.code for d in result.diagnostics} <= {"NAN301", "NAN000", "NAN999"}
    # a rule option changes
    rule = next(r for r in RULES if r.default_options)
    option, default = next(iter(rule.default_options.items()))
    changed = {rule.code: {option: _other(default)}}
    _, cache = _run(project, tmp_path / "cache", settings=Settings(rule_options=changed))
    assert cache.hits == 0
    # per-file ignores change which rules run on a file
    from nanlint.selection import PerFileIgnores

    ignores = PerFileIgnores(((sorted(project.glob("*.py"))[0].name, ("NAN",)),))
    result, cache = _run(project, tmp_path / "cache", settings=Settings(per_file_ignores=ignores))
    assert cache.hits == 5 and cache.misses == 1
    # and the original configuration still hits its own entries
    again, cache = _run(project, tmp_path / "cache")
    assert cache.hits == 6 and again.diagnostics == base.diagnostics


def _other(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value * 2 + 1
    if isinstance(value, str):
        return value + "x"
    return None


def test_key_covers_path_content_rules_and_options(tmp_path):
    cache = Cache(tmp_path, RULES, {})
    digest = content_digest(b"x = 1\n")
    key = cache.key("a.py", digest, RULES)
    assert key == cache.key("a.py", digest, list(reversed(RULES)))
    assert key != cache.key("b.py", digest, RULES)
    assert key != cache.key("a.py", content_digest(b"x = 2\n"), RULES)
    assert key != cache.key("a.py", digest, RULES[1:])
    assert key != Cache(tmp_path, RULES, {"NAN301": {"x": 1}}).key("a.py", digest, RULES)


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"key": "other", "diagnostics": []}',
                                    b'{"diagnostics": [{"line": "x"}]}', b"\xff\xfe\x00"])
def test_corrupted_entry_is_ignored_and_replaced(tmp_path, damage):
    project = _files(tmp_path)
    cold, _ = _run(project, tmp_path / "cache")
    entries = sorted((tmp_path / "cache").rglob("*.json"))
    assert len(entries) == 6
    for entry in entries:
        entry.write_bytes(damage)
    again, cache = _run(project, tmp_path / "cache")
    assert again.diagnostics == cold.diagnostics
    assert cache.hits == 0 and cache.misses == 6
    assert all(json.loads(entry.read_bytes())["key"] == entry.stem for entry in entries)  # rewritten


def test_unwritable_cache_folder_is_not_fatal(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    result, cache = _run(_files(tmp_path), blocker)
    assert result.files_checked == 6 and cache.writes_failed == 6


def _hammer(arguments):
    directory, index = arguments
    cache = Cache(Path(directory), RULES, {})
    from nanlint.diagnostics import Diagnostic

    for round_ in range(60):
        key = cache.key("shared.py", content_digest(b"same"), RULES)
        cache.put(key, [Diagnostic("shared.py", 1, 1, "NAN101", "m" * 2000)])
        found = cache.get(key)
        assert found is not None and found[0].message == "m" * 2000, "a reader saw a partial entry"
    return index


def test_concurrent_writers_never_corrupt_entries(tmp_path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert sorted(pool.map(_hammer, [(str(tmp_path), i) for i in range(4)])) == [0, 1, 2, 3]
    entries = list(tmp_path.rglob("*.json"))
    assert len(entries) == 1
    assert not list(tmp_path.rglob("*.tmp"))  # no temporary files left behind


def test_concurrent_cli_runs_agree(tmp_path):
    project = _files(tmp_path)
    command = [sys.executable, "-m", "nanlint", str(project), "--isolated", "--cache-dir", str(tmp_path / "c")]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [process.communicate()[0] for process in processes]
    assert outputs[0] and outputs.count(outputs[0]) == 3
    assert subprocess.run(command, capture_output=True, text=True).stdout == outputs[0]


def test_cli_cache_location_options(tmp_path, monkeypatch):
    project = _files(tmp_path)
    base = [sys.executable, "-m", "nanlint", str(project), "--isolated"]
    plain = {k: v for k, v in _env().items() if k != "NANLINT_CACHE_DIR"}
    subprocess.run([*base, "--no-cache"], capture_output=True, cwd=tmp_path, env=plain)
    assert not (tmp_path / ".nanlint_cache").exists()
    subprocess.run(base, capture_output=True, cwd=tmp_path, env=plain)
    assert (tmp_path / ".nanlint_cache" / "CACHEDIR.TAG").is_file()
    env_dir = tmp_path / "from-env"
    subprocess.run(base, capture_output=True, cwd=tmp_path, env={**_env(), "NANLINT_CACHE_DIR": str(env_dir)})
    assert (env_dir / "CACHEDIR.TAG").is_file()
    flag_dir = tmp_path / "from-flag"
    subprocess.run([*base, "--cache-dir", str(flag_dir)], capture_output=True, cwd=tmp_path,
                   env={**_env(), "NANLINT_CACHE_DIR": str(env_dir / "unused")})
    assert (flag_dir / "CACHEDIR.TAG").is_file() and not (env_dir / "unused").exists()


def _env():
    import os

    return dict(os.environ)


def test_default_directory_is_next_to_the_config(tmp_path, monkeypatch):
    monkeypatch.delenv("NANLINT_CACHE_DIR", raising=False)
    assert default_directory(tmp_path) == tmp_path / ".nanlint_cache"
    monkeypatch.chdir(tmp_path)
    assert default_directory(None) == tmp_path / ".nanlint_cache"
    monkeypatch.setenv("NANLINT_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_directory(tmp_path) == tmp_path / "elsewhere"
