"""Hostile input: files a repository may hold that are not ordinary Python source.

Every case puts one hostile file next to `good.py`, whose finding is known, runs the
command line on the folder, and checks: the hostile file gets a clear diagnostic (or
none, when nothing is wrong with it), `good.py` is still checked, the exit status is
the documented one, and no traceback reaches the user. The files are generated here,
in a temporary folder; none is committed.
"""

from __future__ import annotations

import builtins
import os
import random
import re
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import nanlint.discovery
import nanlint.parsing
from nanlint.cli import main

GOOD = "import torch\nopt = torch.optim.Adam(params, lr=1.0)\n"
GOOD_FINDING = "good.py:2:7: NAN301 "
BAD_LR = "opt = torch.optim.SGD(params, lr=10.0)"  # NAN301 at column 7 of its line
# path:line:col: CODE message, or path:cell:line:col: ... in notebooks
LINE = re.compile(r"^(?P<path>.+?)(?::(?P<cell>\d+))?:(?P<line>\d+):(?P<col>\d+): (?P<code>NAN\d{3}) (?P<message>.*)$")


def lint(folder: Path, *args: str, config: str = ""):
    """Run `nanlint --isolated [args] .` in `folder` (with `config` as its nanlint.toml instead of
    --isolated, if given); (exit code, findings by path, stdout, stderr)."""
    if config:
        (folder / "nanlint.toml").write_text(config, encoding="utf-8")
    old = os.getcwd()
    os.chdir(folder)
    try:
        options = [] if config else ["--isolated"]
        result = CliRunner().invoke(main, [*options, *args, "."], catch_exceptions=False)
    finally:
        os.chdir(old)
    findings = {}
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        assert match, f"not a finding line: {line!r}"
        path = match["path"][2:] if match["path"].startswith("./") else match["path"]
        findings.setdefault(path, []).append(
            (int(match["line"]), int(match["col"]), match["code"], match["message"]))
    return result.exit_code, findings, result.stdout, result.stderr


def assert_run_survived(folder: Path, status: int, stdout: str, stderr: str, expected_status: int = 1) -> None:
    assert "Traceback" not in stderr, stderr
    assert GOOD_FINDING in stdout, f"good.py was not checked:\n{stdout}"
    assert status == expected_status, (status, stdout, stderr)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    return tmp_path


# name, content, expected: None (checked, nothing wrong), ("NAN000", message part, line) or ("NAN301", line)
BYTE_CASES = [
    ("empty", b"", None),
    ("only-bom", b"\xef\xbb\xbf", None),
    ("utf8-bom", b"\xef\xbb\xbfimport torch\n" + BAD_LR.encode() + b"\n", ("NAN301", 2)),
    ("pep263-latin1",
     b"# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\nimport torch\n" + BAD_LR.encode() + b"  # \xe9\n",
     ("NAN301", 4)),
    ("invalid-utf8", b"import torch\nname = 'caf\xe9'\n", ("NAN000", "not valid utf-8", 2)),
    ("nul-bytes", b"import torch\nx = 1\x00\n", ("NAN000", "NUL", 1)),
    ("binary", random.Random(8).randbytes(4096), ("NAN000", "", 1)),
    ("png-named-py", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, ("NAN000", "", 1)),
    ("unknown-codec", b"# coding: no-such-codec\nx = 1\n", ("NAN000", "encoding", 1)),
    ("codec-that-raises", b"# coding: undefined\nx = 1\n", ("NAN000", "undefined", 1)),
    ("bytes-codec", b"# coding: base64\nx = 1\n", ("NAN000", "base64", 1)),
    ("surrogates-from-codec", b"# coding: unicode_escape\nx = '\\ud800'\nimport torch\n", ("NAN000", "", 1)),
    ("crlf", b"import torch\r\n\r\n" + BAD_LR.encode() + b"\r\n", ("NAN301", 3)),
    ("lone-cr", b"import torch\r\r" + BAD_LR.encode() + b"\r", ("NAN301", 3)),
    ("mixed-newlines", b"import torch\r\nx = 1\r" + BAD_LR.encode() + b"\n", ("NAN301", 3)),
    ("tabs-and-form-feeds", b"import torch\n\x0c\ndef f():\n\tif True:\n\t\t" + BAD_LR.encode() + b"\n\x0c\n",
     ("NAN301", 5, 9)),  # a tab is one column
    ("python2", b"import torch\nprint 'loss', loss\nexec code in ns\n", ("NAN000", "syntax error", 2)),
    ("syntax-error-last-line", b"import torch\n" + BAD_LR.encode() + b"\nx = (1,\n", ("NAN000", "syntax error", 3)),
    ("no-trailing-newline", b"import torch\n" + BAD_LR.encode(), ("NAN301", 2)),
    ("only-comments-no-newline", b"# nothing here", None),
    ("whitespace-only", b"   \n\t\n\x0c", None),
    ("mixed-tabs-spaces", b"import torch\nif x:\n\tif y:\n        pass\n", ("NAN000", "tab", 4)),
    ("unterminated-string", b"import torch\nx = '''never closed\n", ("NAN000", "syntax error", 2)),
    ("newer-syntax", b"import torch\ntype Alias = int\n" + BAD_LR.encode() + b"\n", ("NAN301", 3)),
    # valid Python on which libcst 1.9's node validation raises TypeError (found by test_fuzz;
    # LibCST issue #1061); nanlint's parse does not re-validate the parser's nodes, so it is checked
    ("libcst-validation-bug", b"import torch\nif(lambda x: x):\n    " + BAD_LR.encode() + b"\n", ("NAN301", 3, 11)),
    # integers spelled in hex, octal, binary or with underscores, where the model reads an index
    # (found by test_fuzz: `x[0x10]` once raised inside the semantic model)
    ("integer-spellings", b"import torch\nx = 10.0\n" + BAD_LR.encode()
     + b"\ndef forward():\n    return x[0x10], x[0o7], x[1_0], x[0b1], x[0X1F]\n", ("NAN301", 3)),
]


@pytest.mark.parametrize("name,content,expected", BYTE_CASES, ids=[case[0] for case in BYTE_CASES])
def test_hostile_file(folder, name, content, expected):
    (folder / "hostile.py").write_bytes(content)
    status, findings, stdout, stderr = lint(folder)
    got = findings.get("hostile.py", [])
    if expected is None:
        assert got == [], got
        assert_run_survived(folder, status, stdout, stderr)
        return
    code = expected[0]
    assert [f[2] for f in got] == [code], got
    line, col, _, message = got[0]
    if code == "NAN000":
        assert expected[1].lower() in message.lower(), message
        assert "file not checked" in message or "not valid" in message or "encoding" in message \
            or "NUL" in message, message
        assert line == expected[2], got
    else:
        assert (line, col) == (expected[1], expected[2] if len(expected) > 2 else 7), got
    assert_run_survived(folder, status, stdout, stderr)


def test_twenty_megabyte_file(folder):
    chunk = "def step_{i}(model, batch):\n    out = model(batch)\n    return torch.log(out.clamp(min=1e-6)) * {i}\n\n"
    parts, size, i = ["import torch\n"], 0, 0
    while size < 20_000_000:
        part = chunk.format(i=i)
        parts.append(part)
        size += len(part)
        i += 1
    (folder / "generated.py").write_text("".join(parts), encoding="utf-8")
    status, findings, stdout, stderr = lint(folder)
    [(line, col, code, message)] = findings["generated.py"]
    assert (line, code) == (1, "NAN000") and "too large" in message and "max-file-size" in message, message
    assert_run_survived(folder, status, stdout, stderr)


def test_max_file_size_is_configurable(folder):
    """The size limit is a setting: above it NAN000, below it the file is checked."""
    (folder / "nanlint.toml").write_text("max-file-size = 1000\n", encoding="utf-8")
    (folder / "big.py").write_text("import torch\n" + BAD_LR + "\n" + "x = 1\n" * 300, encoding="utf-8")
    (folder / "small.py").write_text("import torch\n" + BAD_LR + "\n", encoding="utf-8")
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, ["."], catch_exceptions=False)
    finally:
        os.chdir(old)
    assert "big.py:1:1: NAN000 file is too large to check" in result.stdout
    assert "small.py:2:7: NAN301" in result.stdout and GOOD_FINDING in result.stdout
    assert result.exit_code == 1


@pytest.mark.parametrize("shape,source", [
    ("parentheses", "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n"),
    ("brackets", "x = " + "[" * 1000 + "]" * 1000 + "\n"),
    ("calls", "import torch\nx = " + "torch.log(" * 1000 + "y" + ")" * 1000 + "\n"),
    ("sum", "import torch\nx = torch.log(" + " + ".join(["y"] * 1000) + ")\n"),
    ("attributes", "import torch\nx = torch.log(y" + ".t" * 1000 + ")\n"),
    ("subscripts", "import torch\nx = torch.log(y" + "[0]" * 1000 + ")\n"),
    ("unary", "import torch\nx = torch.log(" + "-" * 1000 + "y)\n"),
    ("boolean-chain", "import torch\nx = torch.log(" + " and ".join(["y"] * 5000) + ")\n"),
    ("conditional-chain", "import torch\nx = torch.log(" + "y if c else " * 1000 + "z)\n"),
    ("lambdas", "import torch\nf = " + "lambda: " * 1000 + "torch.log(y)\n"),
    ("sum-10k", "import torch\nx = torch.log(" + "+".join(["y"] * 10000) + ")\n"),
    ("unary-10k", "import torch\nx = torch.log(" + "-" * 10000 + "y)\n"),
])
def test_thousand_deep_expression(folder, shape, source):
    """No RecursionError, no stack overflow (a segfault would kill pytest), no minutes-long
    parse: CPython's limits or nanlint's nesting limit give a clear NAN000 on line 1 or 2."""
    (folder / "deep.py").write_text(source, encoding="utf-8")
    status, findings, stdout, stderr = lint(folder)
    [(line, _, code, message)] = findings["deep.py"]
    assert code == "NAN000" and line in (1, 2), findings["deep.py"]
    assert "nested" in message or "Recursion" in message or "Memory" in message, message
    assert_run_survived(folder, status, stdout, stderr)


def test_moderately_deep_expression_is_still_checked(folder):
    """Nesting well past real code (the corpus peaks near 20) but under the limit is analysed."""
    source = "import torch\nx = torch.log(torch.softmax(" + " + ".join(["y"] * 300) + ", -1))\n" + BAD_LR + "\n"
    (folder / "deep.py").write_text(source, encoding="utf-8")
    status, findings, stdout, stderr = lint(folder)
    assert "NAN000" not in {f[2] for f in findings["deep.py"]}
    assert (3, 7, "NAN301") in {f[:3] for f in findings["deep.py"]}
    assert_run_survived(folder, status, stdout, stderr)


def test_libcst_failing_on_valid_code(folder, monkeypatch):
    """A libcst bug on code Python accepts is a clear NAN000 for that file, not a crash."""
    import nanlint.engine

    def broken_parse(source):
        if "hostile" in source:
            raise TypeError("super(type, obj): obj must be an instance or subtype of type")
        return nanlint.parsing.parse_module(source)

    monkeypatch.setattr(nanlint.engine, "parse_module", broken_parse)
    (folder / "hostile.py").write_text("import torch\nhostile = torch.log(x)\n", encoding="utf-8")
    status, findings, stdout, stderr = lint(folder, "--jobs", "1")
    [(line, _, code, message)] = findings["hostile.py"]
    assert (line, code) == (1, "NAN000"), findings["hostile.py"]
    assert "libcst cannot parse this file (Python can)" in message and "TypeError" in message, message
    assert_run_survived(folder, status, stdout, stderr)


# Numbers the constant folder must survive: past the float range, NaN, complex, and powers
# whose exact value has billions of digits (folding them would hang the run).
EXTREME_NUMBERS = """import torch
import torch.nn as nn
x = torch.ones(3)
big = 1""" + "0" * 400 + """
nan = 1e400 - 1e400
a = x[big], x ** big, x.pow(big), torch.log(x + big), [1, 2][big], [1, 2][nan], [1, 2][1j]
b = 10 ** 10 ** 10, 3 ** 99999999999, 2 ** -big, big * 1.5, 10 ** -10 ** 10, (-8) ** (1 / 3)
c = x.clamp(min=3) ** (10 ** 300), x.clamp(min=3) ** 1e300, x.abs() ** (10 ** 300), x ** 1j, x ** nan
d = torch.clamp(x, 1e-400, 1 - 1e-400), torch.clamp(x, 1j, 1 - 1j), torch.clamp(x, nan, 1e400)
e = torch.log(x + 1j), torch.log(x + nan), x / (x.std() + 1j), x.half() + 1e-400, x.half() + 1j
f = torch.optim.Adam(params, lr=big), torch.optim.Adam(params, lr=3 ** 99999999999, eps=1j)
g = nn.init.normal_(w, std=nan), nn.init.uniform_(w, -1j, 1j), scores.masked_fill(mask, -1e400).half()
h = torch.where(x > 0, torch.log(x), 1j), torch.acos(x.clamp(-1j, 1j)), torch.exp(x * 1e400), x // 0j
opt = torch.optim.Adam(params, lr=1e400)
"""


def test_extreme_numbers(folder):
    """Every rule reads these constants (found by test_fuzz and by hand: `x[0x10]` and a 400-digit
    integer once raised inside the model). None is an internal error; the infinite learning rate
    is still reported, as `inf`."""
    (folder / "numbers.py").write_text(EXTREME_NUMBERS, encoding="utf-8")
    status, findings, stdout, stderr = lint(folder, "--select", "NAN")
    codes = [f[2] for f in findings["numbers.py"]]
    assert "NAN999" not in codes and "NAN000" not in codes, findings["numbers.py"]
    last_line = EXTREME_NUMBERS.count("\n")
    assert any(line == last_line and code == "NAN301" and "inf" in message
               for line, _, code, message in findings["numbers.py"]), findings["numbers.py"]
    assert_run_survived(folder, status, stdout, stderr)


def test_five_thousand_deep_block(folder):
    # Indentation alone makes this 12.5 MB: lift the size limit so that the parser meets it.
    source = "import torch\n" + "".join(" " * i + "if x:\n" for i in range(5000)) + " " * 5000 + BAD_LR + "\n"
    (folder / "deep.py").write_text(source, encoding="utf-8")
    status, findings, stdout, stderr = lint(folder, config="max-file-size = 100_000_000\n")
    [(line, _, code, message)] = findings["deep.py"]
    assert code == "NAN000" and "indentation" in message, message
    assert 2 <= line <= 5002
    assert_run_survived(folder, status, stdout, stderr)


def test_deep_but_legal_blocks_are_checked(folder):
    """99 nested blocks is the most CPython allows; the file is analysed, not refused."""
    source = "import torch\n" + "".join(" " * i + "if x:\n" for i in range(98)) + " " * 98 + BAD_LR + "\n"
    (folder / "deep.py").write_text(source, encoding="utf-8")
    status, findings, stdout, stderr = lint(folder)
    assert [(f[0], f[2]) for f in findings["deep.py"]] == [(100, "NAN301")]
    assert_run_survived(folder, status, stdout, stderr)


@pytest.mark.skipif(sys.platform == "win32", reason="file names are Unicode on Windows")
def test_non_utf8_file_name(folder):
    name = b"caf\xe9.py"
    with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
        handle.write(b"import torch\n" + BAD_LR.encode() + b"\n")
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, ["--isolated", "."], catch_exceptions=False)
    finally:
        os.chdir(old)
    # The name is written back as its own bytes, as `ls` would show it.
    assert b"caf\xe9.py:2:7: NAN301 " in result.stdout_bytes
    assert GOOD_FINDING.encode() in result.stdout_bytes
    assert result.exit_code == 1
    assert b"Traceback" not in result.stderr_bytes


def test_unreadable_file(folder):
    target = folder / "secret.py"
    target.write_text("import torch\n" + BAD_LR + "\n", encoding="utf-8")
    target.chmod(0)
    try:
        if os.access(target, os.R_OK):
            pytest.skip("running as root (or a file system without permissions): chmod 000 does not deny reads; "
                        "test_unreadable_file_simulated covers this")
        status, findings, stdout, stderr = lint(folder)
    finally:
        target.chmod(stat.S_IRUSR | stat.S_IWUSR)
    [(line, col, code, message)] = findings["secret.py"]
    assert (line, col, code) == (1, 1, "NAN000") and "Permission denied" in message
    assert_run_survived(folder, status, stdout, stderr)


def test_unreadable_file_simulated(folder, monkeypatch):
    """As `test_unreadable_file`, with the permission error simulated (works as root too)."""
    (folder / "secret.py").write_text("import torch\n" + BAD_LR + "\n", encoding="utf-8")
    real_open = open

    def denying_open(path, *args, **kwargs):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", denying_open)  # wherever nanlint opens it (checker, runner, cache)
    status, findings, stdout, stderr = lint(folder)
    [(line, col, code, message)] = findings["secret.py"]
    assert (line, col, code) == (1, 1, "NAN000") and message == "cannot read file: Permission denied"
    assert_run_survived(folder, status, stdout, stderr)


def test_unreadable_folder(folder):
    locked = folder / "locked"
    locked.mkdir()
    (locked / "inner.py").write_text("import torch\n" + BAD_LR + "\n", encoding="utf-8")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: chmod 000 does not deny reads; test_folder_vanishes_mid_walk covers "
                        "directory errors")
        status, findings, stdout, stderr = lint(folder)
    finally:
        locked.chmod(stat.S_IRWXU)
    assert [(f[2], "cannot read directory" in f[3]) for f in findings["locked"]] == [("NAN000", True)]
    assert_run_survived(folder, status, stdout, stderr)


def test_file_vanishes_mid_run(folder, monkeypatch):
    """Found by discovery, deleted before it is read: NAN000 for it, the others are checked."""
    (folder / "gone.py").write_text("import torch\n" + BAD_LR + "\n", encoding="utf-8")
    real_discover = nanlint.discovery.discover

    def discover_then_delete(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        assert any(f.endswith("gone.py") for f in found.files)
        (folder / "gone.py").unlink()
        return found

    monkeypatch.setattr(nanlint.discovery, "discover", discover_then_delete)
    status, findings, stdout, stderr = lint(folder)
    [(line, col, code, message)] = findings["gone.py"]
    assert code == "NAN000" and "No such file" in message
    assert_run_survived(folder, status, stdout, stderr)


def test_folder_vanishes_mid_walk(folder, monkeypatch):
    """A folder deleted between being listed and being searched: NAN000 for it, the run goes on."""
    sub = folder / "sub"
    sub.mkdir()
    (sub / "inner.py").write_text("import torch\n" + BAD_LR + "\n", encoding="utf-8")
    real_walk = os.walk

    def walk_and_delete(top, *args, **kwargs):
        for entry in real_walk(top, *args, **kwargs):
            yield entry
            if (sub / "inner.py").exists():
                (sub / "inner.py").unlink()
                sub.rmdir()

    monkeypatch.setattr(nanlint.discovery.os, "walk", walk_and_delete)
    status, findings, stdout, stderr = lint(folder)
    [(_, _, code, message)] = findings["sub"]
    assert code == "NAN000" and "cannot read directory" in message, message
    assert_run_survived(folder, status, stdout, stderr)


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="needs POSIX symbolic links")
def test_symlink_loop_and_dangling_symlink(folder):
    os.symlink("loop.py", folder / "loop.py")
    os.symlink("missing.py", folder / "dangling.py")
    (folder / "sub").mkdir()
    os.symlink("..", folder / "sub" / "parent")  # a folder loop: must not be followed
    os.symlink("b", folder / "sub" / "a")
    os.symlink("a", folder / "sub" / "b")
    status, findings, stdout, stderr = lint(folder)
    assert [f[2:] for f in findings["loop.py"]] == [("NAN000", "symbolic link loop")]
    assert [f[2:] for f in findings["dangling.py"]] == [("NAN000", "broken symbolic link")]
    assert set(findings) == {"good.py", "loop.py", "dangling.py"}, findings  # nothing found twice via `parent`
    assert_run_survived(folder, status, stdout, stderr)


def test_directory_named_like_a_source_file(folder):
    (folder / "x.py").mkdir()
    (folder / "x.py" / "inner.py").write_text("import torch\n" + BAD_LR + "\n", encoding="utf-8")
    (folder / "y.ipynb").mkdir()
    status, findings, stdout, stderr = lint(folder)
    assert set(findings) == {"good.py", "x.py/inner.py"}, findings
    assert_run_survived(folder, status, stdout, stderr)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_not_read(folder):
    """Reading a FIFO would block forever; it is not a source file."""
    os.mkfifo(folder / "pipe.py")
    status, findings, stdout, stderr = lint(folder)
    assert set(findings) == {"good.py"}
    assert_run_survived(folder, status, stdout, stderr)


@pytest.mark.parametrize("content", [
    b"this is not JSON {",
    b"",
    b"[1, 2, 3]",
    b'{"cells": "not a list"}',
    b'{"cells": [{"cell_type": "code", "source": 42}]}',
    b"\xff\xfe\x00garbage",
    b'{"cells": [{"cell_type": "code", "source": ["x = (1,\\n"]}], "metadata": {}, "nbformat": 4}',
], ids=["not-json", "empty", "json-list", "cells-not-list", "source-not-text", "binary", "syntax-error-in-cell"])
def test_notebook_that_is_not_a_notebook(folder, content):
    (folder / "broken.ipynb").write_bytes(content)
    status, findings, stdout, stderr = lint(folder)
    got = findings.get("broken.ipynb", [])
    assert [f[2] for f in got] == ["NAN000"], (got, stdout, stderr)
    assert_run_survived(folder, status, stdout, stderr)


def test_explicit_paths_that_are_not_files(folder):
    (folder / "dir.py").mkdir()
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, ["--isolated", "good.py", "missing.py", "dir.py"], catch_exceptions=False)
    finally:
        os.chdir(old)
    assert "missing.py:1:1: NAN000 no such file or directory" in result.stdout
    assert GOOD_FINDING in result.stdout and result.exit_code == 1


def test_all_hostile_files_together(folder):
    """Every byte-level case in one folder, one run: each is reported on its own, in a
    deterministic order, and the run completes with the findings status."""
    for name, content, _ in BYTE_CASES:
        (folder / f"{name}.py").write_bytes(content)
    first = lint(folder)
    second = lint(folder)
    assert first[2] == second[2]
    status, findings, stdout, stderr = first
    for name, _, expected in BYTE_CASES:
        codes = [f[2] for f in findings.get(f"{name}.py", [])]
        assert codes == ([] if expected is None else [expected[0]]), (name, codes)
    assert_run_survived(folder, status, stdout, stderr)


@pytest.mark.parametrize("content", [
    b"build/\n!\n[z-a]\nsecret\\\n",
    b"\xff\xfe\x00\x01binary\x00\n",
    b"*\n!*.py\n!good.py\n",
    b"\n" * 10000,
], ids=["invalid-patterns", "binary", "negations", "empty-lines"])
def test_hostile_gitignore(folder, content):
    """git skips patterns it cannot read; so does nanlint, keeping the valid ones."""
    (folder / ".gitignore").write_bytes(content)
    (folder / "build").mkdir()
    (folder / "build" / "out.py").write_text("import torch\n" + BAD_LR + "\n", encoding="utf-8")
    status, findings, stdout, stderr = lint(folder)
    assert_run_survived(folder, status, stdout, stderr)
    if content.startswith(b"build/"):
        assert "build/out.py" not in findings  # the valid pattern still applies


def test_gitignore_that_is_a_folder(folder):
    (folder / ".gitignore").mkdir()
    status, findings, stdout, stderr = lint(folder)
    assert set(findings) == {"good.py"}
    assert_run_survived(folder, status, stdout, stderr)
