"""The pre-commit hook, run for real by pre-commit in a temporary git repository."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "nanlint"
    assert hook["entry"] == "nanlint"
    assert hook["language"] == "python"
    assert "python" in hook["types_or"]


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e"})


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_try_repo_fails_on_bad_file_and_passes_on_good(tmp_path):
    # pre-commit installs the hook from a git repository: snapshot the working tree into one.
    hook_repo = tmp_path / "hook-repo"
    shutil.copytree(ROOT, hook_repo, ignore=shutil.ignore_patterns(".git", ".cache", "*.egg-info", "__pycache__",
                                                                  ".nanlint_cache", ".pytest_cache", ".hypothesis"))
    _git(hook_repo, "init", "-q")
    _git(hook_repo, "add", "-A")
    _git(hook_repo, "commit", "-qm", "snapshot")

    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / "good.py").write_text("import torch\nopt = torch.optim.Adam(params, lr=1e-3)\n")
    _git(project, "add", "good.py")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    def try_repo():
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "nanlint", "--all-files"],
            cwd=project, capture_output=True, text=True, env=env, timeout=600,
        )

    passed = try_repo()
    assert passed.returncode == 0, passed.stdout + passed.stderr

    (project / "bad.py").write_text("import torch\nopt = torch.optim.Adam(params, lr=1.0)\n")
    _git(project, "add", "bad.py")
    failed = try_repo()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "bad.py:2:7: NAN301" in failed.stdout
