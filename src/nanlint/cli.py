"""The command line: `nanlint [PATHS]...`.

Exit status: 0 no findings, 1 findings, 2 usage, configuration or internal error.
Only findings go to stdout; warnings and errors go to stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import click

from nanlint import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: Optional[str]) -> Optional[Tuple[str, ...]]:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _globs(value: Optional[str]) -> Optional[Tuple[str, ...]]:
    return _codes(value)


def fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"nanlint: error: {message}", err=True)
    return click.exceptions.Exit(EXIT_ERROR)


def _explain(code: str) -> None:
    from nanlint.docs import ENGINE_CODES, render, render_engine_code
    from nanlint.registry import find_rule

    if code.upper() in ENGINE_CODES:
        click.echo(render_engine_code(code.upper()), nl=False)
        return
    try:
        rule = find_rule(code)
    except KeyError:
        raise fail(f"unknown rule {code!r}; see `nanlint --list-rules`") from None
    click.echo(render(rule), nl=False)


def _list_rules(output_format: str) -> None:
    from nanlint.registry import all_rules

    rules = all_rules().values()
    if output_format == "json":
        import json

        rows = [
            {"code": r.code, "name": r.name, "message": r.message, "fix": r.fix_title,
             "default_enabled": r.default_enabled, "summary": r.summary()}
            for r in rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r.name) for r in rules), default=4)
    for rule in rules:
        default = "" if rule.default_enabled else "  (off by default)"
        click.echo(f"{rule.code}  {rule.name:<{width}}  {rule.message}{default}")


def _load_settings(paths: Sequence[str], config: Optional[str], isolated: bool, stdin_filename: Optional[str],
                   overrides: Dict[str, Any]):
    from nanlint.config import ConfigError, build_settings, find_config, unknown_prefixes
    from nanlint.discovery import common_parent
    from nanlint.registry import all_rules

    rules = all_rules()
    config_path: Optional[Path] = None
    if config is not None:
        config_path = Path(config)
        if not config_path.is_file():
            raise fail(f"config file {config} does not exist")
    elif not isolated:
        start = common_parent([stdin_filename] if stdin_filename and list(paths) == ["-"] else paths) or Path.cwd()
        config_path = find_config(start)
    try:
        settings = build_settings(config_path, overrides, rules)
    except ConfigError as error:
        raise fail(str(error)) from None
    for prefix in unknown_prefixes(settings, rules):
        click.echo(f"nanlint: warning: {prefix!r} matches no rule code", err=True)
    return settings, rules


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", help="Comma-separated code prefixes to enable (replaces the default).")
@click.option("--ignore", help="Comma-separated code prefixes to disable.")
@click.option("--extend-select", help="Comma-separated code prefixes to enable on top of the selection.")
@click.option("--extend-ignore", help="Comma-separated code prefixes to disable on top of the configuration.")
@click.option("--exclude", help="Comma-separated globs of files and folders to skip (replaces the defaults).")
@click.option("--extend-exclude", help="Comma-separated globs to skip on top of the defaults.")
@click.option("--per-file-ignores", "per_file_ignores", multiple=True, metavar="GLOB:CODES",
              help="Ignore CODES (comma-separated) in files matching GLOB; repeatable.")
@click.option("--no-respect-gitignore", is_flag=True, help="Check files that .gitignore excludes.")
@click.option("--config", type=click.Path(dir_okay=False), help="Use this config file instead of searching for one.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--stdin-filename", help="The path to report (and to match per-file config) for source read from stdin.")
@click.option("--output-format", help="Output format: text (default), full, json, json-lines, sarif, github, gitlab, junit, pylint.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per code instead of the findings.")
@click.option("--show-fixes", is_flag=True, help="Show the suggested fix under findings that have one (text and full formats).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report only findings that are not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record the current findings in FILE (a baseline) and exit 0.")
@click.option("--exit-zero", is_flag=True, help="Exit with status 0 even when there are findings.")
@click.option("--show-tracebacks", is_flag=True, help="Print the traceback of internal errors to stderr.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
              help="Check files in N worker processes (default: the CPUs available).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the results cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where to keep the results cache (default: $NANLINT_CACHE_DIR, else .nanlint_cache next to "
                   "the config file, else in the current folder).")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--explain", metavar="CODE", help="Print the documentation of a rule and exit.")
@click.version_option(__version__, "--version", prog_name="nanlint")
def main(paths: Tuple[str, ...], select, ignore, extend_select, extend_ignore, exclude, extend_exclude,
         per_file_ignores, no_respect_gitignore, config, isolated, stdin_filename, output_format, statistics,
         show_fixes, baseline_file, write_baseline_file, exit_zero, show_tracebacks, list_rules, explain,
         jobs=None, no_cache=False, cache_dir=None) -> None:
    """Find the causes of NaN and Inf losses in training code, without running it."""
    from nanlint.formatters import FORMATS

    if output_format is not None and output_format not in FORMATS:
        raise fail(f"unknown output format {output_format!r}; choose from {', '.join(FORMATS)}")
    if explain:
        _explain(explain)
        return
    if list_rules:
        _list_rules(output_format or "text")
        return

    paths = paths or ((".",) if stdin_filename is None else ("-",))
    overrides: Dict[str, Any] = {
        "select": _codes(select),
        "ignore": _codes(ignore),
        "extend_select": _codes(extend_select),
        "extend_ignore": _codes(extend_ignore),
        "exclude": _globs(exclude),
        "extend_exclude": _globs(extend_exclude),
        "output_format": output_format,
        "per_file_ignores": _parse_per_file_ignores(per_file_ignores) if per_file_ignores else None,
        "respect_gitignore": False if no_respect_gitignore else None,
    }
    settings, rules = _load_settings(paths, config, isolated, stdin_filename, overrides)
    if settings.output_format not in FORMATS:
        raise fail(f"unknown output format {settings.output_format!r} in {settings.config_path}")
    report = ReportOptions(statistics, show_fixes, baseline_file, write_baseline_file)
    exit_code = _check(paths, settings, rules, stdin_filename, show_tracebacks, report,
                       SpeedOptions(jobs, no_cache, cache_dir))
    raise click.exceptions.Exit(EXIT_CLEAN if exit_zero and exit_code == EXIT_FINDINGS else exit_code)


def _parse_per_file_ignores(entries: Sequence[str]) -> List[Tuple[str, Tuple[str, ...]]]:
    parsed = []
    for entry in entries:
        pattern, sep, codes = entry.rpartition(":")
        if not sep or not pattern:
            raise fail(f"--per-file-ignores expects GLOB:CODES, got {entry!r}")
        parsed.append((pattern, tuple(c.strip().upper() for c in codes.split(",") if c.strip())))
    return parsed


class ReportOptions(NamedTuple):
    statistics: bool = False
    show_fixes: bool = False
    baseline: Optional[str] = None
    write_baseline: Optional[str] = None


def _stderr_is_tty() -> bool:
    """Progress and the summary go to stderr only on an interactive terminal."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """`checking 120/6565 files` on one stderr line, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self.shown = False
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if total < 2 or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        sys.stderr.write(f"\rnanlint: checking {done}/{total} files")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _output_error(error: UnicodeError) -> Tuple[Any, int]:
    """A file name that is not valid UTF-8 (Python holds its bytes as lone surrogates) is
    written back as those bytes; any other character the stream cannot encode is escaped."""
    import codecs

    try:
        return codecs.lookup_error("surrogateescape")(error)
    except UnicodeError:
        return codecs.lookup_error("backslashreplace")(error)


def _never_fail_on_output() -> None:
    import codecs

    try:
        codecs.lookup_error("nanlint-output")
    except LookupError:
        codecs.register_error("nanlint-output", _output_error)
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="nanlint-output")
            except (ValueError, OSError, AttributeError):  # a stream that cannot change: leave it
                pass


class SpeedOptions(NamedTuple):
    jobs: Optional[int] = None
    no_cache: bool = False
    cache_dir: Optional[str] = None


def _open_cache(settings, enabled, speed: SpeedOptions):
    if speed.no_cache:
        return None
    from nanlint.cache import Cache, default_directory

    directory = Path(speed.cache_dir) if speed.cache_dir else default_directory(settings.root)
    return Cache(directory, enabled, settings.rule_options, {"max_file_size": settings.max_file_size})


def _check(paths: Sequence[str], settings, rules, stdin_filename: Optional[str], show_tracebacks: bool,
           report: ReportOptions = ReportOptions(), speed: SpeedOptions = SpeedOptions()) -> int:
    from nanlint.diagnostics import INTERNAL_ERROR_CODE
    from nanlint.discovery import discover
    from nanlint.formatters import get_formatter
    from nanlint.formatters.sources import SourceLines
    from nanlint.runner import run

    started = time.monotonic()
    _never_fail_on_output()
    interactive = _stderr_is_tty()
    progress = _Progress() if interactive else None
    roots = [settings.root] if settings.root else []
    discovered = discover(paths, settings.all_excludes, settings.respect_gitignore, roots)
    enabled = settings.selection.enabled(rules.values())
    result = run(discovered, settings, enabled, stdin_filename, progress=progress, jobs=speed.jobs,
                 cache=_open_cache(settings, enabled, speed))
    if progress is not None:
        progress.clear()
    ran = {rule.code: rule for rule in enabled}  # formats that describe rules describe those that ran
    stdin_display = stdin_filename or "-"
    stdin_data = getattr(result, "stdin_data", None)
    sources = SourceLines({stdin_display: stdin_data} if stdin_data is not None else {})
    diagnostics = result.diagnostics
    if report.write_baseline or report.baseline:
        from nanlint.baseline import BaselineError, new_findings, write

        try:
            if report.write_baseline:
                count = write(report.write_baseline, diagnostics, sources)
                click.echo(f"nanlint: wrote {count} finding(s) to baseline {report.write_baseline}", err=True)
            if report.baseline:
                diagnostics = new_findings(diagnostics, report.baseline, sources)
        except BaselineError as error:
            raise fail(str(error)) from None
    if report.write_baseline:
        internal = [d for d in diagnostics if d.code == INTERNAL_ERROR_CODE]
        get_formatter(settings.output_format)(sys.stdout, ran, sources).write_all(internal)
        return EXIT_ERROR if internal else EXIT_CLEAN
    if report.statistics:
        from nanlint.formatters.statistics import JsonStatisticsFormatter, StatisticsFormatter

        chosen = JsonStatisticsFormatter if settings.output_format == "json" else StatisticsFormatter
        chosen(sys.stdout, ran, sources).write_all(diagnostics)
    else:
        formatter = get_formatter(settings.output_format)(sys.stdout, ran, sources, show_fixes=report.show_fixes)
        formatter.write_all(diagnostics)
    if show_tracebacks:
        for trace in result.tracebacks:
            click.echo(trace, err=True)
    if interactive:
        elapsed = time.monotonic() - started
        files = "file" if result.files_checked == 1 else "files"
        found = "finding" if len(diagnostics) == 1 else "findings"
        hidden = len(result.diagnostics) - len(diagnostics)
        baselined = f" ({hidden} in the baseline not shown)" if hidden else ""
        click.echo(f"nanlint: {result.files_checked} {files} checked, {len(diagnostics)} {found}{baselined} "
                   f"in {elapsed:.2f}s", err=True)
    if any(d.code == INTERNAL_ERROR_CODE for d in diagnostics):
        return EXIT_ERROR
    return EXIT_FINDINGS if diagnostics else EXIT_CLEAN
