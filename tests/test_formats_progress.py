"""Progress and the one-line summary go to stderr only on an interactive terminal;
stdout is the same either way."""

import os
import re

import pytest
from click.testing import CliRunner

from nanlint import cli
from nanlint.cli import main

BAD = "import torch\nopt = torch.optim.SGD(p, lr=5.0)\n"


def run_cli(args, cwd, tty, monkeypatch):
    monkeypatch.setattr(cli, "_stderr_is_tty", lambda: tty)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["--isolated", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path):
    for index in range(3):
        (tmp_path / f"m{index}.py").write_text(BAD if index == 1 else "x = 1\n", encoding="utf-8")
    return tmp_path


def test_interactive_run_prints_a_summary_on_stderr(project, monkeypatch):
    result = run_cli(["."], project, True, monkeypatch)
    assert result.exit_code == 1
    # As a terminal shows it: each carriage return starts the line over, ESC[K clears it.
    summary = result.stderr.rstrip("\n").split("\n")[-1].split("\r")[-1].replace("\x1b[K", "")
    assert re.fullmatch(r"nanlint: 3 files checked, 1 finding in \d+\.\d\ds", summary), summary
    assert "checking 3/3 files" in result.stderr


def test_piped_run_prints_nothing_extra(project, monkeypatch):
    interactive = run_cli(["."], project, True, monkeypatch)
    piped = run_cli(["."], project, False, monkeypatch)
    assert piped.stderr == ""
    assert piped.stdout == interactive.stdout
    assert piped.stdout.startswith("m1.py:2:7: NAN301 ")


def test_summary_of_a_clean_run_and_of_machine_formats(project, monkeypatch):
    clean = run_cli(["m0.py"], project, True, monkeypatch)
    assert clean.exit_code == 0 and clean.stdout == ""
    assert clean.stderr.strip().startswith("nanlint: 1 file checked, 0 findings in ")
    sarif = run_cli(["--output-format", "sarif", "."], project, True, monkeypatch)
    assert sarif.stdout.lstrip().startswith("{") and sarif.stdout.rstrip().endswith("}")
    assert "3 files checked, 1 finding" in sarif.stderr


def test_summary_counts_findings_hidden_by_the_baseline(project, monkeypatch):
    run_cli(["--write-baseline", "base.json", "."], project, False, monkeypatch)
    (project / "m2.py").write_text(BAD, encoding="utf-8")
    result = run_cli(["--baseline", "base.json", "."], project, True, monkeypatch)
    assert result.stdout.startswith("m2.py:2:7: NAN301")
    assert "1 finding (1 in the baseline not shown)" in result.stderr


def test_the_real_check_follows_stderr(monkeypatch):
    class FakeStream:
        def __init__(self, answer):
            self.answer = answer

        def isatty(self):
            return self.answer

    monkeypatch.setattr(cli.sys, "stderr", FakeStream(True))
    assert cli._stderr_is_tty() is True
    monkeypatch.setattr(cli.sys, "stderr", FakeStream(False))
    assert cli._stderr_is_tty() is False
    monkeypatch.setattr(cli.sys, "stderr", object())
    assert cli._stderr_is_tty() is False
