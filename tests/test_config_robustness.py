"""Bad configuration: a clear one-line error naming the file and the key (exit 2, no
traceback), or a warning and a normal run, never a crash.

Also a property: whatever a config file holds (any TOML table, any bytes), building
the settings either works or raises ConfigError; nothing else escapes.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nanlint.cli import main
from nanlint.config import KEYS, ConfigError, Settings, build_settings
from nanlint.registry import all_rules

GOOD = "import torch\nopt = torch.optim.Adam(params, lr=1.0)\n"  # NAN301 at 2:7
GOOD_FINDING = "good.py:2:7: NAN301 "


def run(folder: Path, *args: str):
    old = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, [*args, "."] if not any(a.endswith(".py") for a in args) else list(args),
                                  catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    return tmp_path


def assert_config_error(result, *parts: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nanlint: error: "), result.stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])


# file name, content, parts the one-line error must contain
ERRORS = [
    ("malformed-toml", "nanlint.toml", b"select = [\"NAN1\"\nignore = []\n", ["nanlint.toml", "invalid TOML"]),
    ("malformed-pyproject", "pyproject.toml", b"[tool.nanlint]\nselect = [\n", ["pyproject.toml", "invalid TOML"]),
    ("duplicate-key", "nanlint.toml", b"select = []\nselect = []\n", ["nanlint.toml", "invalid TOML"]),
    ("select-not-a-list", "nanlint.toml", b"select = \"NAN1\"\n", ["nanlint.toml", "'select'", "list of strings"]),
    ("select-list-of-numbers", "nanlint.toml", b"select = [1, 2]\n", ["'select'", "list of strings"]),
    ("gitignore-not-bool", "nanlint.toml", b"respect-gitignore = \"yes\"\n", ["'respect-gitignore'", "true or false"]),
    ("max-size-negative", "nanlint.toml", b"max-file-size = -5\n", ["'max-file-size'", "positive", "-5"]),
    ("max-size-text", "nanlint.toml", b"max-file-size = \"2MB\"\n", ["'max-file-size'", "positive"]),
    ("max-size-bool", "nanlint.toml", b"max-file-size = true\n", ["'max-file-size'", "positive"]),
    ("per-file-not-table", "nanlint.toml", b"per-file-ignores = [\"a\"]\n", ["'per-file-ignores'", "table"]),
    ("per-file-codes-not-list", "nanlint.toml", b"[per-file-ignores]\n\"*.py\" = \"NAN1\"\n", ["'per-file-ignores'"]),
    ("options-not-table", "nanlint.toml", b"options = 3\n", ["'options'", "table"]),
    ("options-rule-not-table", "nanlint.toml", b"[options]\nNAN301 = 3\n", ["'options'"]),
    ("options-unknown-rule", "nanlint.toml", b"[options.NAN777]\nx = 1\n", ["nanlint.toml", "unknown rule 'NAN777'"]),
    ("options-unknown-option", "nanlint.toml", b"[options.NAN301]\nthreshold = 1\n",
     ["nanlint.toml", "unknown option 'threshold'", "NAN301", "thresholds"]),
    ("options-wrong-type", "nanlint.toml", b"[options.large-learning-rate]\nthresholds = 5\n",
     ["nanlint.toml", "'thresholds'", "NAN301", "a table of numbers), not 5"]),
    ("options-wrong-inner-type", "nanlint.toml", b"[options.NAN301.thresholds]\nsgd = \"high\"\n",
     ["'thresholds'", "not sgd = 'high'"]),
    ("unknown-key", "nanlint.toml", b"selct = [\"NAN1\"]\n", ["nanlint.toml", "unknown key 'selct'", "known keys"]),
    ("unknown-key-pyproject", "pyproject.toml", b"[tool.nanlint]\nlint = true\n", ["pyproject.toml", "'lint'",
                                                                                   "[tool.nanlint]"]),
    ("table-not-table", "pyproject.toml", b"[tool]\nnanlint = 5\n", ["pyproject.toml", "[tool.nanlint] must be a table"]),
    ("not-utf8", "nanlint.toml", b"select = [\"NAN3\"]  # caf\xe9\n", ["nanlint.toml", "not valid UTF-8"]),
    ("nul-bytes", "nanlint.toml", b"select = [\"NAN3\"]\x00\n", ["nanlint.toml", "invalid TOML"]),
    ("output-format", "nanlint.toml", b"output-format = \"xml\"\n", ["unknown output format 'xml'", "nanlint.toml"]),
]


@pytest.mark.parametrize("name,filename,content,parts", ERRORS, ids=[e[0] for e in ERRORS])
def test_config_error(project, name, filename, content, parts):
    (project / filename).write_bytes(content)
    assert_config_error(run(project), *parts)


@pytest.mark.parametrize("name,filename,content,parts", ERRORS, ids=[e[0] for e in ERRORS])
def test_config_error_with_explicit_config(project, name, filename, content, parts):
    (project / filename).write_bytes(content)
    assert_config_error(run(project, "--config", filename), *parts)


@pytest.mark.parametrize("name,filename,content,parts", ERRORS[:3], ids=[e[0] for e in ERRORS[:3]])
def test_isolated_ignores_a_broken_config(project, name, filename, content, parts):
    (project / filename).write_bytes(content)
    result = run(project, "--isolated")
    assert result.exit_code == 1 and GOOD_FINDING in result.stdout


def test_broken_pyproject_of_another_tool_is_not_ours(project):
    """A malformed pyproject.toml that never mentions nanlint: not ours to judge, defaults apply."""
    (project / "pyproject.toml").write_bytes(b"[project\nname = 'x'\n")
    result = run(project)
    assert result.exit_code == 1 and GOOD_FINDING in result.stdout and result.stderr == ""


def test_tool_that_is_not_a_table(project):
    (project / "pyproject.toml").write_bytes(b"tool = \"x\"\n")
    assert run(project).exit_code == 1
    result = run(project, "--config", "pyproject.toml")  # explicitly: an empty nanlint table, defaults
    assert result.exit_code == 1 and GOOD_FINDING in result.stdout and "Traceback" not in result.stderr


def test_byte_order_mark_is_accepted(project):
    (project / "nanlint.toml").write_bytes(b"\xef\xbb\xbfselect = [\"NAN3\"]\r\n")
    result = run(project)
    assert result.exit_code == 1 and GOOD_FINDING in result.stdout, result.stderr


def test_config_path_is_a_directory(project):
    result = run(project, "--config", str(project))
    assert result.exit_code == 2 and "is a directory" in result.stderr and "Traceback" not in result.stderr
    # found by the upward search: a folder named like a config file is not one
    (project / "nanlint.toml").mkdir()
    result = run(project)
    assert result.exit_code == 1 and GOOD_FINDING in result.stdout


def test_config_path_does_not_exist(project):
    assert_config_error(run(project, "--config", "nowhere.toml"), "nowhere.toml", "does not exist")


def test_unreadable_config(project, monkeypatch):
    target = project / "nanlint.toml"
    target.write_text("select = ['NAN3']\n", encoding="utf-8")
    target.chmod(0)
    try:
        if os.access(target, os.R_OK):
            # root reads anything: simulate the permission error instead
            real = pathlib.Path.read_text

            def read_text(self, *args, **kwargs):
                if self.name == "nanlint.toml":
                    raise PermissionError(13, "Permission denied", str(self))
                return real(self, *args, **kwargs)

            monkeypatch.setattr(pathlib.Path, "read_text", read_text)
        result = run(project)
    finally:
        target.chmod(0o644)
    assert_config_error(result, "nanlint.toml", "cannot read config file", "Permission denied")


# --- unknown codes warn, conflicts have a documented outcome ----------------------------------


@pytest.mark.parametrize("args,config,warned", [
    (["--select", "NAN3,XYZ1"], "", ["'XYZ1'"]),
    (["--ignore", "NAN9999,FOO"], "", ["'NAN9999'", "'FOO'"]),
    (["--extend-select", "NAN7"], "", ["'NAN7'"]),
    ([], "select = [\"NAN3\", \"ABC\"]\nignore = [\"NAN80\"]\n", ["'ABC'", "'NAN80'"]),
])
def test_unknown_codes_warn_and_the_run_goes_on(project, args, config, warned):
    if config:
        (project / "nanlint.toml").write_text(config, encoding="utf-8")
    result = run(project, *args)
    assert result.exit_code == 1 and GOOD_FINDING in result.stdout, (result.stdout, result.stderr)
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == len(warned)
    for line, code in zip(sorted(warnings), sorted(warned)):
        assert line.startswith("nanlint: warning: ") and code in line and "matches no rule" in line


@pytest.mark.parametrize("args,reported", [
    (["--select", "NAN301", "--ignore", "NAN301"], False),  # a tie: ignore wins (flake8, README)
    (["--select", "NAN3", "--ignore", "NAN301"], False),    # the longer prefix wins
    (["--select", "NAN301", "--ignore", "NAN3"], True),
    (["--select", "NAN", "--ignore", "NAN"], False),
    (["--ignore", "NAN301", "--extend-select", "NAN301"], False),
    (["--select", "NAN1", "--extend-select", "NAN301"], True),
])
def test_conflicting_selection(project, args, reported):
    result = run(project, *args)
    assert (GOOD_FINDING in result.stdout) is reported
    assert result.exit_code == (1 if reported else 0)
    assert result.stderr == ""


def test_command_line_overrides_config(project):
    (project / "nanlint.toml").write_text("select = [\"NAN1\"]\n", encoding="utf-8")
    assert GOOD_FINDING not in run(project).stdout
    assert GOOD_FINDING in run(project, "--select", "NAN3").stdout


def test_bad_per_file_ignores_flag(project):
    assert_config_error(run(project, "--per-file-ignores", "no-colon-here"), "--per-file-ignores", "GLOB:CODES")


# --- property: any config content builds settings or raises ConfigError -----------------------


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (int, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


codes = st.sampled_from(["NAN", "NAN1", "NAN301", "nan301", "ALL", "", "  ", "XYZ", "NAN999", "large-learning-rate"])
scalars = st.one_of(st.booleans(), st.integers(-10**6, 10**12), st.floats(allow_nan=True), codes,
                    st.text(max_size=12))
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4),
    st.dictionaries(st.one_of(codes, st.sampled_from(["sgd", "adam", "thresholds", "threshold", "*.py"])), children,
                    max_size=4)), max_leaves=10)
tables = st.dictionaries(st.one_of(st.sampled_from(sorted(KEYS)), st.sampled_from(["selct", "Select", "select_"]),
                                   st.text(max_size=8)), values, max_size=5)


@settings(max_examples=int(os.environ.get("NANLINT_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(table=tables, as_pyproject=st.booleans())
@example(table={"\n": True}, as_pyproject=False)  # a key with a newline once broke the one-line message
@example(table={"options": {"NAN301": {"thresholds": {"a\nb": "x"}}}}, as_pyproject=True)
def test_any_config_table_gives_settings_or_a_config_error(tmp_path, table, as_pyproject):
    lines = "".join(f"{json.dumps(key)} = {toml_value(value)}\n" for key, value in table.items())
    name = "pyproject.toml" if as_pyproject else "nanlint.toml"
    path = tmp_path / name
    path.write_text(("[tool.nanlint]\n" if as_pyproject else "") + lines, encoding="utf-8")
    try:
        result = build_settings(path, {}, all_rules())
    except ConfigError as error:
        assert str(path) in str(error) and "\n" not in str(error)
    else:
        assert isinstance(result, Settings)


@settings(max_examples=int(os.environ.get("NANLINT_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300),
                      st.builds(lambda a, b: a + b, st.sampled_from([b"select = ", b"[options.NAN301]\n", b"\xef\xbb\xbf",
                                                                     b"[tool.nanlint]\n"]), st.binary(max_size=60))))
def test_any_config_bytes_give_settings_or_a_config_error(tmp_path, data):
    path = tmp_path / "nanlint.toml"
    path.write_bytes(data)
    try:
        result = build_settings(path, {}, all_rules())
    except ConfigError as error:
        assert str(path) in str(error) and "\n" not in str(error)
    else:
        assert isinstance(result, Settings)
