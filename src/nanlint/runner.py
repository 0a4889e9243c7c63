"""Check many files: discovery results in, sorted diagnostics out.

Files are independent, so they are checked in parallel worker processes (`jobs`),
and their results are cached by content (`nanlint.cache`). The output does not
depend on either: diagnostics are sorted at the end, and a cached result is the
result the same check would give.

* A file whose cache entry exists is answered by the parent from the entry: no
  parse, no worker.
* The other files go to workers, largest first, in small chunks; a worker is a
  forked copy of the parent (rules already imported) where the platform allows,
  reads the file itself (paths are sent, not sources), and writes the cache entry.
* Small runs (a pre-commit hook's handful of files) stay in this process: starting
  workers would cost more than it saves.
* A worker that dies (a crash in native code) costs only its files: they are
  retried one by one, and a file that kills a worker again becomes a NAN999.
"""

from __future__ import annotations

import dataclasses

import gc
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Type

from nanlint.checker import check_bytes, check_file, rules_for_file
from nanlint.config import Settings
from nanlint.diagnostics import INTERNAL_ERROR_CODE, UNREADABLE_CODE, Diagnostic
from nanlint.discovery import STDIN, Discovered
from nanlint.engine import LintResult
from nanlint.rule import Rule

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from nanlint.cache import Cache

# Below these, checking in this process is faster than starting workers.
MIN_PARALLEL_FILES = 6
MIN_PARALLEL_BYTES = 200_000
# Files per task sent to a worker (more: less overhead; fewer: better balance at the end).
MAX_CHUNK = 8


@dataclass
class RunResult:
    diagnostics: List[Diagnostic] = field(default_factory=list)
    tracebacks: List[str] = field(default_factory=list)
    files_checked: int = 0
    stdin_data: Optional[bytes] = None  # what was read from stdin, for formats that show source
    files_cached: int = 0  # answered from the cache
    jobs_used: int = 1  # worker processes started (1: everything ran in this process)


def default_jobs() -> int:
    """The CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass
class _Job:
    """What a worker needs to check a file: the same in this process and in a worker."""

    settings: Settings
    rules: Sequence[Type[Rule]]
    cache: Optional["Cache"] = None

    def lookup(self, path: str) -> Tuple[Optional[LintResult], int]:
        """(the cached result or None, the file's size in bytes, or -1 if unreadable)."""
        if self.cache is None:
            return None, _size(path)
        data = _read(path, self.settings)
        if data is None:
            return None, -1
        found = self.cache.get(self._key(path, data))
        if found is None:
            return None, len(data)
        # The key is the absolute path; report the file as it was named in this run.
        return LintResult([dataclasses.replace(d, path=path) for d in found]), len(data)

    def check(self, path: str) -> LintResult:
        with _gc_paused():
            if self.cache is None:
                return check_file(path, self.settings, self.rules)
            data = _read(path, self.settings)
            if data is None:  # unreadable or too large: the checker says why
                return check_file(path, self.settings, self.rules)
            result = check_bytes(path, data, self.settings, self.rules)
            if not any(d.code == INTERNAL_ERROR_CODE for d in result.diagnostics):
                self.cache.put(self._key(path, data), result.diagnostics)
            return result

    def _key(self, path: str, data: bytes) -> str:
        from nanlint.cache import content_digest

        assert self.cache is not None
        return self.cache.key(path, content_digest(data), rules_for_file(path, self.settings, self.rules))


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def _read(path: str, settings: Settings) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > settings.max_file_size and not path.lower().endswith(".ipynb"):
                return None
            return handle.read()
    except OSError:
        return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while one file is checked.

    A libcst tree is hundreds of thousands of objects made at once; the collector
    would scan them again and again while they are built (parsing is markedly faster
    without it). They are freed by reference counting when the file is done, and
    the collector runs again before the next file, so memory stays flat.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run(
    discovered: Discovered,
    settings: Settings,
    rules: Sequence[Type[Rule]],
    stdin_filename: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
    jobs: Optional[int] = None,
    cache: Optional["Cache"] = None,
) -> RunResult:
    result = RunResult()
    for path, message in discovered.problems:
        result.diagnostics.append(Diagnostic(path, 1, 1, UNREADABLE_CODE, message))
    total = len(discovered.files)
    job = _Job(settings, list(rules), cache)

    def record(checked: LintResult) -> None:
        result.files_checked += 1
        result.diagnostics.extend(checked.diagnostics)
        result.tracebacks.extend(checked.tracebacks)
        if progress is not None:
            progress(result.files_checked, total)

    pending: List[Tuple[str, int]] = []
    for path in discovered.files:
        if path == STDIN:
            display = stdin_filename or STDIN
            result.stdin_data = sys.stdin.buffer.read()
            with _gc_paused():
                record(check_bytes(display, result.stdin_data, settings, rules))
            continue
        found, size = job.lookup(path)
        if found is not None:
            result.files_cached += 1
            record(found)
        else:
            pending.append((path, size))

    workers = min(jobs if jobs is not None else default_jobs(), len(pending))
    if workers > 1 and len(pending) >= MIN_PARALLEL_FILES and sum(max(s, 0) for _, s in pending) >= MIN_PARALLEL_BYTES:
        result.jobs_used = workers
        for checked in _in_workers(job, pending, workers):
            record(checked)
    else:
        for path, _ in pending:
            record(job.check(path))
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


# --- worker processes ----------------------------------------------------------------------

_WORKER_JOB: Optional[_Job] = None


def _start_worker(job: _Job) -> None:
    global _WORKER_JOB
    _WORKER_JOB = job
    gc.freeze()  # what the parent imported is never garbage: keep it out of every collection


def _prepare(job: _Job) -> None:
    """Work every worker would otherwise repeat for itself, done once before they are forked:
    the visitor methods of each rule class and of the semantic model."""
    from nanlint.semantic.model import SemanticModel
    from nanlint.walker import method_names

    for visitor in (SemanticModel, *job.rules):
        method_names(visitor)


def _check_chunk(paths: Sequence[str]) -> List[LintResult]:
    assert _WORKER_JOB is not None
    return [_WORKER_JOB.check(path) for path in paths]


def _context():
    import multiprocessing

    # fork: workers start in milliseconds with every rule already imported.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _chunks(pending: Sequence[Tuple[str, int]], workers: int) -> List[List[str]]:
    """Largest files first (the last tasks are small, so workers finish together)."""
    ordered = [path for path, _ in sorted(pending, key=lambda item: -item[1])]
    size = max(1, min(MAX_CHUNK, len(ordered) // (workers * 8)))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def _pool(job: _Job, workers: int) -> "ProcessPoolExecutor":
    from concurrent.futures import ProcessPoolExecutor  # imported only when workers are used

    _prepare(job)
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_start_worker, initargs=(job,))


def _in_workers(job: _Job, pending: Sequence[Tuple[str, int]], workers: int) -> Iterator[LintResult]:
    from concurrent.futures import FIRST_COMPLETED, Future, wait
    from concurrent.futures.process import BrokenProcessPool

    suspects: List[str] = []
    executor = _pool(job, workers)
    try:
        futures: Dict[Future, List[str]] = {executor.submit(_check_chunk, chunk): chunk
                                            for chunk in _chunks(pending, workers)}
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = futures.pop(future)
                try:
                    yield from future.result()
                except BrokenProcessPool:
                    suspects.extend(chunk)  # a worker died: every unfinished chunk fails
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    yield from _one_by_one(job, suspects)


def _one_by_one(job: _Job, paths: List[str]) -> Iterator[LintResult]:
    """After a worker died: one worker, files in order; the first that fails is the culprit."""
    from concurrent.futures.process import BrokenProcessPool

    while paths:
        executor = _pool(job, 1)
        try:
            futures = [executor.submit(_check_chunk, [path]) for path in paths]
            rest: List[str] = []
            for index, future in enumerate(futures):
                try:
                    yield from future.result()
                except BrokenProcessPool:
                    yield _worker_died(paths[index])
                    rest = paths[index + 1:]
                    break
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        paths = rest


def _worker_died(path: str) -> LintResult:
    message = ("internal error: the worker process checking this file died (a crash in native code?); "
               "please report this bug")
    return LintResult([Diagnostic(path, 1, 1, INTERNAL_ERROR_CODE, message)],
                      tracebacks=[f"{path}: worker process died"])
