"""Third-party rules through the `nanlint.rules` entry point group.

A tiny plugin package is made in a temporary folder with an installed-package
record (`*.dist-info` with `entry_points.txt`, what pip writes) and put on the path
of a fresh interpreter, so nanlint discovers it exactly as an installed plugin.
Nothing is installed into the test environment, so there is nothing to uninstall.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

PLUGIN = textwrap.dedent(
    '''
    import libcst as cst

    from nanlint.rule import Invalid, Rule, Valid


    class ZeroStdNormal(Rule):
        """
        ## What it does
        Flags `normal(mean, 0)`.

        ## Why is this bad?
        A standard deviation of 0 makes every sample the mean; a later division by the
        sample's spread is a division by zero.

        ## Example
        ```python
        x = torch.normal(0.0, 0)
        ```
        Use instead:
        ```python
        x = torch.normal(0.0, 1.0)
        ```

        ## References
        - PyTorch docs: `torch.normal`
        """

        code = "XMP101"
        name = "zero-std-normal"
        message = "`normal` with a standard deviation of 0 gives constant samples"
        triggers = ("normal",)
        VALID = [Valid("import torch\\nx = torch.normal(0.0, 1.0)")]
        INVALID = [Invalid("import torch\\nx = torch.normal(0.0, 0)", line=2, col=5)]

        def visit_Call(self, node: cst.Call) -> None:
            if self.qualified_name(node) != "torch.normal" or len(node.args) < 2:
                return
            std = node.args[1].value
            if isinstance(std, cst.Integer) and std.value == "0":
                self.report(node)
    '''
)

BROKEN = "raise ImportError('this plugin is broken')\n"


@pytest.fixture
def site(tmp_path):
    """A folder that looks like site-packages with the example plugin installed in it."""
    folder = tmp_path / "site"
    package = folder / "nanlint_example_rules"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    (folder / "nanlint_broken_rules.py").write_text(BROKEN, encoding="utf-8")
    info = folder / "nanlint_example_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nanlint-example-rules\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[nanlint.rules]\nexample = nanlint_example_rules\n", encoding="utf-8"
    )
    (info / "RECORD").write_text("", encoding="utf-8")
    return folder


def nanlint(site, *args, cwd, broken=False):
    env = dict(os.environ)
    paths = [str(site)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    if broken:
        info = site / "nanlint_example_rules-1.0.dist-info" / "entry_points.txt"
        info.write_text(info.read_text(encoding="utf-8") + "broken = nanlint_broken_rules\n", encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "nanlint", "--isolated", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def code_dir(tmp_path):
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "sample.py").write_text("import torch\nx = torch.normal(0.0, 0)\ny = torch.normal(0.0, 1.0)\n",
                                      encoding="utf-8")
    return folder


def test_plugin_rule_runs_when_selected(site, code_dir):
    result = nanlint(site, "--select", "XMP", "sample.py", cwd=code_dir)
    assert result.returncode == 1, result.stderr
    assert result.stdout == "sample.py:2:5: XMP101 `normal` with a standard deviation of 0 gives constant samples\n"
    extended = nanlint(site, "--extend-select", "XMP101", "sample.py", cwd=code_dir)
    assert "XMP101" in extended.stdout


def test_plugin_rule_is_not_in_the_default_nan_selection(site, code_dir):
    result = nanlint(site, "sample.py", cwd=code_dir)
    assert "XMP101" not in result.stdout
    ignored = nanlint(site, "--select", "XMP", "--ignore", "XMP101", "sample.py", cwd=code_dir)
    assert ignored.stdout == "" and ignored.returncode == 0


def test_plugin_rule_is_listed_and_explained(site, code_dir):
    listed = nanlint(site, "--list-rules", cwd=code_dir)
    assert any(line.startswith("XMP101  zero-std-normal") for line in listed.stdout.splitlines())
    rows = json.loads(nanlint(site, "--list-rules", "--output-format", "json", cwd=code_dir).stdout)
    [row] = [row for row in rows if row["code"] == "XMP101"]
    assert row["name"] == "zero-std-normal" and row["default_enabled"] is True
    explained = nanlint(site, "--explain", "XMP101", cwd=code_dir)
    assert explained.stdout.startswith("# XMP101: zero-std-normal")
    assert "## Why is this bad?" in explained.stdout


def test_plugin_rule_in_sarif_and_json(site, code_dir):
    sarif = json.loads(nanlint(site, "--select", "XMP", "--output-format", "sarif", "sample.py", cwd=code_dir).stdout)
    driver = sarif["runs"][0]["tool"]["driver"]
    assert [rule["id"] for rule in driver["rules"] if rule["id"].startswith("XMP")] == ["XMP101"]
    assert sarif["runs"][0]["results"][0]["ruleId"] == "XMP101"
    findings = json.loads(nanlint(site, "--select", "XMP", "--output-format", "json", "sample.py", cwd=code_dir).stdout)
    assert findings[0]["rule"] == "zero-std-normal"


def test_a_broken_plugin_is_reported_and_the_run_goes_on(site, code_dir):
    result = nanlint(site, "--select", "XMP", "sample.py", cwd=code_dir, broken=True)
    assert "could not load rule plugin 'broken'" in result.stderr
    assert "XMP101" in result.stdout
    assert result.returncode == 1


def test_without_the_plugin_the_code_is_unknown(tmp_path, code_dir):
    result = nanlint(tmp_path / "empty", "--select", "XMP", "sample.py", cwd=code_dir)
    assert "'XMP' matches no rule code" in result.stderr
    assert result.stdout == ""
