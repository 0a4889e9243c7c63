"""Writing fixes never loses a byte: the write is atomic, keeps the file's permissions and
bytes it does not change, leaves no temporary file behind when it fails, and a fixed text
that would not parse is recognised before anything is written.

(There is no `--fix` mode yet; these tests hold `nanlint.fixes` to that contract.)
"""

from __future__ import annotations

import os
import stat
import sys

import pytest

from nanlint import fixes
from nanlint.diagnostics import Fix

ORIGINAL = "import torch\r\nloss = torch.log(torch.softmax(x, -1))\r\n# caf\u00e9\r\n"


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".nanlint-"))


def test_write_replaces_content_exactly(tmp_path):
    target = tmp_path / "train.py"
    target.write_bytes(ORIGINAL.encode("utf-8"))
    new = ORIGINAL.replace("torch.log(torch.softmax(x, -1))", "torch.log_softmax(x, -1)")
    fixes.write_atomically(str(target), new)
    assert target.read_bytes() == new.encode("utf-8")  # CRLF kept, no newline translation
    assert leftovers(tmp_path) == []


def test_write_keeps_the_encoding_it_is_given(tmp_path):
    target = tmp_path / "latin.py"
    source = "# -*- coding: latin-1 -*-\n# caf\u00e9\nx = 1\n"
    target.write_bytes(source.encode("latin-1"))
    fixes.write_atomically(str(target), source.replace("x = 1", "x = 2"), encoding="latin-1")
    assert target.read_bytes() == source.replace("x = 1", "x = 2").encode("latin-1")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o644, 0o600, 0o755, 0o640])
def test_write_keeps_permissions(tmp_path, mode):
    target = tmp_path / "script.py"
    target.write_text("x = 1\n", encoding="utf-8")
    target.chmod(mode)
    fixes.write_atomically(str(target), "x = 2\n")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_text(encoding="utf-8") == "x = 2\n"


@pytest.mark.parametrize("failing", ["replace", "fsync", "chmod"])
def test_failed_write_leaves_the_file_untouched_and_no_temporary_file(tmp_path, monkeypatch, failing):
    target = tmp_path / "train.py"
    target.write_bytes(ORIGINAL.encode("utf-8"))

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fixes.os, failing, boom)
    with pytest.raises(OSError):
        fixes.write_atomically(str(target), "x = 2\n")
    monkeypatch.undo()
    assert target.read_bytes() == ORIGINAL.encode("utf-8")
    assert leftovers(tmp_path) == []


def test_text_the_encoding_cannot_hold_is_not_written(tmp_path):
    target = tmp_path / "ascii.py"
    target.write_bytes(b"x = 1\n")
    with pytest.raises(UnicodeEncodeError):
        fixes.write_atomically(str(target), "x = '\u00e9'\n", encoding="ascii")
    assert target.read_bytes() == b"x = 1\n"
    assert leftovers(tmp_path) == []


def test_interrupted_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "train.py"
    target.write_bytes(b"x = 1\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fixes.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fixes.write_atomically(str(target), "x = 2\n")
    monkeypatch.undo()
    assert target.read_bytes() == b"x = 1\n" and leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="needs symbolic links")
def test_write_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.py"
    real.write_text("x = 1\n", encoding="utf-8")
    link = tmp_path / "link.py"
    os.symlink("real.py", link)
    fixes.write_atomically(str(link), "x = 2\n")
    assert link.is_symlink(), "the symbolic link was replaced by a copy"
    assert real.read_text(encoding="utf-8") == "x = 2\n"


def test_fix_that_does_not_parse_is_recognised(tmp_path):
    source = "import torch\nloss = torch.log(torch.softmax(x, -1))\n"
    good = Fix(2, 8, 2, 39, "torch.log_softmax(x, -1)")
    bad = Fix(2, 8, 2, 39, "torch.log_softmax(x, -1")  # a replacement that breaks the file
    fixed = fixes.apply_fixes(source, [good])
    assert fixed == "import torch\nloss = torch.log_softmax(x, -1)\n" and fixes.reparses(fixed)
    broken = fixes.apply_fixes(source, [bad])
    assert not fixes.reparses(broken)
    # The contract for a fix mode: write only what re-parses, so the file on disk stays valid.
    target = tmp_path / "train.py"
    target.write_text(source, encoding="utf-8")
    for candidate in (broken, fixed):
        if fixes.reparses(candidate):
            fixes.write_atomically(str(target), candidate)
    assert target.read_text(encoding="utf-8") == fixed


def test_reparses_never_raises_on_hostile_text():
    for text in ["x = (" * 3000, "\x00", "def f(:\n", "x = '\ud800'\n", "\t\n  \tx\n", "if x:\n" * 200]:
        assert fixes.reparses(text) in (True, False)


def test_overlapping_fixes_keep_the_text_consistent():
    source = "a = f(g(x))\n"
    outer = Fix(1, 5, 1, 12, "F(x)")
    inner = Fix(1, 7, 1, 11, "G(x)")
    fixed = fixes.apply_fixes(source, [outer, inner])
    assert fixed in ("a = F(x)\n", "a = f(G(x))\n")
    assert fixes.reparses(fixed)
