"""Editors read the buffer from stdin (`--stdin-filename`): the output must equal the
output for the file on disk, and the patterns documented in docs/integrations.md must
parse it. Vim and Emacs run for real when they are installed."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nanlint.cli import main
from nanlint.formatters import FORMATS

ROOT = Path(__file__).parent.parent
DOC = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
TRAIN = (
    "import torch\n"
    "\n"
    "LR = 5.0\n"
    "for x, y in loader:\n"
    "    loss = loss_fn(model(x), y)\n"
    "    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n"
    "    loss.backward()\n"
    "    opt = torch.optim.SGD(model.parameters(), lr=LR)\n"
    "    opt.step()\n"
)


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


def run_cli(args, cwd, stdin=None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nanlint]\nselect = ["NAN301", "NAN302"]\n[tool.nanlint.per-file-ignores]\n"scripts/*" = ["NAN302"]\n',
        encoding="utf-8",
    )
    for folder in ("src", "scripts"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "train.py").write_text(TRAIN, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("path", ["src/train.py", "scripts/train.py"])
def test_stdin_output_equals_file_output(project, name, path):
    on_disk = run_cli(["--output-format", name, path], project)
    on_stdin = run_cli(["--output-format", name, "--stdin-filename", path, "-"], project, stdin=TRAIN)
    assert on_disk.exit_code == on_stdin.exit_code == 1
    assert on_stdin.stdout == on_disk.stdout
    assert path in on_disk.stdout


def test_stdin_uses_the_config_of_the_named_file(project):
    src = run_cli(["--stdin-filename", "src/train.py", "-"], project, stdin=TRAIN).stdout
    scripts = run_cli(["--stdin-filename", "scripts/train.py", "-"], project, stdin=TRAIN).stdout
    assert "NAN302" in src and "NAN302" not in scripts


def test_stdin_checks_the_unsaved_buffer_not_the_file(project):
    edited = TRAIN.replace("LR = 5.0", "LR = 1e-3")
    result = run_cli(["--stdin-filename", "src/train.py", "-"], project, stdin=edited)
    assert "NAN301" not in result.stdout and "NAN302" in result.stdout


def test_stdin_full_format_shows_the_buffer_lines(project):
    edited = "# a line only in the buffer\n" + TRAIN
    result = run_cli(["--output-format", "full", "--stdin-filename", "src/train.py", "-"], project, stdin=edited)
    assert "9 |     opt = torch.optim.SGD(model.parameters(), lr=LR)" in result.stdout


def test_vscode_problem_matcher_parses_the_output(project):
    tasks = next(json.loads(block) for block in blocks("json") if '"tasks"' in block)
    matcher = tasks["tasks"][0]["problemMatcher"]
    pattern = matcher["pattern"]
    output = run_cli(["--stdin-filename", "src/train.py", "-"], project, stdin=TRAIN).stdout
    parsed = []
    for line in output.splitlines():
        match = re.match(pattern["regexp"], line)
        assert match, f"problem matcher does not match {line!r}"
        parsed.append(tuple(match.group(pattern[key]) for key in ("file", "line", "column", "code")))
    assert parsed == [("src/train.py", "6", "5", "NAN302"), ("src/train.py", "8", "11", "NAN301")]
    assert tasks["tasks"][0]["command"] == "nanlint"


def test_vscode_flake8_extension_args_are_flake8_options():
    settings = next(json.loads(block) for block in blocks("json") if "flake8.args" in block)
    result = subprocess.run([sys.executable, "-m", "flake8", *settings["flake8.args"], "--version"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_documented_nanlint_commands_are_valid():
    """Every `nanlint ...` command line in the integration docs parses with the real CLI."""
    commands = []
    for language in ("bash", "yaml", "console"):
        for block in blocks(language):
            for line in block.splitlines():
                found = re.search(r"(?:^|run: |- |\$ )(nanlint (?:[^#>]*))", line.strip())
                if found:
                    commands.append(found.group(1).strip())
    assert len(commands) >= 8
    for command in commands:
        words = command.split()[1:]
        words = [w for w in words if w not in ("<",)]
        context = main.make_context("nanlint", list(words), resilient_parsing=False)
        assert context is not None, command
    formats = set(re.findall(r"--output-format ([a-z-]+)", DOC))
    assert formats <= set(FORMATS)


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_vim_errorformat_and_ale_pattern_parse_the_output(project, tmp_path):
    output = run_cli(["src/train.py"], project).stdout
    report = tmp_path / "out.txt"
    report.write_text(output, encoding="utf-8")
    efm = next(line for block in blocks("vim") for line in block.splitlines() if "errorformat=" in line)
    # ALE's Unix handler pattern (autoload/ale/handlers/unix.vim), used by the documented linter.
    ale_pattern = r"\v^(([a-zA-Z]:)?[^:]+):(\d+):?(\d+)?:? ?(.+)$"
    script = tmp_path / "check.vim"
    script.write_text(
        "\n".join([
            efm.strip(),
            f"cgetfile {report}",
            "let s:out = map(getqflist(), {_, v -> bufname(v.bufnr) . '|' . v.lnum . '|' . v.col . '|' . v.text})",
            f"for s:line in readfile('{report}')",
            f"  let s:m = matchlist(s:line, '{ale_pattern}')",
            "  call add(s:out, 'ale|' . s:m[1] . '|' . s:m[3] . '|' . s:m[4] . '|' . s:m[5])",
            "endfor",
            f"call writefile(s:out, '{tmp_path / 'parsed.txt'}')",
            "qa!",
        ]) + "\n",
        encoding="utf-8",
    )
    subprocess.run(["vim", "-u", "NONE", "-i", "NONE", "-N", "-es", "-S", str(script)], cwd=project,
                   capture_output=True, text=True, timeout=60)
    parsed = (tmp_path / "parsed.txt").read_text(encoding="utf-8").splitlines()
    quickfix = [line for line in parsed if not line.startswith("ale|")]
    ale = [line[4:] for line in parsed if line.startswith("ale|")]
    assert [line.split("|")[:3] for line in quickfix] == [["src/train.py", "6", "5"], ["src/train.py", "8", "11"]]
    assert quickfix[0].split("|")[3].startswith("NAN302 Gradients are clipped")
    assert [line.split("|")[:3] for line in ale] == [["src/train.py", "6", "5"], ["src/train.py", "8", "11"]]


@pytest.mark.skipif(shutil.which("emacs") is None, reason="emacs is not installed")
def test_emacs_flymake_backend_reports_the_buffer(project, tmp_path):
    backend = tmp_path / "nanlint-flymake.el"
    backend.write_text(blocks("elisp")[0], encoding="utf-8")
    runner = tmp_path / "run.el"
    runner.write_text(
        f"""
(load-file "{backend}")
(find-file "{project / 'src' / 'train.py'}")
(goto-char (point-min))
(insert "# an unsaved line\\n")
(defvar nanlint-test-result :none)
(nanlint-flymake (lambda (diagnostics &rest _) (setq nanlint-test-result diagnostics)))
(let ((n 0))
  (while (and (eq nanlint-test-result :none) (< n 600))
    (accept-process-output nil 0.1)
    (setq n (1+ n))))
(dolist (d (reverse nanlint-test-result))
  (princ (format "%d:%d:%s\\n"
                 (line-number-at-pos (flymake-diagnostic-beg d))
                 (save-excursion (goto-char (flymake-diagnostic-beg d)) (1+ (current-column)))
                 (flymake-diagnostic-text d))))
""",
        encoding="utf-8",
    )
    result = subprocess.run(["emacs", "--batch", "-Q", "-l", str(runner)], cwd=project,
                            capture_output=True, text=True, timeout=120)
    lines = result.stdout.splitlines()
    assert [line.split(":")[:2] for line in lines] == [["7", "5"], ["9", "11"]], result.stderr[-2000:]
    assert lines[1].split(":", 2)[2].startswith("NAN301 Learning rate 5")
