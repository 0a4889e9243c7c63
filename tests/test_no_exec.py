"""nanlint reads source; it never imports, executes, evaluates or unpickles what it checks.

Two kinds of test: files whose execution would leave a trace (a marker file, an exit,
a hang) are linted and no trace appears; and nanlint's own source is searched for the
calls that could run user code (`exec`, `eval`, `compile`, `__import__`, `runpy`,
`pickle`, importing by path, ...), with a short allowlist for the registry loading its
own rule modules and installed plugins' entry points.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nanlint.cli import main

SRC = Path(__file__).resolve().parent.parent / "src" / "nanlint"
ML = "import torch\nopt = torch.optim.Adam(model.parameters(), lr=1.0)\nloss = torch.log(torch.softmax(logits, -1))\n"


def side_effect_files(folder: Path) -> dict:
    """name -> source; each would create `<name>.ran` (or exit, or hang) if it ever ran."""
    def marker(name: str) -> str:
        return repr(str(folder / f"{name}.ran"))

    return {
        "creates_marker.py": f"open({marker('creates_marker')}, 'w').write('ran')\n" + ML,
        "system_call.py": f"__import__('os').system('touch ' + {marker('system_call')})\n" + ML,
        "exits.py": "import os\nos._exit(37)\n" + ML,
        "hangs.py": "while True:\n    pass\n" + ML,
        "conftest.py": f"import pathlib\npathlib.Path({marker('conftest')}).write_text('ran')\n" + ML,
        "setup.py": f"from setuptools import setup\nopen({marker('setup')}, 'w').close()\nsetup(name='x')\n" + ML,
        "__init__.py": f"open({marker('__init__')}, 'w').close()\n" + ML,
        "sitecustomize.py": f"open({marker('sitecustomize')}, 'w').close()\n" + ML,
        "decorated.py": (f"def deco(f):\n    open({marker('decorated')}, 'w').close()\n    return f\n\n"
                         "@deco\ndef step():\n    pass\n" + ML),
        "class_body.py": f"class Net:\n    open({marker('class_body')}, 'w').close()\n" + ML,
        "defaults.py": f"def f(x=open({marker('defaults')}, 'w')):\n    pass\n" + ML,
        "fstring.py": f"x = f\"{{open({marker('fstring')}, 'w')}}\"\n" + ML,
        "pickled.py": ("import pickle\n"
                       f"pickle.loads(b\"cos\\nsystem\\n(S'touch {folder / 'pickled.ran'}'\\ntR.\")\n" + ML),
        # a module name that shadows one nanlint imports
        "click.py": f"open({marker('click')}, 'w').close()\n",
        "json.py": f"open({marker('json')}, 'w').close()\n",
        "libcst.py": f"open({marker('libcst')}, 'w').close()\n",
        "tokenize.py": f"open({marker('tokenize')}, 'w').close()\n",
    }


def make_project(folder: Path) -> dict:
    files = side_effect_files(folder)
    for name, source in files.items():
        (folder / name).write_text(source, encoding="utf-8")
    notebook = {
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": [f"open({str(folder / 'notebook.ran')!r}, 'w').close()\n", ML]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    (folder / "notebook.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    # a config file is TOML data, never code
    (folder / "pyproject.toml").write_text(
        "[tool.nanlint]\nextend-exclude = []\n[tool.setuptools]\npy-modules = ['setup']\n", encoding="utf-8")
    return files


def traces(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".ran"))


def test_checked_files_are_never_run(tmp_path):
    """`python -m nanlint` from inside the project (the working directory first on the import
    path), over files that would exit, hang, or leave a marker if run or imported."""
    files = make_project(tmp_path)
    done = subprocess.run([sys.executable, "-m", "nanlint", "--output-format", "json", "."], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, (done.returncode, done.stderr)  # findings; 37 would be `exits.py` running
    assert "Traceback" not in done.stderr, done.stderr
    assert traces(tmp_path) == []
    reported = {Path(d["path"]).name for d in json.loads(done.stdout)}
    checked = {name for name, source in files.items() if "torch.optim.Adam" in source}
    assert checked | {"notebook.ipynb"} <= reported, sorted(checked - reported)


def test_checked_files_are_never_imported(tmp_path, monkeypatch):
    """In-process: no module of the project appears in `sys.modules`, `sys.path` is untouched."""
    files = make_project(tmp_path)
    for name in ("exits.py", "hangs.py"):  # would take the test process down if they ever ran here
        (tmp_path / name).unlink()
    before_modules, before_path = set(sys.modules), list(sys.path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["."], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert traces(tmp_path) == []
    assert sys.path == before_path
    new = set(sys.modules) - before_modules
    project_modules = {Path(name).stem for name in files} | {"notebook"}
    assert not {name for name in new if name.split(".")[0] in project_modules - {"click", "json", "libcst", "tokenize"}}
    for name in new:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        assert not origin.startswith(str(tmp_path)), (name, origin)


# --- static: nanlint's own source has no way to run what it reads --------------------------

FORBIDDEN_BUILTINS = {"exec", "eval", "compile", "__import__", "execfile", "breakpoint", "input"}
FORBIDDEN_MODULES = {"runpy", "pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "joblib",
                     "imp", "code", "codeop", "pdb", "subprocess", "pty", "ctypes"}
FORBIDDEN_ATTRIBUTES = {
    "import_module", "exec_module", "load_module", "spec_from_file_location", "module_from_spec",
    "SourceFileLoader", "SourcelessFileLoader", "load_source", "run_path", "run_module",
    "system", "popen", "execv", "execve", "execvp", "execvpe", "execl", "execlp", "execle", "spawnv", "spawnve",
    "spawnl", "spawnlp", "posix_spawn", "startfile", "load", "loads",
}
# (file, function, attribute) that may use a forbidden attribute, and why.
ALLOWED = {
    ("rules/__init__.py", "builtin_rules", "import_module"),   # nanlint's own rule modules: f"{__name__}.{name}"
    ("formatters/__init__.py", "get_formatter", "import_module"),  # a module named in FORMATS (checked below)
    ("registry.py", "plugin_rules", "load"),  # entry points of installed plugin packages, not checked files
}
# json.load(s) and tomllib.load(s) read data; that is what "load" may mean here.
DATA_LOADERS = {"json", "tomllib", "tomli"}
# `.load(...)`/`.loads(...)` on these can run code (unpickling) or import it (entry points).
CODE_LOADERS = {"pickle", "_pickle", "cPickle", "marshal", "dill", "cloudpickle", "joblib", "shelve", "yaml",
                "torch", "np", "numpy", "entry_point", "ep", "plugin"}


def dangerous_calls(source: str, filename: str):
    """(line, what, function) for every construct that could run code nanlint reads."""
    tree = ast.parse(source, filename=filename)
    found = []
    functions = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                functions.setdefault(id(inner), node.name)
    for node in ast.walk(tree):
        where = functions.get(id(node), "<module>")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append((node.lineno, f"import {alias.name}", where))
        elif isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".")[0]
            if module in FORBIDDEN_MODULES:
                found.append((node.lineno, f"from {node.module} import", where))
            for alias in node.names:
                if alias.name in FORBIDDEN_ATTRIBUTES | FORBIDDEN_BUILTINS and module not in DATA_LOADERS:
                    found.append((node.lineno, f"from {node.module} import {alias.name}", where))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTINS:
                found.append((node.lineno, func.id, where))
            elif isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_ATTRIBUTES:
                owner = func.value.id if isinstance(func.value, ast.Name) else None
                if func.attr in ("load", "loads") and owner not in CODE_LOADERS:
                    continue  # json.load, tomllib.loads, GitIgnore.load, ...
                if func.attr in ("system", "popen") and owner not in ("os", "platform", None):
                    continue
                found.append((node.lineno, func.attr, where))
        elif isinstance(node, ast.Attribute) and node.attr in ("exec", "eval") and isinstance(node.value, ast.Name) \
                and node.value.id == "builtins":
            found.append((node.lineno, f"builtins.{node.attr}", where))
    return found


def test_detector_finds_what_it_looks_for():
    sample = (
        "import pickle\nimport runpy\nfrom importlib import import_module\nimport importlib.util\n"
        "def f(path):\n    exec(open(path).read())\n    eval('1')\n    compile(src, path, 'exec')\n"
        "    __import__(path)\n    importlib.import_module(path)\n    pickle.load(open(path, 'rb'))\n"
        "    runpy.run_path(path)\n    importlib.util.spec_from_file_location('m', path)\n"
        "    os.system('x')\n    json.loads('{}')\n    tomllib.load(f)\n"
    )
    found = {what for _, what, _ in dangerous_calls(sample, "sample.py")}
    assert found == {"import pickle", "import runpy", "from importlib import import_module", "exec", "eval",
                     "compile", "__import__", "import_module", "load", "run_path", "spec_from_file_location",
                     "system"}


def test_nanlint_source_never_runs_what_it_reads():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        for line, what, function in dangerous_calls(path.read_text(encoding="utf-8"), relative):
            if (relative, function, what) not in ALLOWED:
                offenders.append(f"{relative}:{line}: {what} in {function}()")
    assert not offenders, "code that could run checked code:\n" + "\n".join(offenders)


def test_allowed_imports_stay_inside_nanlint():
    """The allowlisted `import_module` calls can only reach nanlint's own modules."""
    from nanlint.formatters import FORMATS

    assert all(target.startswith("nanlint.formatters.") for target in FORMATS.values())
    rules_init = (SRC / "rules" / "__init__.py").read_text(encoding="utf-8")
    calls = [node for node in ast.walk(ast.parse(rules_init))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"]
    assert calls, "the rule loader moved: update ALLOWED"
    for call in calls:
        argument = call.args[0]
        assert isinstance(argument, ast.JoinedStr) and isinstance(argument.values[0], ast.FormattedValue) \
            and isinstance(argument.values[0].value, ast.Name) and argument.values[0].value.id == "__name__", \
            "rule modules must be imported relative to the nanlint.rules package"
    for relative, function, _ in ALLOWED:
        source = (SRC / relative).read_text(encoding="utf-8")
        assert f"def {function}(" in source, f"ALLOWED names {relative}:{function}, which no longer exists"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths in the module names")
def test_python_dash_m_does_not_import_the_working_directory(tmp_path):
    """`python -m nanlint` puts the working directory first on sys.path; nanlint takes it off
    before importing anything, so a repository's own `click.py` is never run."""
    for name in ("click", "libcst", "json", "tokenize", "pathspec", "dataclasses", "fnmatch", "tomllib"):
        (tmp_path / f"{name}.py").write_text(f"open({str(tmp_path / (name + '.ran'))!r}, 'w').close()\n",
                                             encoding="utf-8")
    (tmp_path / "train.py").write_text(ML, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "nanlint", "--isolated", "train.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert traces(tmp_path) == []
    assert done.returncode == 1 and "train.py:2:" in done.stdout, (done.stdout, done.stderr)
