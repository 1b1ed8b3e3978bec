"""`racelint`: a thin command-line adapter over the library (Ruff's surface and exit codes).

Exit codes: 0 clean (or everything fixed), 1 findings remain, 2 usage or configuration
error, an unreadable or unparsable file, or a fix that had to be reverted or not written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import __version__
from .api import relative_path, run_files, unified_diff, unwritable_fixes, write_fixes
from .engine.cache import ResultCache
from .config import ConfigError, load_config, with_overrides
from .engine.discovery import discover
from .docs import render_catalog, render_rule
from .engine.lint import lint_source
from .ftypes import Config, FileResult, Finding, FixApplicability, ParseError
from .output import FORMATS, RENDERERS, statistics

VERBS = ("check", "rule", "rules", "confirm", "scaffold", "version")


def _codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="racelint",
        description="Find and fix thread-safety races for free-threaded Python (3.13t/3.14t).",
    )
    parser.add_argument("--version", action="version", version=f"racelint {__version__}")
    verbs = parser.add_subparsers(dest="verb")

    check = verbs.add_parser("check", help="lint files and directories (the default verb)")
    check.add_argument("paths", nargs="*", default=["."], help="files or directories; `-` reads stdin")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", default=None, help="also apply unsafe fixes")
    check.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_false", help="never apply unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print fixes as a unified diff; write nothing")
    check.add_argument("--show-fixes", action="store_true", help="list the fixes applied")
    check.add_argument("--select", type=_codes, help="codes or prefixes to enable (replaces config)")
    check.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    check.add_argument("--extend-select", type=_codes, help="codes or prefixes to enable in addition")
    check.add_argument("--format", choices=FORMATS, default="concise", help="output format")
    check.add_argument("--output-file", help="write the report to this file instead of stdout")
    check.add_argument("--statistics", action="store_true", help="count findings per code")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    check.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: all cores)")
    check.add_argument("--config", type=Path, help="use this pyproject.toml")
    check.add_argument("--stdin-filename", help="the path to report for stdin input")
    check.add_argument("--exclude", type=lambda v: tuple(x for x in v.split(",") if x), help="glob patterns to skip (replaces config)")
    check.add_argument("--extend-exclude", type=lambda v: tuple(x for x in v.split(",") if x), help="more glob patterns to skip")
    check.add_argument("--force-exclude", action="store_true", help="apply excludes to explicitly named files")
    check.add_argument("--certify", action="store_true", help="with --fix: prove each fix with its race reproducer")
    check.add_argument("--certify-runs", type=int, default=20, help="barrier reproducer runs per certificate (default 20; frontrun explores instead)")
    check.add_argument("--no-cache", action="store_true", help="do not read or write .racelint_cache")

    rule = verbs.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("code")
    verbs.add_parser("rules", help="list every rule")
    verbs.add_parser("version", help="print the version")
    return parser


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    """`racelint PATHS` and `racelint --fix PATHS` mean `racelint check ...`."""
    argv = list(argv)
    if not argv or (argv[0] not in VERBS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "check")
    return argv


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = _normalise_argv(sys.argv[1:] if argv is None else argv)
    if argv[0] == "scaffold":
        from .scaffold import main as scaffold_main

        return scaffold_main(argv[1:])
    if argv[0] == "confirm":
        from .confirm.cli import main as confirm_main

        return confirm_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.verb == "rule":
            return _show_rule(args.code)
        if args.verb == "rules":
            print(render_catalog())
            return 0
        if args.verb == "version":
            print(f"racelint {__version__}")
            return 0
        return _check(args)
    except ConfigError as error:
        print(f"racelint: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("racelint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


def _show_rule(code: str) -> int:
    text = render_rule(code)
    if text is None:
        print(f"racelint: error: unknown rule code {code!r} (see `racelint rules`)", file=sys.stderr)
        return 2
    print(text)
    return 0


def _config_for(args: argparse.Namespace) -> Config:
    first = Path(args.paths[0]) if args.paths and args.paths[0] != "-" else Path.cwd()
    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"{args.config}: no such configuration file")
    config = load_config(first if first.exists() else Path.cwd(), args.config)
    return with_overrides(
        config,
        select=args.select,
        ignore=args.ignore,
        extend_select=args.extend_select,
        unsafe_fixes=args.unsafe_fixes,
        exclude=args.exclude,
        extend_exclude=(config.extend_exclude + args.extend_exclude) if args.extend_exclude else None,
    )


def _check(args: argparse.Namespace) -> int:
    config = _config_for(args)
    fixing = args.fix or args.diff
    if args.paths == ["-"]:
        return _check_stdin(args, config, fixing)
    missing = [p for p in args.paths if not os.path.exists(p)]
    files = list(discover(args.paths, config.exclude + config.extend_exclude, config.root, args.force_exclude))
    cache = None if args.no_cache else ResultCache(Path(config.root or Path.cwd()))
    results = run_files(files, config, fixing, args.jobs, cache)
    written: list[str] = []
    write_errors: list[ParseError] = []
    if args.certify and fixing:
        from .confirm.certify import certify_results, missing_frontrun

        why = missing_frontrun()
        if why:  # never a fix written on a certificate that could not be computed
            print(f"racelint: error: --certify needs frontrun: {why}", file=sys.stderr)
            return 2
        certify_results(results, config, args.certify_runs)
    if args.fix and not args.diff:
        written, write_errors = write_fixes(results)
    if fixing:  # a fix asked for but withheld (its helper module is missing) fails the run
        write_errors += unwritable_fixes(results, config)
    return _report(args, config, results, written, write_errors, missing)


def _check_stdin(args: argparse.Namespace, config: Config, fixing: bool) -> int:
    path = args.stdin_filename or "-"
    raw = sys.stdin.buffer.read()
    relative = relative_path(path, config) if path != "-" else ""
    if fixing:
        from .engine.fixer import fix_source  # imported on use: `check` never loads libcst.codemod

        result = fix_source(raw, path, config, relative)
    else:
        result = lint_source(raw, path, config, relative)
    unwritable = unwritable_fixes([result], config) if fixing else []
    if args.fix and not args.diff:
        sys.stdout.buffer.write(result.new_source if result.new_source is not None else raw)
        sys.stdout.flush()
        for line in RENDERERS["concise"](result.findings, unwritable).splitlines():
            print(line, file=sys.stderr)
        return _exit_code(args, [result], unwritable)
    return _report(args, config, [result], [], unwritable, [])


def _exit_code(args: argparse.Namespace, results: Sequence[FileResult], extra_errors: Sequence[ParseError]) -> int:
    if any(r.error or r.fix_error for r in results) or extra_errors:
        return 2
    if args.exit_zero:
        return 0
    if any(r.findings for r in results):
        return 1
    if args.diff and any(r.new_source is not None for r in results):
        return 1  # as Ruff: a non-empty diff means the check did not pass
    return 0


def _report(
    args: argparse.Namespace,
    config: Config,
    results: list[FileResult],
    written: list[str],
    write_errors: list[ParseError],
    missing: list[str],
) -> int:
    findings = sorted((f for r in results for f in r.findings), key=Finding.sort_key)
    errors = [r.error for r in results if r.error] + write_errors
    errors += [ParseError(r.path, r.fix_error) for r in results if r.fix_error]
    errors += [ParseError(p, "no such file or directory") for p in missing if p not in {r.path for r in results}]
    errors = [e for e in errors if e is not None]
    out_lines: list[str] = []
    if args.diff:
        for result in results:
            diff = unified_diff(result)
            if diff:
                out_lines.append(diff.rstrip("\n"))
    if args.statistics:
        out_lines.append(statistics(findings))
    else:
        sources = _sources(findings) if args.format == "full" else {}
        rendered = RENDERERS[args.format](findings, errors, sources=sources, results=results)
        if rendered and not (args.diff and args.format in ("concise", "full")):
            out_lines.append(rendered)
        elif args.diff and errors:
            out_lines.append(RENDERERS["concise"]([], errors))
    text = "\n".join(line for line in out_lines if line)
    if args.output_file:
        Path(args.output_file).write_text(text + "\n" if text else "", encoding="utf-8")
    elif text:
        print(text)
    _summary(args, config, results, findings, written)
    return _exit_code(args, results, write_errors + [e for e in errors if e.message == "no such file or directory"])


def _sources(findings: Sequence[Finding]) -> dict[str, list[str]]:
    sources: dict[str, list[str]] = {}
    for path in {f.path for f in findings}:
        try:
            sources[path] = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            pass
    return sources


def _summary(
    args: argparse.Namespace, config: Config, results: list[FileResult], findings: list[Finding], written: list[str]
) -> None:
    machine = args.format in ("json", "sarif", "junit", "github") or args.statistics
    stream = sys.stderr if machine or args.diff else sys.stdout
    for result in results:
        for first, last in result.skipped:
            print(
                f"warning: {result.path}:{first}: lines {first}-{last} not analysed (nested too deeply for the parser); "
                "the rest of the file was, and no fix is written for it",
                file=sys.stderr,
            )
    fixed = sum(r.fixed_count for r in results)
    if args.show_fixes and fixed:
        print(f"Fixed {fixed} finding{'s' if fixed != 1 else ''}:", file=stream)
        for result in results:
            if result.fixed_count:
                print(f"- {result.path}: {result.fixed_count} fixed", file=stream)
    if args.diff:
        would = sum(1 for r in results if r.new_source is not None)
        print(f"Would fix {fixed} finding{'s' if fixed != 1 else ''} in {would} file{'s' if would != 1 else ''}.", file=stream)
        return
    if not findings and not fixed:
        failed = any(r.error or r.fix_error for r in results)
        if not machine and not failed:
            print("All checks passed!", file=stream)
        return
    if fixed:
        total = len(findings) + fixed
        print(f"Found {total} finding{'s' if total != 1 else ''} ({fixed} fixed, {len(findings)} remaining).", file=stream)
    else:
        print(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''}.", file=stream)
    safe = sum(1 for f in findings if f.fix_applicability is FixApplicability.SAFE)
    unsafe = sum(1 for f in findings if f.fix_applicability is FixApplicability.UNSAFE)
    if safe and not args.fix:
        print(f"[*] {safe} fixable with the `--fix` option.", file=stream)
    if unsafe and not config.unsafe_fixes:
        print(f"({unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option.)", file=stream)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
