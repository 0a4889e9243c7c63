"""The real-code corpus: pinned ML packages nobody here wrote, and nanlint's findings on them.

    python benchmarks/corpus.py                 # download (once), lint, print the per-rule table
    python benchmarks/corpus.py --sample 25     # also print up to 25 findings per rule to review
    python benchmarks/corpus.py --rules NAN101  # only some rules
    python benchmarks/corpus.py --path-only     # print the corpus folder and exit
    python benchmarks/corpus.py --findings F    # the table for a saved nanlint output

Packages are fetched with `pip download --no-deps` at the pinned versions below and
their .py files unpacked into benchmarks/.cache/corpus/<package>/. Nothing is imported
or executed. Every finding is either a real risk or a false positive to fix in the
semantic model; the judgements live in docs/precision.md.
"""

from __future__ import annotations

import argparse
import collections
import random
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
WHEELS = CACHE / "wheels"
CORPUS = CACHE / "corpus"

# Pinned so that figures in docs/ can be reproduced.
PACKAGES: Dict[str, str] = {
    "transformers": "5.24.0",
    "diffusers": "0.42.1",
    "timm": "1.0.31",
    "torchmetrics": "1.9.0",
    "trl": "1.16.0",
    "stable-baselines3": "2.9.2",
    "fastai": "2.8.12",
    "keras": "3.15.1",
    "lightning": "2.6.6",
    "gpytorch": "1.15.2",
    "x-transformers": "2.31.10",
    "denoising-diffusion-pytorch": "2.3.4",
    "optax": "0.2.8",
    "flax": "0.12.8",
    # Training scripts, examples and losses rather than model libraries: where input
    # scaling, learning rates and hand-written losses are written by hand.
    "avalanche-lib": "0.6.0",
    "d2l": "1.0.3",
    "deepchem": "2.8.0",
    "dm-haiku": "0.0.17",
    "tensorflow-privacy": "0.9.0",
    "cleverhans": "4.0.0",
    "tf-models-official": "2.20.0",
    "tensorflow-model-optimization": "0.8.1",
    "keras-tuner": "1.4.8",
    "autokeras": "3.0.0",
}


def _wheel_prefix(package: str) -> str:
    return package.replace("-", "_").lower()


def ensure_corpus(packages: Dict[str, str] = PACKAGES) -> Path:
    """Download and unpack each pinned package once; return the corpus folder."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    for package, version in packages.items():
        target = CORPUS / package
        marker = target / ".complete"
        if marker.exists():
            continue
        wheel = _find_wheel(package, version)
        if wheel is None:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q",
                 "-d", str(WHEELS), f"{package}=={version}"],
                check=True,
            )
            wheel = _find_wheel(package, version)
        if wheel is None:
            raise SystemExit(f"could not download {package}=={version}")
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.endswith(".py") and ".dist-info/" not in member:
                    archive.extract(member, target)
        marker.write_text(f"{package}=={version}\n")
    return CORPUS


def _find_wheel(package: str, version: str):
    prefix = f"{_wheel_prefix(package)}-{version}-"
    for wheel in WHEELS.glob("*.whl"):
        if wheel.name.lower().startswith(prefix):
            return wheel
    return None


def corpus_files(folder: Path = CORPUS) -> List[Path]:
    return sorted(folder.rglob("*.py"))


def run_nanlint(folder: Path, select: str, extra: List[str] = ()) -> Tuple[List[str], str, int]:
    command = [sys.executable, "-m", "nanlint", str(folder), "--isolated", "--select", select, *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    return done.stdout.splitlines(), done.stderr, done.returncode


def parse_line(line: str) -> Tuple[str, int, str, str]:
    """`path:line:col: CODE message` -> (path, line, code, message)."""
    location, _, rest = line.partition(": ")
    path, row = location.rsplit(":", 2)[:2]
    code, _, message = rest.partition(" ")
    return path, int(row), code, message


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", default="NAN0,NAN1,NAN2,NAN3,NAN4,NAN5,NAN9",
                        help="code prefixes to enable (default: every rule, including those off by default)")
    parser.add_argument("--sample", type=int, default=0, help="print up to N findings per rule, with the source line")
    parser.add_argument("--seed", type=int, default=0, help="seed for choosing the sample")
    parser.add_argument("--path-only", action="store_true", help="print the corpus folder and exit")
    parser.add_argument("--findings", type=Path, help="read nanlint's output from this file instead of running it "
                        "(e.g. the one NANLINT_CORPUS_OUTPUT keeps from tests/test_corpus.py)")
    parser.add_argument("nanlint_args", nargs="*", help="extra arguments passed to nanlint")
    args = parser.parse_args()

    folder = ensure_corpus()
    if args.path_only:
        print(folder)
        return 0
    files = corpus_files(folder)
    total_lines = sum(p.read_bytes().count(b"\n") for p in files)
    if args.findings:
        lines, stderr, status = args.findings.read_text(encoding="utf-8").splitlines(), "", 0
    else:
        lines, stderr, status = run_nanlint(folder, args.rules, args.nanlint_args)
    if status not in (0, 1):
        print(stderr, file=sys.stderr)
        print(f"nanlint exited with status {status}", file=sys.stderr)
    findings = [parse_line(line) for line in lines if line.strip()]
    by_code: Dict[str, List[Tuple[str, int, str, str]]] = collections.defaultdict(list)
    for finding in findings:
        by_code[finding[2]].append(finding)

    print(f"corpus: {len(PACKAGES)} packages, {len(files)} files, {total_lines} lines")
    print(f"{'code':<8} {'findings':>8} {'files':>6} {'per 1k lines':>12}")
    for code in sorted(by_code):
        rows = by_code[code]
        per_k = 1000 * len(rows) / max(total_lines, 1)
        print(f"{code:<8} {len(rows):>8} {len({r[0] for r in rows}):>6} {per_k:>12.3f}")
    crashes = len(by_code.get("NAN999", []))
    print(f"internal errors (NAN999): {crashes}")

    if args.sample:
        rng = random.Random(args.seed)
        for code in sorted(by_code):
            rows = by_code[code]
            chosen = sorted(rng.sample(rows, min(args.sample, len(rows))))
            print(f"\n## {code}: {len(chosen)} of {len(rows)}")
            for path, row, _, message in chosen:
                source = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
                text = source[row - 1].strip() if 0 < row <= len(source) else ""
                print(f"{Path(path).relative_to(folder)}:{row}: {message}\n    {text}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
