"""Worker processes change the speed, never the output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from nanlint import runner
from nanlint.config import Settings
from nanlint.diagnostics import INTERNAL_ERROR_CODE
from nanlint.discovery import discover
from nanlint.registry import all_rules
from nanlint.rule import Rule

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"


@pytest.fixture
def always_parallel(monkeypatch):
    monkeypatch.setattr(runner, "MIN_PARALLEL_FILES", 0)
    monkeypatch.setattr(runner, "MIN_PARALLEL_BYTES", 0)


def _run(paths, jobs, rules=None):
    rules = list(all_rules().values()) if rules is None else rules
    return runner.run(discover([str(p) for p in paths]), Settings(), rules, jobs=jobs)


def test_jobs_1_and_2_give_identical_output(always_parallel):
    one = _run([FIXTURES], jobs=1)
    two = _run([FIXTURES], jobs=2)
    assert one.jobs_used == 1 and two.jobs_used == 2
    assert len(one.diagnostics) > 20
    assert two.diagnostics == one.diagnostics
    assert two.files_checked == one.files_checked == len(list(FIXTURES.rglob("*.py")))


def test_output_is_sorted(always_parallel):
    result = _run([FIXTURES], jobs=2)
    keys = [d.sort_key() for d in result.diagnostics]
    assert keys == sorted(keys)


def test_small_runs_stay_in_process():
    files = sorted(FIXTURES.glob("*.py"))[:3]
    assert _run(files, jobs=4).jobs_used == 1


def test_default_jobs_is_the_available_cpus():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert runner.default_jobs() == expected


def test_chunks_cover_every_file_once_largest_first():
    pending = [(f"f{i}.py", size) for i, size in enumerate([5, 500, 50, 5000, 1, 40])]
    chunks = runner._chunks(pending, 2)
    flat = [path for chunk in chunks for path in chunk]
    assert sorted(flat) == sorted(path for path, _ in pending)
    assert flat[0] == "f3.py"


class _KillsWorker(Rule):
    """Exits the process on a file that contains `die_here`: a stand-in for a native crash."""

    code = "NAN998"
    name = "kills-worker"
    message = "never reported"
    triggers = ("die_here",)

    def visit_Module(self, node: cst.Module) -> None:
        if os.getpid() != _PARENT and "die_here" in self.context.source:
            os._exit(3)


_PARENT = os.getpid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test rule reaches workers by fork")
def test_a_dying_worker_costs_only_its_file(tmp_path, always_parallel):
    for index in range(6):
        (tmp_path / f"ok{index}.py").write_text("import torch\nx = torch.log(torch.softmax(y, -1))\n")
    (tmp_path / "bad.py").write_text("die_here = 1\n")
    rules = [*all_rules().values(), _KillsWorker]
    result = _run([tmp_path], jobs=2, rules=rules)
    internal = [d for d in result.diagnostics if d.code == INTERNAL_ERROR_CODE]
    assert [Path(d.path).name for d in internal] == ["bad.py"]
    assert result.files_checked == 7
    ok_paths = {Path(d.path).name for d in result.diagnostics if d.code != INTERNAL_ERROR_CODE}
    assert ok_paths == {f"ok{index}.py" for index in range(6)}


def test_cli_jobs_option_gives_identical_output(tmp_path):
    outputs = []
    for jobs in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "nanlint", str(FIXTURES), "--isolated", "--no-cache", "--jobs", jobs,
             "--select", "NAN"],
            capture_output=True, text=True, cwd=tmp_path,
        )
        assert done.returncode in (0, 1), done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") > 10


def test_cli_rejects_zero_jobs(tmp_path):
    done = subprocess.run([sys.executable, "-m", "nanlint", str(FIXTURES), "--jobs", "0"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
