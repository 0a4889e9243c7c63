"""Every output format on the same inputs (golden files), plus the checks each format
owes its consumers: SARIF against the official 2.1.0 schema, JSON against the schema
in docs/json-schema.md, GitHub escaping, JUnit structure, GitLab fingerprints, fixes.

Refresh the golden files with `python -m pytest tests/test_formats.py --update-snapshots`
and review the diff.
"""

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from nanlint import __version__
from nanlint.cli import main
from nanlint.diagnostics import Diagnostic, Fix, FixSafety
from nanlint.formatters import FORMATS, get_formatter
from nanlint.registry import all_rules

TESTS = Path(__file__).parent
GOLDEN = TESTS / "golden"
ROOT = TESTS.parent
# The same inputs for every format, paths relative to tests/: a training script with two
# findings (and a suppressed one), a file with a syntax error (NAN000) and a notebook.
INPUTS = ["data/golden_inputs/broken.py", "data/golden_inputs/train.py", "data/train.ipynb"]
SELECT = ["--isolated", "--select", "NAN301,NAN302"]


def run_cli(args, cwd=TESTS, stdin=None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


def sarif_schema():
    return json.loads((TESTS / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate_sarif(document):
    validator = jsonschema.Draft7Validator(sarif_schema(), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def documented_json_schema():
    page = (ROOT / "docs" / "json-schema.md").read_text(encoding="utf-8")
    block = re.search(r"## JSON Schema.*?```json\n(.*?)```", page, re.S)
    assert block, "docs/json-schema.md has no JSON Schema block"
    return json.loads(block.group(1))


def normalise(name, output):
    """Take out what legitimately changes without the format changing."""
    if name == "sarif":
        document = json.loads(output)
        driver = document["runs"][0]["tool"]["driver"]
        driver["version"] = driver["semanticVersion"] = "VERSION"
        for rule in driver["rules"]:  # checked against the rule classes in test_sarif_rules_describe_the_rules
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    rule[key] = "<from the rule's metadata>"
            rule.pop("helpUri", None)
            rule.pop("properties", None)
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return output


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_matches_golden_file(name, update_snapshots):
    result = run_cli([*SELECT, "--output-format", name, *INPUTS])
    assert result.exit_code == 1, result.stderr
    output = normalise(name, result.stdout)
    golden = GOLDEN / f"{name}.txt"
    if update_snapshots:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(output, encoding="utf-8", newline="\n")
    assert golden.exists(), f"no golden file for format {name!r}: run pytest {__file__} --update-snapshots"
    assert output == golden.read_text(encoding="utf-8"), (
        f"{name} output changed; if intended, refresh with `pytest tests/test_formats.py --update-snapshots`"
    )


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_reports_every_finding_and_the_notebook_cell(name):
    """Independent of the golden files: each finding's code and position is in the output."""
    text = run_cli([*SELECT, "--output-format", "json", *INPUTS]).stdout
    findings = json.loads(text)
    assert {f["path"] for f in findings} == set(INPUTS)
    output = run_cli([*SELECT, "--output-format", name, *INPUTS]).stdout
    for finding in findings:
        assert finding["code"] in output
        assert str(finding["line"]) in output
    assert any(f["cell"] == 2 and f["line"] == 4 for f in findings)


def test_sarif_validates_against_the_official_schema():
    document = json.loads(run_cli([*SELECT, "--output-format", "sarif", *INPUTS]).stdout)
    validate_sarif(document)
    run = document["runs"][0]
    assert run["tool"]["driver"]["version"] == __version__
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert ids == sorted(ids) and {"NAN301", "NAN302", "NAN000", "NAN999"} <= set(ids)
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
    cells = [r["locations"][0].get("properties", {}).get("cell") for r in run["results"]]
    assert 2 in cells and None in cells


def test_sarif_of_a_clean_run_validates(tmp_path):
    (tmp_path / "clean.py").write_text("import torch\nopt = torch.optim.Adam(p, lr=1e-3)\n", encoding="utf-8")
    result = run_cli([*SELECT, "--output-format", "sarif", "clean.py"], cwd=tmp_path)
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    validate_sarif(document)
    assert document["runs"][0]["results"] == []
    empty = io.StringIO()
    get_formatter("sarif")(empty, {}).write_all([])
    validate_sarif(json.loads(empty.getvalue()))
    assert json.loads(empty.getvalue())["runs"][0]["results"] == []


def test_sarif_rules_describe_the_rules():
    document = json.loads(run_cli([*SELECT, "--output-format", "sarif", *INPUTS]).stdout)
    rules = all_rules()
    for descriptor in document["runs"][0]["tool"]["driver"]["rules"]:
        if descriptor["id"] in ("NAN000", "NAN999"):
            continue
        rule = rules[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.message
        assert descriptor["fullDescription"]["text"] == rule.summary()
        assert "## Why is this bad?" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["enabled"] == rule.default_enabled


def test_json_output_follows_the_documented_schema():
    schema = documented_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    findings = json.loads(run_cli([*SELECT, "--output-format", "json", *INPUTS]).stdout)
    jsonschema.validate(findings, schema, cls=jsonschema.Draft202012Validator)
    lines = run_cli([*SELECT, "--output-format", "json-lines", *INPUTS]).stdout.splitlines()
    assert [json.loads(line) for line in lines] == findings
    fixed = io.StringIO()
    get_formatter("json")(fixed, {}).write_all([FIXABLE])
    jsonschema.validate(json.loads(fixed.getvalue()), schema, cls=jsonschema.Draft202012Validator)


def test_json_of_a_clean_run_is_an_empty_array(tmp_path):
    (tmp_path / "clean.py").write_text("x = 1\n", encoding="utf-8")
    result = run_cli([*SELECT, "--output-format", "json", "clean.py"], cwd=tmp_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    lines = run_cli([*SELECT, "--output-format", "json-lines", "clean.py"], cwd=tmp_path)
    assert lines.stdout == ""


# --- fixes: no built-in rule of NAN301/NAN302 has one, so a diagnostic is built by hand --

SOURCE = "import torch\nlogp = torch.log(torch.softmax(x, dim=-1))\n"
FIXABLE = Diagnostic(
    "model.py", 2, 8, "NAN101", "`log` of `softmax` output can be -inf", end_line=2, end_col=43,
    fix_title="Use `log_softmax`", fix=Fix(2, 8, 2, 43, "torch.log_softmax(x, dim=-1)", FixSafety.UNSAFE),
)


def render(name, diagnostics, **options):
    stream = io.StringIO()
    get_formatter(name)(stream, {}, {"model.py": SOURCE}, **options).write_all(diagnostics)
    return stream.getvalue()


def test_show_fixes_in_text_format_shows_the_edit():
    plain = render("text", [FIXABLE])
    assert plain == "model.py:2:8: NAN101 `log` of `softmax` output can be -inf\n"
    shown = render("text", [FIXABLE], show_fixes=True).splitlines()
    assert shown == [
        "model.py:2:8: NAN101 `log` of `softmax` output can be -inf",
        "  fix (unsafe): Use `log_softmax`",
        "  - logp = torch.log(torch.softmax(x, dim=-1))",
        "  + logp = torch.log_softmax(x, dim=-1)",
    ]


def test_full_format_shows_source_caret_hint_and_fix():
    lines = render("full", [FIXABLE], show_fixes=True).splitlines()
    assert lines[:5] == [
        "model.py:2:8: NAN101 `log` of `softmax` output can be -inf",
        "  |",
        "2 | logp = torch.log(torch.softmax(x, dim=-1))",
        "  |        " + "^" * 35,
        "  = help: Use `log_softmax`",
    ]
    assert lines[5:] == [
        "  = fix (unsafe):",
        "    - logp = torch.log(torch.softmax(x, dim=-1))",
        "    + logp = torch.log_softmax(x, dim=-1)",
    ]


def test_full_format_caret_keeps_tabs_and_survives_missing_source():
    tabbed = Diagnostic("t.py", 1, 3, "NAN101", "m")
    stream = io.StringIO()
    get_formatter("full")(stream, {}, {"t.py": "\t\tx = log(y)\n"}).write_all([tabbed])
    assert stream.getvalue().splitlines()[3] == "  | \t\t^"
    stream = io.StringIO()
    get_formatter("full")(stream, {}, {}).write_all([tabbed])
    assert stream.getvalue() == "t.py:1:3: NAN101 m\n"


def test_sarif_carries_fixes_and_validates():
    document = json.loads(render("sarif", [FIXABLE]))
    validate_sarif(document)
    fix = document["runs"][0]["results"][0]["fixes"][0]
    replacement = fix["artifactChanges"][0]["replacements"][0]
    assert replacement["deletedRegion"] == {"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 43}
    assert replacement["insertedContent"]["text"] == "torch.log_softmax(x, dim=-1)"
    assert fix["description"]["text"] == "Use `log_softmax`"


def test_statistics_replace_findings_and_keep_the_exit_code():
    result = run_cli([*SELECT, "--statistics", *INPUTS])
    assert result.exit_code == 1
    expected = json.loads(run_cli([*SELECT, "--output-format", "json", *INPUTS]).stdout)
    counts = {}
    for finding in expected:
        counts[finding["code"]] = counts.get(finding["code"], 0) + 1
    rows = [line.split() for line in result.stdout.splitlines()]
    assert {row[1]: int(row[0]) for row in rows} == counts
    assert [int(row[0]) for row in rows] == sorted((int(row[0]) for row in rows), reverse=True)
    as_json = json.loads(run_cli([*SELECT, "--statistics", "--output-format", "json", *INPUTS]).stdout)
    assert {item["code"]: item["count"] for item in as_json} == counts
    assert {item["name"] for item in as_json} == {"large-learning-rate", "clip-before-backward", "unreadable-file"}


def test_github_annotations_escape_data_and_properties():
    tricky = Diagnostic("dir,x/a:b.py", 3, 2, "NAN301", "100% sure\nsecond line", end_line=3, end_col=9)
    line = render("github", [tricky]).rstrip("\n")
    assert line == (
        "::error title=nanlint (NAN301),file=dir%2Cx/a%3Ab.py,line=3,col=2,endLine=3,endColumn=9"
        "::NAN301 100%25 sure%0Asecond line"
    )
    in_cell = Diagnostic("nb.ipynb", 4, 7, "NAN301", "m", cell=2)
    assert render("github", [in_cell]) == "::error title=nanlint (NAN301),file=nb.ipynb::cell 2, line 4, column 7: NAN301 m\n"


def test_junit_counts_failures_per_file_and_is_never_empty():
    root = ET.fromstring(run_cli([*SELECT, "--output-format", "junit", *INPUTS]).stdout)
    findings = json.loads(run_cli([*SELECT, "--output-format", "json", *INPUTS]).stdout)
    unreadable = [f for f in findings if f["code"] == "NAN000"]
    assert len(unreadable) == 1
    assert int(root.get("tests")) == len(findings)
    assert int(root.get("failures")) == len(findings) - 1 and root.get("errors") == "1"
    assert [suite.get("name") for suite in root] == sorted(INPUTS)
    assert sum(len(suite.findall("testcase/failure")) for suite in root) == len(findings) - 1
    clean = ET.fromstring(render("junit", []))
    assert clean.get("tests") == "1" and clean.get("failures") == "0"
    broken = ET.fromstring(render("junit", [Diagnostic("x.py", 1, 1, "NAN000", "syntax error")]))
    assert broken.get("errors") == "1" and broken.find("testsuite/testcase/error").get("type") == "NAN000"


def test_gitlab_fingerprints_are_unique_and_survive_moved_lines(tmp_path):
    body = "import torch\nopt = torch.optim.SGD(p, lr=5.0)\nopt = torch.optim.SGD(p, lr=5.0)\n"
    (tmp_path / "a.py").write_text(body, encoding="utf-8")
    first = json.loads(run_cli(["--isolated", "--output-format", "gitlab", "a.py"], cwd=tmp_path).stdout)
    prints = [issue["fingerprint"] for issue in first]
    assert len(prints) == 2 and len(set(prints)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", fp) for fp in prints)
    assert first[0]["location"] == {"path": "a.py", "positions": {"begin": {"line": 2, "column": 7},
                                                                  "end": {"line": 2, "column": 33}}}
    (tmp_path / "a.py").write_text("# a new comment\n\n" + body, encoding="utf-8")
    moved = json.loads(run_cli(["--isolated", "--output-format", "gitlab", "a.py"], cwd=tmp_path).stdout)
    assert [issue["fingerprint"] for issue in moved] == prints
    assert moved[0]["location"]["positions"]["begin"]["line"] == 4


def test_pylint_format_names_the_cell_in_notebooks():
    lines = run_cli([*SELECT, "--output-format", "pylint", "data/train.ipynb"]).stdout.splitlines()
    assert lines[0].startswith("data/train.ipynb:4: [NAN301] (cell 2) Learning rate 1")


def test_unknown_format_is_a_usage_error():
    result = run_cli(["--output-format", "yaml", "fixtures/NAN301.py"])
    assert result.exit_code == 2
    assert "unknown output format 'yaml'" in result.stderr
    assert result.stdout == ""


def test_output_format_from_config_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nanlint]\noutput-format = "pylint"\n', encoding="utf-8")
    (tmp_path / "a.py").write_text("import torch\nopt = torch.optim.SGD(p, lr=5.0)\n", encoding="utf-8")
    result = run_cli(["a.py"], cwd=tmp_path)
    assert result.stdout.startswith("a.py:2: [NAN301] ")
