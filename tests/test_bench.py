"""The benchmark's one-process pairing of the bare parse with nanlint (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench as module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


def test_paired_helper_times_each_side_of_every_file(bench, tmp_path: Path) -> None:
    files = sorted(FIXTURES.glob("NAN10*.py"))[:3]
    assert files
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(str(f) for f in files) + "\n", encoding="utf-8")
    output = tmp_path / "spent.json"
    done = subprocess.run([sys.executable, "-c", bench._PAIRED, str(listing), str(output)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    spent = json.loads(output.read_text(encoding="utf-8"))
    assert set(spent) == {"bare", "nanlint", "bare_paused"}
    assert all(isinstance(seconds, float) and seconds > 0 for seconds in spent.values()), spent


def test_paired_rounds_are_reported_as_the_overhead_over_all_rounds(bench) -> None:
    result = {"wall": 10.0, "cpu": 10.0, "rss_kb": 1024.0}
    rounds = {"needs-parse-paired": [dict(result, paired_bare=4.0, paired_nanlint=5.0, paired_bare_paused=3.0),
                                     dict(result, paired_bare=6.0, paired_nanlint=6.0, paired_bare_paused=5.0)]}
    text = bench.render([("needs-parse-paired", 2, result)], [Path("a.py"), Path("b.py")], 10, 2, "all", 2,
                        {"cpus (nproc)": "2"}, rounds)
    # 11 s against 10 s over both rounds; +25% and +0% round by round; 11 s against 8 s paused.
    assert "+10% CPU over all rounds (11.00 s against 10.00 s); round by round: +25%, +0%." in text
    assert "Against the bare parse with the collector paused (8.00 s): +38%." in text
