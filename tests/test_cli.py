"""The command line, end to end: exit codes, stdin, suppression, selection, config."""

import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from nanlint.cli import main

BAD_LR = "import torch\nopt = torch.optim.Adam(params, lr=1.0)\n"
CLIP_FIRST = textwrap.dedent(
    """\
    import torch
    for x in data:
        opt.zero_grad()
        loss = f(x)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        loss.backward()
        opt.step()
    """
)


def invoke(args, cwd, stdin=None):
    """Run the CLI in-process from `cwd`, with stdout and stderr kept apart."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src").mkdir()
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_file_exits_zero_and_prints_nothing(project):
    write(project / "src" / "ok.py", "import torch\nopt = torch.optim.Adam(params, lr=1e-3)\n")
    result = invoke(["src"], project)
    assert result.exit_code == 0
    assert result.stdout == ""


def test_findings_exit_one_in_flake8_format_sorted(project):
    write(project / "src" / "b.py", BAD_LR)
    write(project / "src" / "a.py", CLIP_FIRST + BAD_LR.replace("import torch\n", ""))
    result = invoke(["src"], project)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        "src/a.py:5:5: NAN302 Gradients are clipped before `backward()` computes them; the new gradients go unclipped into the step",
        "src/a.py:8:7: NAN301 Learning rate 1 is very large for `Adam` (threshold 0.1); updates diverge and the loss turns NaN",
        "src/b.py:2:7: NAN301 Learning rate 1 is very large for `Adam` (threshold 0.1); updates diverge and the loss turns NaN",
    ]


def test_exit_zero(project):
    write(project / "src" / "b.py", BAD_LR)
    result = invoke(["--exit-zero", "src"], project)
    assert result.exit_code == 0
    assert "NAN301" in result.stdout


def test_default_path_is_current_directory(project):
    write(project / "src" / "b.py", BAD_LR)
    result = invoke([], project)
    assert result.exit_code == 1
    assert result.stdout.startswith("src/b.py:2:7: NAN301")


def test_stdin_with_filename(project):
    result = invoke(["-", "--stdin-filename", "pkg/train.py"], project, stdin=BAD_LR)
    assert result.exit_code == 1
    assert result.stdout.startswith("pkg/train.py:2:7: NAN301")


def test_stdin_filename_alone_reads_stdin_and_matches_file_output(project):
    path = write(project / "src" / "b.py", BAD_LR)
    from_file = invoke(["src/b.py"], project)
    from_stdin = invoke(["--stdin-filename", "src/b.py"], project, stdin=path.read_text())
    assert from_stdin.stdout == from_file.stdout != ""


def test_stdin_uses_per_file_ignores_of_its_filename(project):
    write(project / "pyproject.toml", '[tool.nanlint.per-file-ignores]\n"tests/*" = ["NAN301"]\n')
    quiet = invoke(["-", "--stdin-filename", "tests/test_x.py"], project, stdin=BAD_LR)
    loud = invoke(["-", "--stdin-filename", "src/x.py"], project, stdin=BAD_LR)
    assert quiet.exit_code == 0 and quiet.stdout == ""
    assert loud.exit_code == 1


@pytest.mark.parametrize(
    "args, expected_codes",
    [
        ([], {"NAN301", "NAN302"}),
        (["--select", "NAN301"], {"NAN301"}),
        (["--ignore", "NAN3"], set()),
        (["--select", "NAN3", "--ignore", "NAN302"], {"NAN301"}),
        (["--ignore", "NAN3", "--select", "NAN302"], {"NAN302"}),  # longer prefix wins
        (["--select", "nan301"], {"NAN301"}),  # case-insensitive
        (["--select", "NAN301", "--extend-select", "NAN302"], {"NAN301", "NAN302"}),
    ],
)
def test_selection(project, args, expected_codes):
    write(project / "src" / "a.py", CLIP_FIRST + "opt = torch.optim.Adam(params, lr=1.0)\n")
    result = invoke([*args, "src"], project)
    codes = {line.split()[1] for line in result.stdout.splitlines()}
    assert codes == expected_codes
    assert result.exit_code == (1 if expected_codes else 0)


def test_unknown_selected_code_warns_but_runs(project):
    write(project / "src" / "b.py", BAD_LR)
    result = invoke(["--select", "NAN301,XYZ9", "src"], project)
    assert result.exit_code == 1
    assert "'XYZ9' matches no rule code" in result.stderr


@pytest.mark.parametrize(
    "comment, suppressed",
    [
        ("# noqa", True),
        ("# noqa: NAN301", True),
        ("# NOQA:NAN301", True),
        ("# noqa: NAN3", True),
        ("# noqa: NAN302", False),
        ("# noqa:NAN302,NAN301", True),
        ("# noqa: E501", False),
        ("# some other comment", False),
    ],
)
def test_noqa(project, comment, suppressed):
    write(project / "src" / "b.py", f"import torch\nopt = torch.optim.Adam(params, lr=1.0)  {comment}\n")
    result = invoke(["src"], project)
    assert (result.stdout == "") is suppressed


def test_noqa_inside_a_string_does_not_suppress(project):
    write(project / "src" / "b.py", 'import torch\nopt = torch.optim.Adam(params, lr=1.0, name="# noqa")\n')
    assert invoke(["src"], project).exit_code == 1


def test_file_level_noqa(project):
    write(project / "src" / "b.py", "# nanlint: noqa\n" + BAD_LR)
    result = invoke(["src"], project)
    assert result.exit_code == 0 and result.stdout == ""


def test_config_in_pyproject_found_walking_up(project):
    write(project / "pyproject.toml", '[tool.nanlint]\nignore = ["NAN301"]\n')
    write(project / "src" / "deep" / "b.py", BAD_LR)
    result = invoke(["src/deep"], project)
    assert result.exit_code == 0


def test_nanlint_toml_and_isolated(project):
    write(project / "nanlint.toml", 'ignore = ["NAN301"]\n')
    write(project / "src" / "b.py", BAD_LR)
    assert invoke(["src"], project).exit_code == 0
    assert invoke(["--isolated", "src"], project).exit_code == 1


def test_explicit_config_path(project):
    write(project / "custom.toml", 'select = ["NAN302"]\n')
    write(project / "src" / "b.py", BAD_LR)
    assert invoke(["--config", "custom.toml", "src"], project).exit_code == 0


def test_per_file_ignores_in_config(project):
    write(project / "pyproject.toml", '[tool.nanlint.per-file-ignores]\n"src/legacy/*" = ["NAN3"]\n')
    write(project / "src" / "legacy" / "old.py", BAD_LR)
    write(project / "src" / "new.py", BAD_LR)
    result = invoke(["src"], project)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["src/new.py"]


def test_per_file_ignores_on_command_line(project):
    write(project / "src" / "new.py", BAD_LR)
    result = invoke(["--per-file-ignores", "src/*.py:NAN301", "src"], project)
    assert result.exit_code == 0


def test_rule_options_change_thresholds(project):
    write(project / "pyproject.toml", "[tool.nanlint.options.large-learning-rate]\nthresholds = { adam = 2.0 }\n")
    write(project / "src" / "b.py", BAD_LR)
    assert invoke(["src"], project).exit_code == 0


@pytest.mark.parametrize(
    "config, message",
    [
        ('[tool.nanlint]\nselcet = ["NAN"]\n', "unknown key 'selcet'"),
        ('[tool.nanlint]\nselect = "NAN301"\n', "key 'select' must be a list of strings"),
        ("[tool.nanlint]\nselect = [\n", "invalid TOML"),
        ("[tool.nanlint.options.NAN301]\nthreshold = 1\n", "unknown option 'threshold'"),
        ("[tool.nanlint.options.NAN777]\nx = 1\n", "unknown rule 'NAN777'"),
        ('[tool.nanlint.options.NAN301]\nthresholds = "high"\n', "option 'thresholds' for NAN301 must be dict"),
    ],
)
def test_config_errors_exit_two_naming_file_and_key(project, config, message):
    write(project / "pyproject.toml", config)
    write(project / "src" / "b.py", BAD_LR)
    result = invoke(["src"], project)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "pyproject.toml" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_config_file_is_an_error(project):
    result = invoke(["--config", "nope.toml", "."], project)
    assert result.exit_code == 2


def test_unknown_output_format_is_a_usage_error(project):
    result = invoke(["--output-format", "xml-ish", "."], project)
    assert result.exit_code == 2


def test_unparsable_and_unreadable_files_get_nan000_and_the_run_goes_on(project):
    write(project / "src" / "broken.py", "import torch\ndef f(:\n")
    (project / "src" / "latin.py").write_bytes(b"x = '\xff\xfe'\n")
    write(project / "src" / "b.py", BAD_LR)
    result = invoke(["src", "src/missing.py"], project)
    lines = result.stdout.splitlines()
    assert any(line.startswith("src/broken.py:2:") and "NAN000 syntax error" in line for line in lines)
    assert any(line.startswith("src/latin.py:1:") and "NAN000" in line for line in lines)
    assert any(line.startswith("src/missing.py:1:1: NAN000") for line in lines)
    assert any(line.startswith("src/b.py:2:7: NAN301") for line in lines)
    assert result.exit_code == 1


def test_excludes_and_gitignore(project):
    write(project / ".gitignore", "generated/\n")
    write(project / "generated" / "g.py", BAD_LR)
    write(project / ".venv" / "lib" / "v.py", BAD_LR)
    write(project / "build" / "b.py", BAD_LR)
    write(project / "scratch" / "s.py", BAD_LR)
    write(project / "src" / "b.py", BAD_LR)
    result = invoke(["--extend-exclude", "scratch", "."], project)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["src/b.py"]
    # A file named explicitly is always checked, even inside an excluded folder.
    assert invoke(["build/b.py"], project).exit_code == 1


def test_list_rules_and_explain(project):
    listing = invoke(["--list-rules"], project)
    assert listing.exit_code == 0
    assert "NAN301  large-learning-rate" in listing.stdout
    explained = invoke(["--explain", "NAN302"], project)
    assert explained.exit_code == 0
    assert explained.stdout.startswith("# NAN302: clip-before-backward")
    assert invoke(["--explain", "clip-before-backward"], project).stdout == explained.stdout
    assert invoke(["--explain", "NAN777"], project).exit_code == 2


def test_explain_the_codes_nanlint_reports_itself(project):
    # A user who meets NAN000 or NAN999 in the output can look it up like a rule's code.
    for code, name in (("NAN000", "unreadable-file"), ("NAN999", "internal-error")):
        explained = invoke(["--explain", code], project)
        assert explained.exit_code == 0
        assert explained.stdout.startswith(f"# {code}: {name}")
        assert "## What to do" in explained.stdout
        page = Path(__file__).resolve().parent.parent / "rules" / f"{code}.md"
        assert explained.stdout == page.read_text(encoding="utf-8")


def test_version(project):
    from nanlint import __version__

    result = invoke(["--version"], project)
    assert result.exit_code == 0 and __version__ in result.stdout
