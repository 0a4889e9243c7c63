"""The real-code corpus: every rule over the pinned ML packages (24 packages, ~9,100 files, 3.2M lines).

Asserts zero crashes (exit status 0 or 1, no traceback), zero internal errors (NAN999),
no real file refused as too deep or too large, and deterministic output: a second run,
in parallel worker processes, prints exactly the same. It takes minutes, so it runs
only when asked for:

    python -m pytest -m corpus            # or: NANLINT_CORPUS=1 python -m pytest tests/test_corpus.py
    NANLINT_CORPUS_OUTPUT=findings.txt python -m pytest -m corpus   # also keep the findings

The corpus is downloaded once with pip (`benchmarks/corpus.py`, pinned versions) if it
is not already in benchmarks/.cache/.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def corpus(request):
    markexpr = request.config.getoption("markexpr", default="") or ""
    if "corpus" not in markexpr and os.environ.get("NANLINT_CORPUS") != "1":
        pytest.skip("the real-code corpus takes minutes: run `python -m pytest -m corpus` (or set NANLINT_CORPUS=1)")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import corpus as corpus_script
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return corpus_script.ensure_corpus()


def nanlint(folder: Path, *args: str):
    from nanlint.registry import all_rules

    every_rule = ",".join(all_rules())  # including the rules that are off by default
    command = [sys.executable, "-m", "nanlint", str(folder), "--isolated", "--select", every_rule, "--no-cache", *args]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    return done, time.monotonic() - started


def test_corpus_has_no_crash_no_internal_error_and_is_deterministic(corpus, capsys):
    from nanlint.config import DEFAULT_EXCLUDE
    from nanlint.discovery import discover

    files = discover([str(corpus)], DEFAULT_EXCLUDE).files
    assert len(files) > 5000, "the corpus is incomplete"

    single, single_seconds = nanlint(corpus, "--jobs", "1")
    parallel, parallel_seconds = nanlint(corpus, "--jobs", "2")

    saved = os.environ.get("NANLINT_CORPUS_OUTPUT")  # keep the findings, e.g. for docs/precision.md
    if saved:
        Path(saved).write_text(single.stdout, encoding="utf-8")
    lines = single.stdout.splitlines()
    internal = [line for line in lines if " NAN999 " in line]
    by_rule = collections.Counter(line.split("internal error in ", 1)[-1].split(":", 1)[0] for line in internal)
    refused = [line for line in lines if " NAN000 " in line and ("nested more than" in line or "too large" in line)]
    unreadable = sum(" NAN000 " in line for line in lines)
    with capsys.disabled():
        print(f"\ncorpus: {len(files)} files, {len(lines)} findings ({unreadable} NAN000, {len(internal)} NAN999 "
              f"{dict(by_rule)}); exit {single.returncode}/{parallel.returncode}; --jobs 1: {single_seconds:.0f} s, "
              f"--jobs 2: {parallel_seconds:.0f} s; output identical: {single.stdout == parallel.stdout}")

    for run in (single, parallel):
        assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert not internal, f"internal errors on real code ({dict(by_rule)}):\n" + "\n".join(internal[:30])
    for run in (single, parallel):
        assert run.returncode in (0, 1), run.stderr[-3000:]
    assert not refused, "real files refused by the robustness limits:\n" + "\n".join(refused)
    assert single.stdout == parallel.stdout, "the output differs between --jobs 1 and --jobs 2"
