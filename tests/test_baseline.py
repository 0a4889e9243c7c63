"""Baselines: record today's findings, then report only new ones, robust to moved lines."""

import json
import os

from click.testing import CliRunner

from nanlint import baseline
from nanlint.cli import main
from nanlint.diagnostics import Diagnostic
from nanlint.formatters.sources import SourceLines

BAD = "opt = torch.optim.SGD(p, lr=5.0)\n"
OTHER = "opt2 = torch.optim.Adam(p, lr=0.5)\n"


def run_cli(args, cwd):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["--isolated", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def codes_and_lines(output):
    return [line.split(": ")[0] for line in output.splitlines()]


def test_write_then_check_reports_nothing_and_exits_zero(tmp_path):
    write(tmp_path / "src" / "train.py", "import torch\n" + BAD + OTHER)
    written = run_cli(["--write-baseline", "nanlint-baseline.json", "src"], tmp_path)
    assert written.exit_code == 0
    assert written.stdout == ""
    assert "wrote 2 finding(s)" in written.stderr
    document = json.loads((tmp_path / "nanlint-baseline.json").read_text(encoding="utf-8"))
    assert [(e["code"], e["path"], e["line"]) for e in document["findings"]] == [
        ("NAN301", "src/train.py", 2), ("NAN301", "src/train.py", 3)]
    checked = run_cli(["--baseline", "nanlint-baseline.json", "src"], tmp_path)
    assert checked.exit_code == 0
    assert checked.stdout == ""


def test_moved_lines_stay_matched_and_new_findings_are_reported(tmp_path):
    source = tmp_path / "train.py"
    write(source, "import torch\n" + BAD + OTHER)
    run_cli(["--write-baseline", "base.json", "train.py"], tmp_path)
    # Code added above and between, the file reindented in a block: the old findings move.
    write(source, "import torch\n\n\ndef setup():\n    pass\n\n\nif True:\n    " + BAD + "\n" + OTHER
          + "opt3 = torch.optim.SGD(p, lr=7.0)\n")
    result = run_cli(["--baseline", "base.json", "train.py"], tmp_path)
    assert result.exit_code == 1
    assert codes_and_lines(result.stdout) == ["train.py:12:8"]
    assert "Learning rate 7 " in result.stdout


def test_a_duplicated_line_is_one_new_finding(tmp_path):
    write(tmp_path / "train.py", "import torch\n" + BAD)
    run_cli(["--write-baseline", "base.json", "train.py"], tmp_path)
    write(tmp_path / "train.py", "import torch\n" + BAD + BAD)
    result = run_cli(["--baseline", "base.json", "train.py"], tmp_path)
    assert len(result.stdout.splitlines()) == 1 and result.exit_code == 1


def test_an_edited_line_is_new(tmp_path):
    write(tmp_path / "train.py", "import torch\n" + BAD)
    run_cli(["--write-baseline", "base.json", "train.py"], tmp_path)
    write(tmp_path / "train.py", "import torch\n" + BAD.replace("5.0", "50.0"))
    assert run_cli(["--baseline", "base.json", "train.py"], tmp_path).exit_code == 1


def test_the_same_line_in_another_file_is_new(tmp_path):
    write(tmp_path / "a.py", "import torch\n" + BAD)
    run_cli(["--write-baseline", "base.json", "a.py"], tmp_path)
    write(tmp_path / "b.py", "import torch\n" + BAD)
    result = run_cli(["--baseline", "base.json", "a.py", "b.py"], tmp_path)
    assert codes_and_lines(result.stdout) == ["b.py:2:7"]


def test_paths_are_relative_to_the_baseline_file_not_the_working_directory(tmp_path):
    write(tmp_path / "project" / "src" / "a.py", "import torch\n" + BAD)
    run_cli(["--write-baseline", "project/base.json", "project/src"], tmp_path)
    entry = json.loads((tmp_path / "project" / "base.json").read_text(encoding="utf-8"))["findings"][0]
    assert entry["path"] == "src/a.py"
    from_inside = run_cli(["--baseline", "base.json", "src"], tmp_path / "project")
    assert from_inside.exit_code == 0 and from_inside.stdout == "", from_inside.stdout + from_inside.stderr


def test_notebook_findings_survive_inserted_cells(tmp_path):
    def nb(*sources):
        return json.dumps({"cells": [{"cell_type": "code", "source": s, "metadata": {}, "outputs": []} for s in sources],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

    write(tmp_path / "nb.ipynb", nb("import torch", BAD))
    run_cli(["--write-baseline", "base.json", "nb.ipynb"], tmp_path)
    write(tmp_path / "nb.ipynb", nb("import torch", "print('hello')", BAD, OTHER))
    result = run_cli(["--baseline", "base.json", "nb.ipynb"], tmp_path)
    assert codes_and_lines(result.stdout) == ["nb.ipynb:4:1:8"]


def test_baseline_works_with_machine_formats_and_statistics(tmp_path):
    write(tmp_path / "train.py", "import torch\n" + BAD)
    run_cli(["--write-baseline", "base.json", "train.py"], tmp_path)
    write(tmp_path / "train.py", "import torch\n" + BAD + OTHER)
    as_json = json.loads(run_cli(["--baseline", "base.json", "--output-format", "json", "train.py"], tmp_path).stdout)
    assert [f["line"] for f in as_json] == [3]
    stats = run_cli(["--baseline", "base.json", "--statistics", "train.py"], tmp_path).stdout
    assert stats.split() == ["1", "NAN301", "large-learning-rate"]


def test_missing_or_broken_baseline_is_a_usage_error(tmp_path):
    write(tmp_path / "train.py", "import torch\n" + BAD)
    missing = run_cli(["--baseline", "nope.json", "train.py"], tmp_path)
    assert missing.exit_code == 2 and "does not exist" in missing.stderr and missing.stdout == ""
    write(tmp_path / "broken.json", "{")
    broken = run_cli(["--baseline", "broken.json", "train.py"], tmp_path)
    assert broken.exit_code == 2 and "not valid JSON" in broken.stderr
    write(tmp_path / "other.json", '{"findings": []}')
    other = run_cli(["--baseline", "other.json", "train.py"], tmp_path)
    assert other.exit_code == 2 and "not a nanlint baseline" in other.stderr


def test_internal_errors_are_never_baselined(tmp_path):
    write(tmp_path / "a.py", "x = 1\n")
    crash = Diagnostic(str(tmp_path / "a.py"), 1, 1, "NAN999", "internal error in rule X")
    finding = Diagnostic(str(tmp_path / "a.py"), 1, 1, "NAN301", "m")
    file = str(tmp_path / "base.json")
    assert baseline.write(file, [crash, finding], SourceLines()) == 1
    assert baseline.new_findings([crash, finding], file, SourceLines()) == [crash]


def test_fingerprints_ignore_whitespace_and_count_occurrences():
    class Lines:
        def __init__(self, text):
            self.text = text.splitlines()

        def line(self, path, line, cell=None):
            return self.text[line - 1]

    diagnostics = [Diagnostic("a.py", 1, 1, "NAN301", "m"), Diagnostic("a.py", 3, 5, "NAN301", "m")]
    first = baseline.fingerprints(diagnostics, Lines("x = f(1)\ny\nx = f(1)\n"))
    assert first[0].endswith(":0") and first[1].endswith(":1")
    assert first[0].split(":")[0] == first[1].split(":")[0]
    spaced = baseline.fingerprints(diagnostics, Lines("x  =  f(1)\ny\n    x = f(1)\n"))
    assert spaced == first
    # the caller's order does not change which one is occurrence 0
    assert baseline.fingerprints(diagnostics[::-1], Lines("x = f(1)\ny\nx = f(1)\n")) == first[::-1]
