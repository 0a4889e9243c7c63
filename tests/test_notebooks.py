"""Jupyter notebooks: code cells checked as one program, IPython syntax neutralised in
place, findings reported at cell + line, broken notebooks reported as NAN000."""

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from nanlint.cli import main
from nanlint.notebooks import Notebook, build, load_notebook, neutralise, split_lines
from nanlint.loader import LoadError

DATA = Path(__file__).parent / "data"


def run_cli(args, cwd, stdin=None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["--isolated", *args], input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


def code(source):
    lines = source.split("\n")
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": [line + "\n" for line in lines[:-1]] + [lines[-1]]}


def markdown(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def notebook(*cells, language="python"):
    return {"cells": list(cells), "metadata": {"language_info": {"name": language}}, "nbformat": 4, "nbformat_minor": 5}


def write(folder, name, document):
    path = folder / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=1), encoding="utf-8")
    return path


def findings(folder, *paths, fmt="json"):
    result = run_cli(["--output-format", fmt, *paths], folder)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout) if fmt == "json" else result.stdout


def test_bug_in_the_second_cell_is_reported_at_that_cell_and_line(tmp_path):
    write(tmp_path, "nb.ipynb", notebook(
        code("import torch"),
        code("model = make()\nopt = torch.optim.SGD(model.parameters(), lr=5.0)"),
    ))
    result = run_cli(["nb.ipynb"], tmp_path)
    assert result.exit_code == 1
    assert result.stdout.startswith("nb.ipynb:2:2:7: NAN301 ")
    [finding] = findings(tmp_path, "nb.ipynb")
    assert (finding["cell"], finding["line"], finding["column"]) == (2, 2, 7)
    assert (finding["end_line"], finding["end_column"]) == (2, 50)


def test_names_from_earlier_cells_are_known_and_markdown_cells_count(tmp_path):
    write(tmp_path, "nb.ipynb", notebook(
        markdown("# Setup"),
        code("from torch import optim\nLR = 0.5"),
        markdown("## Train"),
        code("opt = optim.Adam(params, lr=LR)"),
    ))
    [finding] = findings(tmp_path, "nb.ipynb")
    assert (finding["code"], finding["cell"], finding["line"]) == ("NAN301", 4, 1)
    assert "0.5" in finding["message"]


def test_magics_and_shell_escapes_do_not_shift_positions(tmp_path):
    write(tmp_path, "nb.ipynb", notebook(
        code("%matplotlib inline\n!pip install torch\nimport torch\ntorch.optim.SGD?\n"
             "files = !ls\nopt = torch.optim.SGD(p, lr=2.0)"),
        code("%%bash\necho torch.optim.SGD(p, lr=9.0)"),
        code("%%time\nfor i in range(2):\n    %time step()\n    opt = torch.optim.SGD(p, lr=3.0)"),
    ))
    got = [(f["cell"], f["line"], f["column"]) for f in findings(tmp_path, "nb.ipynb")]
    assert got == [(1, 6, 7), (3, 4, 11)]


def test_noqa_comments_work_per_line_in_cells(tmp_path):
    write(tmp_path, "nb.ipynb", notebook(
        code("import torch"),
        code("a = torch.optim.SGD(p, lr=2.0)  # noqa: NAN301\nb = torch.optim.SGD(p, lr=2.0)\n"
             "c = torch.optim.SGD(p, lr=2.0)  # noqa"),
    ))
    assert [(f["cell"], f["line"]) for f in findings(tmp_path, "nb.ipynb")] == [(2, 2)]


def test_syntax_error_is_reported_in_its_cell(tmp_path):
    write(tmp_path, "nb.ipynb", notebook(code("import torch\nopt = torch.optim.SGD(p, lr=2.0)"), code("x = = 1")))
    [finding] = findings(tmp_path, "nb.ipynb")
    assert (finding["code"], finding["cell"], finding["line"]) == ("NAN000", 2, 1)


@pytest.mark.parametrize(
    "content, message, line",
    [
        ('{"cells": [', "notebook is not valid JSON", 1),
        ('{\n  "cells": [\n    {"cell_type": "code",\n  ]\n}', "notebook is not valid JSON", 4),
        ('["not", "a", "notebook"]', "not a Jupyter notebook", 1),
        ('{"nbformat": 4, "metadata": {}}', "not a Jupyter notebook: no list of cells", 1),
        ('{"cells": [{"source": "x = 1"}]}', "not a Jupyter notebook: cell 1 has no cell_type", 1),
        ('{"cells": [{"cell_type": "code", "source": 42}]}', "the source of cell 1 is not text", 1),
    ],
)
def test_broken_notebooks_get_nan000(tmp_path, content, message, line):
    write(tmp_path, "bad.ipynb", content)
    result = run_cli(["bad.ipynb"], tmp_path)
    assert result.exit_code == 1
    [finding] = findings(tmp_path, "bad.ipynb")
    assert finding["code"] == "NAN000"
    assert message in finding["message"]
    assert finding["cell"] is None and finding["line"] == line


def test_non_utf8_notebook_gets_nan000(tmp_path):
    (tmp_path / "bad.ipynb").write_bytes(b'{"cells": ["\xff"]}')
    [finding] = findings(tmp_path, "bad.ipynb")
    assert finding["code"] == "NAN000" and "UTF-8" in finding["message"]


def test_notebooks_of_other_languages_are_skipped(tmp_path):
    write(tmp_path, "r.ipynb", notebook(code("opt = torch.optim.SGD(p, lr=2.0)"), language="R"))
    assert findings(tmp_path, "r.ipynb") == []


def test_nbformat_3_worksheets_are_read(tmp_path):
    document = {"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": ["# old"]},
        {"cell_type": "code", "input": ["import torch\n", "opt = torch.optim.SGD(p, lr=2.0)"], "language": "python"},
    ]}]}
    write(tmp_path, "old.ipynb", document)
    [finding] = findings(tmp_path, "old.ipynb")
    assert (finding["cell"], finding["line"]) == (2, 2)


def test_directory_discovery_includes_notebooks_and_sorts_by_cell(tmp_path):
    write(tmp_path, "nb.ipynb", notebook(
        code("import torch\nLR = 2.0"),
        code("x = torch.optim.SGD(p, lr=LR)"),
        code("y = torch.optim.SGD(p, lr=LR)\nz = torch.optim.SGD(p, lr=LR)"),
    ))
    (tmp_path / "a.py").write_text("import torch\nopt = torch.optim.SGD(p, lr=2.0)\n", encoding="utf-8")
    lines = run_cli(["."], tmp_path).stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "a.py:2:7", "nb.ipynb:2:1:5", "nb.ipynb:3:1:5", "nb.ipynb:3:2:5"]


def test_stdin_with_a_notebook_filename_is_read_as_a_notebook(tmp_path):
    content = json.dumps(notebook(code("import torch"), code("opt = torch.optim.SGD(p, lr=2.0)")))
    result = run_cli(["--stdin-filename", "nb.ipynb", "-"], tmp_path, stdin=content)
    assert result.stdout.startswith("nb.ipynb:2:1:7: NAN301 ")


def test_full_format_shows_the_cell_line_as_written():
    result = run_cli(["--select", "NAN301", "--output-format", "full", "data/train.ipynb"], DATA.parent)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("data/train.ipynb:2:4:7: NAN301 ")
    assert lines[2] == "4 | opt = torch.optim.SGD(model.parameters(), lr=LR)"


# --- the neutralisation itself ---------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ("%matplotlib inline", "pass"),
        ("    !nvidia-smi", "    pass"),
        ("files = !ls *.csv", "files = ..."),
        ("a, b = %who_ls", "a, b = ..."),
        ("torch.optim.SGD?", "pass"),
        ("??torch.log", "pass"),
        ("np.*load*?", "pass"),
        ("x = compute()  # why?", "x = compute()  # why?"),
        ("# %not a magic", "# %not a magic"),
        ("print('100%')", "print('100%')"),
    ],
)
def test_neutralise_one_line(line, expected):
    assert neutralise([line]) == [expected]


def test_neutralise_leaves_strings_brackets_and_continuations_alone():
    lines = [
        'doc = """',
        "!this is text",
        "%and this",
        '"""',
        "total = (a",
        "% b)",
        "value = a \\",
        "    % b",
        "!shell --flag \\",
        "   --more",
        "after = 1",
    ]
    out = neutralise(lines)
    assert len(out) == len(lines)
    assert out[:8] == lines[:8]
    assert out[8:] == ["pass", "", "after = 1"]


def test_cell_magics_blank_foreign_cells_and_keep_python_bodies():
    assert neutralise(["%%bash", "rm -rf /tmp/x", "ls"]) == ["", "", ""]
    assert neutralise(["%%writefile train.py", "import torch"]) == ["", ""]
    assert neutralise(["%%time", "x = f()"]) == ["", "x = f()"]
    assert neutralise(["%%capture out", "!pip install x", "y = 1"]) == ["", "pass", "y = 1"]


def test_build_maps_every_program_line_back_to_its_cell():
    built = build([(2, "import torch\n"), (3, ""), (5, "a = 1\r\nb = 2\r\n")])
    assert built.text == "import torch\na = 1\nb = 2\n"
    assert built.line_map == [(2, 1), (5, 1), (5, 2)]
    assert built.position(3) == (5, 2)
    assert built.position(99) == (5, 2)  # past the end (EOF errors): the last line
    assert built.cells[5] == ["a = 1", "b = 2"]


def test_load_notebook_accepts_string_and_list_sources():
    data = json.dumps(notebook({"cell_type": "code", "source": "x = 1\ny = 2"},
                               {"cell_type": "code", "source": ["z = 3\n"]})).encode()
    loaded = load_notebook(data)
    assert isinstance(loaded, Notebook)
    assert loaded.text == "x = 1\ny = 2\nz = 3\n"
    assert isinstance(load_notebook(b"\xef\xbb\xbf" + data), Notebook)  # BOM tolerated
    assert isinstance(load_notebook(b"{"), LoadError)


def test_split_lines_counts_like_python():
    assert split_lines("a\x0cb\nc\r\nd\re\n") == ["a\x0cb", "c", "d", "e"]
    assert split_lines("") == []
