"""`racelint`: a thin command-line adapter over the library (Ruff's surface and exit codes).

Exit codes: 0 clean (or everything fixed), 1 findings remain, 2 usage or configuration
error, a missing path, an unreadable or unparsable file, or a fix that had to be reverted or
not written. The verbs are listed in `verbs.py`; colour and the progress line in `terminal.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from . import __version__
from .api import relative_path, run_files, unified_diff, unwritable_fixes, write_fixes
from .engine.cache import CACHE_DIR, ResultCache, remove_cache
from .config import ConfigError, load_config, with_overrides
from .config_resolve import ConfigResolver, group_by_config
from .engine.discovery import discover
from .docs import render_catalog, render_rule
from .engine.lint import lint_source
from .ftypes import Config, FileResult, Finding, FixApplicability, ParseError
from .output import FORMATS, RENDERERS, statistics
from .prose import first_sentence
from .registry import META_CODES, all_rules
from .terminal import Progress, colour_enabled, colourise, warning
from .verbs import GLOBAL_FLAGS, VERBS, UnknownVerb, normalise

#: formats a program reads: never coloured, no human summary on stdout
MACHINE_FORMATS = ("json", "sarif", "junit", "github")


def _codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1 (`--jobs 0` is a usage error, not a traceback)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small: at least 1")
    return number


def _quietness(parser: argparse.ArgumentParser) -> None:
    """`-q` (only findings), `-qq`/`-s`/`--silent` (nothing), `-v` (what was run), as Ruff's global options."""
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print findings only (-qq: nothing)")
    parser.add_argument(
        "-s", "--silent", dest="quiet", action="store_const", const=2, help="print nothing; the exit code says it all"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="also say which configuration, how many files, how long")


def _cache_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir", type=Path, default=None,
        help=f"where the result cache lives (default: {CACHE_DIR} in the project root; env RACELINT_CACHE_DIR)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="racelint",
        description="Find and fix thread-safety races for free-threaded Python (3.13t/3.14t).",
    )
    parser.add_argument("--version", action="version", version=f"racelint {__version__}")
    verbs = parser.add_subparsers(dest="verb", title="commands", metavar="COMMAND")

    check = verbs.add_parser("check", help=VERBS["check"], description=VERBS["check"])
    check.add_argument("paths", nargs="*", help="files or directories (default: .); `-` reads stdin")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", default=None, help="also apply unsafe fixes")
    check.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_false", help="never apply unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print fixes as a unified diff; write nothing")
    check.add_argument("--show-fixes", action="store_true", help="list the fixes applied")
    check.add_argument("--select", type=_codes, help="codes or prefixes to enable (replaces config)")
    check.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    check.add_argument("--extend-select", type=_codes, help="codes or prefixes to enable in addition")
    check.add_argument("--format", "--output-format", dest="format", choices=FORMATS, default="concise", help="output format")
    check.add_argument("--output-file", help="write the report to this file instead of stdout")
    check.add_argument("--statistics", action="store_true", help="count findings per code")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    check.add_argument("--jobs", "-j", type=positive_int, default=None, help="worker processes (default: all cores)")
    check.add_argument("--config", type=Path, help="use this configuration file for every file (default: each file's nearest)")
    check.add_argument("--stdin-filename", help="the path to report for stdin input (reads stdin when no path is given)")
    check.add_argument("--exclude", type=lambda v: tuple(x for x in v.split(",") if x), help="glob patterns to skip (replaces config)")
    check.add_argument("--extend-exclude", type=lambda v: tuple(x for x in v.split(",") if x), help="more glob patterns to skip")
    check.add_argument("--force-exclude", action="store_true", help="apply excludes to explicitly named files")
    check.add_argument("--respect-gitignore", action="store_true", default=None, help="skip files .gitignore ignores (default)")
    check.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", help="lint them too")
    check.add_argument("--certify", action="store_true", help="with --fix: prove each fix with its race reproducer")
    check.add_argument("--certify-runs", type=positive_int, default=20, help="barrier reproducer runs per certificate (default 20; frontrun explores instead)")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    check.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in this baseline file")
    check.add_argument("--write-baseline", metavar="FILE", help="record every finding in this baseline file and exit 0")
    check.add_argument("--add-noqa", action="store_true", help="add `# noqa: CODE` to every line with a finding")
    _cache_dir_option(check)
    _quietness(check)

    rule = verbs.add_parser("rule", help=VERBS["rule"], description=VERBS["rule"])
    rule.add_argument("code", nargs="?", help="a rule code, e.g. CRL101")
    rule.add_argument("--all", action="store_true", help="every rule's documentation")
    rule.add_argument("--format", "--output-format", dest="format", choices=("text", "json"), default="text")
    rules = verbs.add_parser("rules", help=VERBS["rules"], description=VERBS["rules"])
    rules.add_argument("--format", "--output-format", dest="format", choices=("text", "json"), default="text")
    # confirm and scaffold parse their own arguments (`confirm/cli.py`, `scaffold.py`): listed here for --help
    verbs.add_parser("confirm", help=VERBS["confirm"], add_help=False)
    verbs.add_parser("scaffold", help=VERBS["scaffold"], add_help=False)
    verbs.add_parser("server", help=VERBS["server"], add_help=False)
    clean = verbs.add_parser("clean", help=VERBS["clean"], description=VERBS["clean"])
    clean.add_argument("path", nargs="?", default=".", help="a file or folder of the project (default: .)")
    _cache_dir_option(clean)
    _quietness(clean)
    version = verbs.add_parser("version", help=VERBS["version"])
    for sub in (rule, rules, version):
        _quietness(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        argv = normalise(sys.argv[1:] if argv is None else argv)
    except UnknownVerb as error:
        print(f"racelint: error: {error}", file=sys.stderr)
        return 2
    if argv[0] == "scaffold":
        from .scaffold import main as scaffold_main

        return scaffold_main([a for a in argv[1:] if a not in GLOBAL_FLAGS])
    if argv[0] == "confirm":
        from .confirm.cli import main as confirm_main

        return confirm_main(argv[1:])
    if argv[0] == "server":
        return _server(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.verb == "rule":
            return _show_rule(args)
        if args.verb == "rules":
            print(render_catalog() if args.format == "text" else json.dumps(_catalog_json(), indent=2))
            return 0
        if args.verb == "version":
            print(f"racelint {__version__}")
            return 0
        if args.verb == "clean":
            return _clean(args)
        return _check(args)
    except ConfigError as error:
        print(f"racelint: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("racelint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


def _server(argv: Sequence[str]) -> int:
    """`racelint server`: the language server on stdio (needs the `lsp` extra: pygls)."""
    parser = argparse.ArgumentParser(prog="racelint server", description="Run racelint's language server over stdio.")
    parser.parse_args(argv)
    try:
        from .server import serve
    except ImportError as error:
        print(f"racelint: error: the language server needs pygls ({error}); install cortex-racelint[lsp]", file=sys.stderr)
        return 2
    return serve()


def _show_rule(args: argparse.Namespace) -> int:
    if args.all == (args.code is not None):
        print("racelint: error: give a rule code (`racelint rule CRL101`) or `--all`", file=sys.stderr)
        return 2
    codes = [entry["code"] for entry in _catalog_json()] if args.all else [args.code]
    pages = []
    for code in codes:
        text = render_rule(code)
        if text is None:
            print(f"racelint: error: unknown rule code {code!r} (see `racelint rules`)", file=sys.stderr)
            return 2
        pages.append(text)
    if args.format == "json":
        by_code = {entry["code"]: entry for entry in _catalog_json()}
        documented = [{**by_code[code.upper()], "explanation": page} for code, page in zip(codes, pages)]
        print(json.dumps(documented if args.all else documented[0], indent=2))
    else:
        print("\n".join(pages) if args.all else pages[0])
    return 0


def _catalog_json() -> list[dict[str, object]]:
    """Every rule as Ruff's `rule --output-format json` lists it: code, name, summary, fix safety."""
    entries: list[dict[str, object]] = [
        {
            "code": rule.CODE,
            "name": rule.NAME,
            "summary": " ".join(rule.summary().split()),
            "fix": rule.FIX.value if rule.FIX is not None else "none",
            "opt_in": rule.OPT_IN,
        }
        for rule in all_rules()
    ]
    for code, name in META_CODES.items():
        summary = first_sentence((render_rule(code) or "").split("\n\n", 1)[-1])
        entries.append({"code": code, "name": name, "summary": summary, "fix": "none", "opt_in": True})
    return entries


def _cache_folder(args: argparse.Namespace, root: Optional[Path]) -> Path:
    """`--cache-dir`, else `RACELINT_CACHE_DIR`, else `.racelint_cache` in the project root."""
    if args.cache_dir is not None:
        return args.cache_dir
    if os.environ.get("RACELINT_CACHE_DIR"):
        return Path(os.environ["RACELINT_CACHE_DIR"])
    return Path(root or Path.cwd()) / CACHE_DIR


def _clean(args: argparse.Namespace) -> int:
    """Remove the result cache of the project `path` belongs to (only the cache's own files)."""
    start = Path(args.path)
    if not start.exists():
        print(f"racelint: error: {args.path}: no such file or directory", file=sys.stderr)
        return 2
    folder = _cache_folder(args, load_config(start).root)
    removed, leftover = remove_cache(folder)
    if leftover:
        message = f"{folder} holds files the cache did not write ({', '.join(leftover[:5])}): the folder is kept"
        print(warning(message, sys.stderr), file=sys.stderr)
    if args.quiet == 0:
        print(f"Removed {folder}" if removed else f"No cache at {folder}")
    return 0


def _resolver(args: argparse.Namespace) -> ConfigResolver:
    """Each file's configuration (`config_resolve`), with the command line's values on top."""

    def overrides(config: Config) -> Config:
        return with_overrides(
            config,
            select=args.select,
            ignore=args.ignore,
            extend_select=args.extend_select,
            unsafe_fixes=args.unsafe_fixes,
            exclude=args.exclude,
            extend_exclude=(config.extend_exclude + args.extend_exclude) if args.extend_exclude else None,
            respect_gitignore=args.respect_gitignore,
        )

    return ConfigResolver(args.config, overrides, args.paths)


def _check(args: argparse.Namespace) -> int:
    if not args.paths:  # as Ruff: `--stdin-filename` with no path reads stdin
        args.paths = ["-"] if args.stdin_filename else ["."]
    problem = _output_file_problem(args.output_file)
    if problem:
        print(f"racelint: error: --output-file {args.output_file}: {problem}", file=sys.stderr)
        return 2
    resolver = _resolver(args)
    config = resolver.for_run()  # run-wide settings: the cache folder, respect-gitignore
    fixing = args.fix or args.diff
    if args.diff and args.format in MACHINE_FORMATS:  # stdout would mix a diff and a document: neither parses
        print(f"racelint: error: --diff prints a unified diff and cannot be combined with --format {args.format}", file=sys.stderr)
        return 2
    clash = _adoption_clash(args, fixing)
    if clash:
        print(f"racelint: error: {clash}", file=sys.stderr)
        return 2
    if args.paths == ["-"]:
        return _check_stdin(args, resolver.for_path(args.stdin_filename) if args.stdin_filename else config, fixing)
    started = time.monotonic()
    missing = [p for p in args.paths if not os.path.exists(p)]
    files = [
        f
        for f in discover(
            args.paths,
            force_exclude=args.force_exclude,
            excludes_for=resolver.excludes,
            respect_gitignore=config.respect_gitignore,
        )
        if f not in missing
    ]
    if args.verbose:
        where = config.root if config.root is not None else "no configuration found: defaults"
        print(f"racelint: run-wide configuration from {where}; {_plural(len(files), 'file')} to check", file=sys.stderr)
    if not files and not missing and args.quiet == 0:
        # as Ruff: a warning, exit 0 (nothing was found wrong); the run still writes its (empty) report
        print(warning("no Python files found under " + ", ".join(args.paths), sys.stderr), file=sys.stderr)
    cache = None if args.no_cache else ResultCache(Path(config.root or Path.cwd()), _cache_folder(args, config.root))
    progress = Progress(len(files), "checked", sys.stderr, enabled=args.quiet == 0)
    results: list[FileResult] = [FileResult(path) for path in files]
    groups: list[tuple[Config, list[int]]] = []
    try:
        for file_config, indices in group_by_config(files, resolver):
            groups.append((file_config, list(indices)))
            batch = run_files([files[i] for i in indices], file_config, fixing, args.jobs, cache, progress.advance)
            for index, result in zip(indices, batch):
                results[index] = result
    finally:
        progress.close()
    own_config = {files[i]: file_config for file_config, indices in groups for i in indices}
    args.config_for = lambda path: own_config.get(path, config)  # each file's own configuration, for the report
    args.result_cache = None if fixing else cache  # the JSON/SARIF edits' fix run reads and stores it (`--no-cache`: None)
    adopted = _adoption_steps(args, results)
    if adopted is not None:
        return adopted
    written: list[str] = []
    write_errors: list[ParseError] = []
    if args.certify and fixing:
        from .confirm.certify import certify_results, missing_frontrun

        why = missing_frontrun()
        if why:  # never a fix written on a certificate that could not be computed
            print(f"racelint: error: --certify needs frontrun: {why}", file=sys.stderr)
            return 2
        for file_config, indices in groups:
            certify_results([results[i] for i in indices], file_config, args.certify_runs)
    if args.fix and not args.diff:
        written, write_errors = write_fixes(results)
    if fixing:  # a fix asked for but withheld (its helper module is missing) fails the run
        for file_config, indices in groups:
            write_errors += unwritable_fixes([results[i] for i in indices], file_config)
    code = _report(args, config, results, written, write_errors, missing)
    if args.verbose:
        print(f"racelint: {_plural(len(files), 'file')} in {time.monotonic() - started:.2f} s", file=sys.stderr)
    return code


def _adoption_clash(args: argparse.Namespace, fixing: bool) -> Optional[str]:
    chosen = [name for name, on in (("--baseline", args.baseline), ("--write-baseline", args.write_baseline), ("--add-noqa", args.add_noqa)) if on]
    if len(chosen) > 1:
        return f"{' and '.join(chosen)} cannot be combined"
    if chosen and chosen[0] != "--baseline" and fixing:
        return f"{chosen[0]} cannot be combined with --fix or --diff"
    if chosen and args.paths == ["-"]:
        return f"{chosen[0]} needs files, not stdin"
    return None


def _adoption_steps(args: argparse.Namespace, results: list[FileResult]) -> Optional[int]:
    """`--write-baseline` and `--add-noqa` end the run (exit 0 unless something failed);
    `--baseline` drops the findings it records and the run goes on. None: go on."""
    from .adoption import steps
    from .adoption.baseline import BaselineError

    failed = any(r.error for r in results)
    if args.write_baseline:
        steps.write_baseline(args.write_baseline, results)
        return 2 if failed else 0
    if args.add_noqa:
        _, problems = steps.add_noqa(results)
        return 2 if failed or problems else 0
    if args.baseline:
        try:
            comparison = steps.apply_baseline(args.baseline, results)
        except BaselineError as error:
            print(f"racelint: error: {error}", file=sys.stderr)
            return 2
        if args.quiet == 0:
            steps.describe_baseline(args.baseline, comparison)
    return None


def _output_file_problem(output_file: Optional[str]) -> Optional[str]:
    """Why the report could not be written there, found before the run rather than after it."""
    if not output_file:
        return None
    target = Path(output_file)
    if target.is_dir():
        return "is a folder"
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        return f"folder {folder} does not exist"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return "not writable"
    return None


def _check_stdin(args: argparse.Namespace, config: Config, fixing: bool) -> int:
    path = args.stdin_filename or "-"
    raw = sys.stdin.buffer.read()
    relative = relative_path(path, config) if path != "-" else ""
    if fixing:
        from .engine.fixer import fix_source  # imported on use: `check` never loads libcst.codemod

        result = fix_source(raw, path, config, relative)
    else:
        result = lint_source(raw, path, config, relative)
        result.old_source = raw  # what was linted: the JSON and SARIF fix edits are made from it, not from the disk
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
    errors = [e for e in errors if e is not None]
    silent = args.quiet >= 2
    for path in missing:  # a path, not a place in a file: no `0:0`
        if not silent:
            print(f"racelint: error: {path}: no such file or directory", file=sys.stderr)
    out_lines: list[str] = []
    if args.diff:
        for result in results:
            diff = unified_diff(result)
            if diff:
                out_lines.append(diff.rstrip("\n"))
    if args.statistics:
        out_lines.append(statistics(findings, config, args.format))
    else:
        sources = _sources(findings) if args.format == "full" else {}
        rendered = RENDERERS[args.format](
            findings, errors, sources=sources, results=results, config=config, config_for=getattr(args, "config_for", None),
            cache=getattr(args, "result_cache", None),
        )
        if rendered and not (args.diff and args.format in ("concise", "full")):
            out_lines.append(rendered)
        elif args.diff and errors:
            out_lines.append(RENDERERS["concise"]([], errors))
    text = "\n".join(line for line in out_lines if line)
    if args.output_file:
        Path(args.output_file).write_text(text + "\n" if text else "", encoding="utf-8")
    elif text and not silent:
        human = args.format in ("concise", "full") and not args.statistics
        print(colourise(text) if human and colour_enabled(sys.stdout) else text)
    if not silent:
        _summary(args, config, results, findings, written, missing)
    exit_errors = write_errors + [ParseError(p, "no such file or directory") for p in missing]
    return _exit_code(args, results, exit_errors)


def _sources(findings: Sequence[Finding]) -> dict[str, list[str]]:
    sources: dict[str, list[str]] = {}
    for path in {f.path for f in findings}:
        try:
            sources[path] = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            pass
    return sources


def _plural(count: int, noun: str, plural: str = "") -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _summary(
    args: argparse.Namespace,
    config: Config,
    results: list[FileResult],
    findings: list[Finding],
    written: list[str],
    missing: Sequence[str] = (),
) -> None:
    """The human lines after the findings (stderr for machine formats and diffs); `-q` keeps only warnings."""
    machine = args.format in MACHINE_FORMATS or args.statistics
    stream = sys.stderr if machine or args.diff else sys.stdout
    for result in results:
        for first, last in result.skipped:
            print(
                f"warning: {result.path}:{first}: lines {first}-{last} not analysed (nested too deeply for the parser); "
                "the rest of the file was, and no fix is written for it",
                file=sys.stderr,
            )
    if args.quiet:
        return
    fixed = sum(r.fixed_count for r in results)
    if args.show_fixes and fixed:
        print(f"Fixed {_plural(fixed, 'finding')}:", file=stream)
        for result in results:
            if result.fixed_count:
                print(f"- {result.path}: {result.fixed_count} fixed", file=stream)
    if args.diff:
        would = sum(1 for r in results if r.new_source is not None)
        print(f"Would fix {_plural(fixed, 'finding')} in {_plural(would, 'file')}.", file=stream)
        return
    if not findings and not fixed:
        failed = any(r.error or r.fix_error for r in results) or bool(missing)
        if not machine and not failed:
            print("All checks passed!", file=stream)
        return
    if fixed:
        total = len(findings) + fixed
        print(f"Found {_plural(total, 'finding')} ({fixed} fixed, {len(findings)} remaining).", file=stream)
    else:
        print(f"Found {_plural(len(findings), 'finding')}.", file=stream)
    config_for = getattr(args, "config_for", None) or (lambda path: config)
    safe = sum(1 for f in findings if f.fix_applicability is FixApplicability.SAFE)
    # as Ruff: with `--unsafe-fixes` (or `unsafe-fixes = true`, in the file's own configuration)
    # an unsafe fix is one `--fix` applies; otherwise it is hidden
    unsafe_on = sum(1 for f in findings if f.fix_applicability is FixApplicability.UNSAFE and config_for(f.path).unsafe_fixes)
    unsafe = sum(1 for f in findings if f.fix_applicability is FixApplicability.UNSAFE) - unsafe_on
    fixable = safe + unsafe_on
    if fixable and not args.fix:
        print(f"[*] {fixable} fixable with the `--fix` option.", file=stream)
    if unsafe:
        print(f"({_plural(unsafe, 'hidden fix', 'hidden fixes')} can be enabled with the `--unsafe-fixes` option.)", file=stream)
    if findings and not machine:
        # named once here, not on every line; no code in it, so the line never counts as a finding
        print("Run `racelint rule <code>` for what a rule means, why it races and what its fix does.", file=stream)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
