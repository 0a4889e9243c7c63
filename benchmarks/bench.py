"""How fast is nanlint? Times it against its peers on the same real files, in one run.

    python benchmarks/bench.py                              # every tool, the whole corpus
    python benchmarks/bench.py --limit-files 600            # a deterministic sample of the corpus
    python benchmarks/bench.py --tools nanlint-cold,ruff    # only some tools
    python benchmarks/bench.py --markdown results.md        # also write the table as Markdown
    python benchmarks/bench.py --repeat 3                   # medians of 3 rounds (a noisy machine)

The corpus is the pinned one of `benchmarks/corpus.py` (downloaded once); the chosen
files are copied to a temporary folder outside the repository (Fixit skips files that
git ignores, and benchmarks/.cache is ignored), and every tool checks those copies.
The peers (flake8, ruff, Fixit, TorchFix) are installed at pinned versions into
virtual environments of their own under benchmarks/.cache/venv-peers/<tool>, so they
never mix with nanlint's nor with each other (TorchFix registers a flake8 plugin: in a
shared environment flake8 would run TorchFix too).
Every tool runs as a fresh process on the same list of files with its own defaults
(its own parallelism, if any); wall time is measured around the process, peak
memory is the largest resident set of the process or any of its children, and CPU
time is user + system time of the process and all its children (getrusage
(RUSAGE_CHILDREN) of a fresh helper process per tool; CPU time is the figure to trust
on a busy machine). Every figure is also given as a ratio to nanlint cold. Output and exit status of the tools are ignored.

Rows:
  nanlint-cold      nanlint, no cache, default jobs (the cores available)
  nanlint-cold-j1   the same in one process
  nanlint-warm      a second run with a cache the previous run filled (nothing changed)
  nanlint-5-files   five files, no cache: a pre-commit-sized run, start-up included
  libcst-parse      `libcst.parse_module` of every file, one process (no nanlint)
  ast-parse         `ast.parse` of every file, one process
  needs-parse-*     the files where some enabled rule's trigger occurs: their bare libcst
                    parse, and nanlint on them in one process (the 30% analysis target)
  needs-parse-paired  the same two, file by file in one process: each file parsed bare
                    (`libcst.parse_module`, the collector on, as libcst runs by default) and
                    checked by nanlint (what `--no-cache` runs per file, default rules) right
                    after one another, in rotating order, with each side's CPU time summed
                    (and, for reference, the bare parse with the collector paused, as nanlint
                    pauses it per file). A machine whose speed drifts from one process to the
                    next (this kind of shared machine: the same bare parse run twice differs
                    by up to a third) moves both sides alike, so the ratio is the analysis
                    cost itself; start-up, discovery and output are not in it (the rows above
                    have them)
  flake8, ruff, fixit, torchfix   the peers, as `flake8 FILES`, `ruff check --no-cache
                    --isolated FILES`, `fixit lint FILES`, `torchfix FILES`
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import CORPUS, PACKAGES, corpus_files, ensure_corpus  # noqa: E402

VENV = HERE / ".cache" / "venv-peers"
PEERS = {"fixit": "2.2.1", "torchfix": "0.7.0", "flake8": "7.5.0", "ruff": "0.17.6"}
ALL_TOOLS = ("nanlint-cold", "nanlint-cold-j1", "nanlint-warm", "nanlint-5-files", "libcst-parse", "ast-parse",
             "needs-parse-libcst", "needs-parse-nanlint-j1", "needs-parse-paired", "flake8", "ruff", "fixit",
             "torchfix")

# Runs `argv` and prints {"wall": s, "rss_kb": peak RSS of it and its descendants}.
_MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    start = time.perf_counter()
    done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall": wall, "rss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
                      "status": done.returncode,
                      "stderr": done.stderr.decode(errors="replace")[-2000:]}))
""")

_PARSE = textwrap.dedent("""
    import sys
    kind, listing = sys.argv[1], sys.argv[2]
    paths = open(listing, encoding="utf-8").read().splitlines()
    if kind == "libcst":
        import libcst
        parse = libcst.parse_module
    else:
        import ast
        parse = ast.parse
    for path in paths:
        try:
            parse(open(path, encoding="utf-8").read())
        except Exception:
            pass
""")

# needs-parse-paired: argv listing, output file. Writes {"bare": s, "nanlint": s, "bare_paused": s} (CPU seconds).
_PAIRED = textwrap.dedent("""
    import gc, json, sys, time
    import libcst
    from nanlint.config import Settings
    from nanlint.registry import all_rules
    from nanlint.runner import _Job
    listing, output = sys.argv[1], sys.argv[2]
    paths = open(listing, encoding="utf-8").read().splitlines()
    settings = Settings()
    job = _Job(settings, list(settings.selection.enabled(all_rules().values())))  # what `--no-cache` runs per file
    gc.freeze()  # what was imported is not the bare parse's to collect (a bare process has less)
    clock = time.process_time
    spent = {"bare": 0.0, "nanlint": 0.0, "bare_paused": 0.0}

    def bare(path):  # as the libcst-parse rows do it
        try:
            libcst.parse_module(open(path, encoding="utf-8").read())
        except Exception:
            pass

    def bare_paused(path):  # the same with the collector paused, as nanlint pauses it per file
        gc.disable()
        try:
            bare(path)
        finally:
            gc.enable()

    for index, path in enumerate(paths):
        order = [("bare", bare), ("nanlint", job.check), ("bare_paused", bare_paused)]
        for name, run in order[index % 3:] + order[:index % 3]:
            start = clock()
            run(path)
            spent[name] += clock() - start
    with open(output, "w", encoding="utf-8") as out:
        json.dump(spent, out)
""")


def ensure_peer(name: str) -> Path:
    """The executable of a peer, in its own virtual environment (created once, pinned)."""
    venv = VENV / name
    python = venv / "bin" / "python"
    marker = venv / ".complete"
    wanted = f"{name}=={PEERS[name]}"
    if not (marker.exists() and marker.read_text().strip() == wanted):
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", wanted], check=True)
        marker.write_text(wanted + "\n")
    return venv / "bin" / name


def copy_files(files: Sequence[Path], target: Path) -> List[Path]:
    copies = []
    for path in files:
        copy = target / path.relative_to(CORPUS)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        copies.append(copy)
    return copies


def choose_files(limit: Optional[int]) -> List[Path]:
    """Every corpus file, or `limit` of them spread evenly over the sorted list (deterministic)."""
    files = corpus_files(CORPUS)
    if limit is None or limit >= len(files):
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]


def compile_nanlint() -> None:
    """Byte-compile nanlint's modules, as installing it does (pip, pre-commit). Without this, in
    a checkout with PYTHONDONTWRITEBYTECODE set (or not writable), every timed run compiles all
    of nanlint's modules from source again: about 0.25 s of start-up that no installed copy pays."""
    import compileall

    import nanlint

    compileall.compile_dir(str(Path(nanlint.__file__).parent), quiet=1)


def files_needing_parse(files: Sequence[Path]) -> List[Path]:
    """Files where at least one default-enabled rule's trigger occurs (the rest skip libcst),
    decided as nanlint decides it."""
    from nanlint.config import Settings
    from nanlint.prefilter import rules_that_could_fire
    from nanlint.registry import all_rules

    enabled = list(Settings().selection.enabled(all_rules().values()))
    return [path for path in files
            if rules_that_could_fire(path.read_text(encoding="utf-8", errors="replace"), enabled)]


def measure(argv: Sequence[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> Dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True, cwd=cwd,
                          env=env)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"measuring {argv[:3]} failed: {done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["status"] not in (0, 1):
        print(f"warning: {' '.join(argv[:3])} ... exited with {result['status']}: {result['stderr'][-500:]}",
              file=sys.stderr)
    return result


def machine() -> Dict[str, str]:
    import libcst  # noqa: F401

    try:
        from importlib.metadata import version

        libcst_version = version("libcst")
    except Exception:  # noqa: BLE001
        libcst_version = "?"
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus (nproc)": str(cpus), "cpu": model, "memory": memory,
            "python": platform.python_version(), "libcst": libcst_version, "os": platform.platform()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit-files", type=int, help="use N corpus files, spread evenly (default: all)")
    parser.add_argument("--tools", default=",".join(ALL_TOOLS), help=f"comma-separated, from: {', '.join(ALL_TOOLS)}")
    parser.add_argument("--markdown", type=Path, help="also write the results as Markdown to this file")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every tool this many times, in rounds, and report the medians (default: 1)")
    args = parser.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(ALL_TOOLS))
    if unknown:
        parser.error(f"unknown tools: {', '.join(unknown)}")

    ensure_corpus()
    if any(t.startswith("nanlint") or t in ("needs-parse-nanlint-j1", "needs-parse-paired") for t in tools):
        compile_nanlint()
    files = choose_files(args.limit_files)
    size = sum(p.stat().st_size for p in files)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    peers = {name: ensure_peer(name) for name in PEERS if name in tools}
    work = Path(tempfile.mkdtemp(prefix="nanlint-bench-"))
    originals = files
    files = copy_files(files, work / "corpus")
    listing = work / "files.txt"
    listing.write_text("\n".join(str(p) for p in files) + "\n", encoding="utf-8")
    paths = [str(p) for p in files]
    needing = files_needing_parse(files) if any(t.startswith("needs-parse") for t in tools) else []
    needing_listing = work / "needing.txt"
    needing_listing.write_text("\n".join(str(p) for p in needing) + "\n", encoding="utf-8")
    five = [str(p) for p in (needing or files)[len(needing or files) // 2:][:5]]
    nanlint = [sys.executable, "-m", "nanlint", "--isolated", "--exit-zero"]
    env = {k: v for k, v in os.environ.items() if k != "NANLINT_CACHE_DIR"}

    def run_tool(tool: str) -> Tuple[int, Dict[str, float]]:
        count = len(files)
        if tool == "nanlint-cold":
            result = measure([*nanlint, "--no-cache", *paths], work, env)
        elif tool == "nanlint-cold-j1":
            result = measure([*nanlint, "--no-cache", "--jobs", "1", *paths], work, env)
        elif tool == "nanlint-warm":
            cache = work / "cache"
            measure([*nanlint, "--cache-dir", str(cache), *paths], work, env)  # fill the cache
            result = measure([*nanlint, "--cache-dir", str(cache), *paths], work, env)
        elif tool == "nanlint-5-files":
            count = len(five)
            result = measure([*nanlint, "--no-cache", *five], work, env)
        elif tool in ("libcst-parse", "ast-parse"):
            result = measure([sys.executable, "-c", _PARSE, tool.split("-")[0], str(listing)], work, env)
        elif tool == "needs-parse-libcst":
            count = len(needing)
            result = measure([sys.executable, "-c", _PARSE, "libcst", str(needing_listing)], work, env)
        elif tool == "needs-parse-nanlint-j1":
            count = len(needing)
            result = measure([*nanlint, "--no-cache", "--jobs", "1", *map(str, needing)], work, env)
        elif tool == "needs-parse-paired":
            count = len(needing)
            spent = work / "paired.json"
            result = measure([sys.executable, "-c", _PAIRED, str(needing_listing), str(spent)], work, env)
            result.update({f"paired_{side}": cpu for side, cpu in json.loads(spent.read_text()).items()})
        elif tool == "flake8":
            result = measure([str(peers["flake8"]), "--isolated", *paths], work, env)
        elif tool == "ruff":
            result = measure([str(peers["ruff"]), "check", "--no-cache", "--isolated", "--exit-zero", *paths],
                             work, env)
        elif tool == "fixit":
            result = measure([str(peers["fixit"]), "lint", *paths], work / "corpus", env)
        else:  # torchfix
            result = measure([str(peers["torchfix"]), *paths], work, env)
        return count, result

    # Rounds of every tool in turn: on a machine whose speed drifts, each tool sees the same drift.
    rounds: Dict[str, List[Dict[str, float]]] = {tool: [] for tool in tools}
    counts: Dict[str, int] = {}
    try:
        for round_number in range(1, args.repeat + 1):
            for tool in tools:
                print(f"running {tool} (round {round_number} of {args.repeat}) ...", file=sys.stderr, flush=True)
                counts[tool], result = run_tool(tool)
                rounds[tool].append(result)
                paired = (f" (of which bare parse {result['paired_bare']:.2f} s, nanlint {result['paired_nanlint']:.2f} s, "
                          f"bare parse with the collector paused {result['paired_bare_paused']:.2f} s)"
                          if "paired_bare" in result else "")
                print(f"  {tool}: {result['wall']:.2f} s wall, {result['cpu']:.2f} s CPU{paired}, "
                      f"{result['rss_kb'] / 1024:.0f} MB", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [(tool, counts[tool], median_result(rounds[tool])) for tool in tools]

    subset = "all" if args.limit_files is None or args.limit_files >= len(corpus_files(CORPUS)) else \
        f"{len(files)} of {len(corpus_files(CORPUS))}, every {len(corpus_files(CORPUS)) / len(files):.1f}th of the sorted list"
    counted = any(t.startswith("needs-parse") for t in tools)  # the files needing a parse are counted only then
    text = render(rows, originals, size, lines, subset, len(needing) if counted else None, machine(), rounds)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


def median_result(results: Sequence[Dict[str, float]]) -> Dict[str, float]:
    """Each figure's median over the rounds (the middle one, or the mean of the two middle ones)."""
    def median(values: List[float]) -> float:
        ordered = sorted(values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    return {key: median([r[key] for r in results]) for key in ("wall", "cpu", "rss_kb")}


def render(rows, files, size, lines, subset, needing: Optional[int], facts: Dict[str, str],
           rounds: Dict[str, List[Dict[str, float]]]) -> str:
    reference = next((r for name, _, r in rows if name == "nanlint-cold"), None)
    out = [
        f"Corpus: {len(files)} files ({subset}), {size / 1e6:.1f} MB, {lines:,} lines, from "
        f"{len(PACKAGES)} pinned packages (benchmarks/corpus.py)"
        + (f"; {needing} of them contain a trigger of a default rule and need a libcst parse." if needing is not None
           else "."),
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()),
        "",
        "| tool | files | wall (s) | files/s | CPU (s) | peak RSS (MB) | wall / nanlint cold | CPU / nanlint cold "
        "| RSS / nanlint cold |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, count, result in rows:
        wall, rss = result["wall"], result["rss_kb"] / 1024
        ratio_wall = f"{wall / reference['wall']:.2f}" if reference else "-"
        ratio_rss = f"{rss / (reference['rss_kb'] / 1024):.2f}" if reference else "-"
        ratio_cpu = f"{result['cpu'] / reference['cpu']:.2f}" if reference else "-"
        out.append(f"| {name} | {count} | {wall:.2f} | {count / wall:.0f} | {result['cpu']:.2f} | {rss:.0f} "
                   f"| {ratio_wall} | {ratio_cpu} | {ratio_rss} |")
    by_name = {name: result for name, _, result in rows}
    if "needs-parse-libcst" in by_name and "needs-parse-nanlint-j1" in by_name:
        wall = by_name["needs-parse-nanlint-j1"]["wall"] / by_name["needs-parse-libcst"]["wall"] - 1
        cpu = by_name["needs-parse-nanlint-j1"]["cpu"] / by_name["needs-parse-libcst"]["cpu"] - 1
        out += ["", f"nanlint on top of the bare libcst parse, files that need parsing, one process: {wall:+.0%} "
                    f"wall, {cpu:+.0%} CPU (start-up, discovery and output included)."]
        paired = [ours["cpu"] / bare["cpu"] - 1
                  for ours, bare in zip(rounds["needs-parse-nanlint-j1"], rounds["needs-parse-libcst"])]
        if len(paired) > 1:
            out.append(f"The same, CPU, round by round: {', '.join(f'{r:+.0%}' for r in paired)}.")
    if rounds.get("needs-parse-paired"):
        paired_rounds = [r["paired_nanlint"] / r["paired_bare"] - 1 for r in rounds["needs-parse-paired"]]
        bare = sum(r["paired_bare"] for r in rounds["needs-parse-paired"])
        ours = sum(r["paired_nanlint"] for r in rounds["needs-parse-paired"])
        paused = sum(r["paired_bare_paused"] for r in rounds["needs-parse-paired"])
        out += ["", f"nanlint on top of the bare libcst parse, file by file in one process (needs-parse-paired): "
                    f"{ours / bare - 1:+.0%} CPU over all rounds ({ours:.2f} s against {bare:.2f} s)"
                    + (f"; round by round: {', '.join(f'{r:+.0%}' for r in paired_rounds)}" if len(paired_rounds) > 1
                       else "")
                    + f". Against the bare parse with the collector paused ({paused:.2f} s): {ours / paused - 1:+.0%}."]
    if any(len(results) > 1 for results in rounds.values()):
        out += ["", f"Every figure is the median of {max(len(r) for r in rounds.values())} rounds, each of which "
                    "ran every tool in turn."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
