"""The flake8 plugin, run for real: `flake8 --select NAN` must report what nanlint reports,
with flake8's own noqa, selection and per-file-ignores handling."""

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from nanlint.flake8_plugin import Flake8Plugin
from nanlint.registry import all_rules

TESTS = Path(__file__).parent
FIXTURES = sorted(p.name for p in (TESTS / "fixtures").glob("NAN*.py"))


def flake8(*args, cwd=TESTS / "fixtures", stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd, capture_output=True, text=True, input=stdin, timeout=300,
    )


def nanlint(*args, cwd=TESTS / "fixtures", stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "nanlint", "--isolated", *args],
        cwd=cwd, capture_output=True, text=True, input=stdin, timeout=300,
    )


def lines(output):
    return sorted(line for line in output.splitlines() if line.strip())


def test_flake8_select_nan_reports_the_same_findings_as_nanlint():
    ours = nanlint(*FIXTURES)
    theirs = flake8("--select", "NAN", *FIXTURES)
    assert "NAN" in ours.stdout, ours.stderr
    assert theirs.stderr == ""
    assert lines(theirs.stdout) == lines(ours.stdout)
    assert theirs.returncode == 1


def test_flake8_handles_noqa_select_and_per_file_ignores(tmp_path):
    source = (
        "import torch\n"
        "a = torch.optim.SGD(p, lr=5.0)\n"
        "b = torch.optim.SGD(p, lr=5.0)  # noqa: NAN301\n"
        "c = torch.optim.SGD(p, lr=5.0)  # noqa\n"
        "d = torch.optim.SGD(p, lr=5.0)  # noqa: E501\n"
    )
    (tmp_path / "train.py").write_text(source, encoding="utf-8")
    result = flake8("--select", "NAN", "train.py", cwd=tmp_path)
    assert [line.split(":")[1] for line in lines(result.stdout)] == ["2", "5"]
    assert flake8("--select", "NAN", "--extend-ignore", "NAN301", "train.py", cwd=tmp_path).stdout == ""
    assert flake8("--select", "NAN", "--per-file-ignores", "train.py:NAN3", "train.py", cwd=tmp_path).stdout == ""
    assert flake8("--select", "E9", "train.py", cwd=tmp_path).stdout == ""


def test_flake8_config_file_is_honoured(tmp_path):
    (tmp_path / "train.py").write_text("import torch\na = torch.optim.SGD(p, lr=5.0)\n", encoding="utf-8")
    (tmp_path / "setup.cfg").write_text("[flake8]\nselect = NAN\nextend-ignore = NAN301\n", encoding="utf-8")
    configured = subprocess.run([sys.executable, "-m", "flake8", "train.py"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
    assert configured.stdout == "" and configured.returncode == 0


def test_flake8_prints_the_same_columns_as_nanlint_from_stdin():
    source = "import torch\nif True:\n    opt = torch.optim.SGD(p, lr=5.0)\n"
    theirs = flake8("--select", "NAN", "--stdin-display-name", "x.py", "-", stdin=source)
    ours = nanlint("--stdin-filename", "x.py", "-", stdin=source)
    assert theirs.stdout.startswith("x.py:3:11: NAN301 ")
    assert theirs.stdout == ours.stdout


def test_plugin_yields_zero_based_columns_and_leaves_noqa_to_flake8():
    source = "import torch\nopt = torch.optim.SGD(p, lr=5.0)  # noqa\n"
    Flake8Plugin.parse_options(argparse.Namespace(select=None, extend_select=None))
    plugin = Flake8Plugin(ast.parse(source), "x.py", source.splitlines(keepends=True))
    [(line, col, text, kind)] = list(plugin.run())
    assert (line, col) == (2, 6)
    assert text.startswith("NAN301 Learning rate 5")
    assert kind is Flake8Plugin


def test_plugin_does_not_report_syntax_errors_itself():
    source = "import torch\nopt = torch.optim.SGD(p, lr=5.0\n"
    plugin = Flake8Plugin(None, "x.py", source.splitlines(keepends=True))
    assert list(plugin.run()) == []


def test_off_by_default_rules_run_only_when_flake8_selects_them_specifically():
    rules = all_rules().values()
    Flake8Plugin.parse_options(argparse.Namespace(select=["NAN"], extend_select=[]))
    default = {rule.code for rule in Flake8Plugin.rules()}
    assert default == {rule.code for rule in rules if rule.default_enabled}
    off = [rule for rule in rules if not rule.default_enabled]
    if not off:
        pytest.skip("no rule is off by default at the moment")
    Flake8Plugin.parse_options(argparse.Namespace(select=["E", off[0].code], extend_select=None))
    assert off[0].code in {rule.code for rule in Flake8Plugin.rules()}
    Flake8Plugin.parse_options(argparse.Namespace(select=None, extend_select=None))
