"""Precision of racelint on real, thread-heavy packages (issue 15).

    python benchmarks/precision.py fetch WORKDIR
    python benchmarks/precision.py run WORKDIR [--labels FILE] [--check]
    python benchmarks/precision.py sample WORKDIR [--labels FILE] [--size N]

`fetch` downloads the pinned sdists of `benchmarks/precision/packages.json` (a wheel when
there is no sdist: a pure-Python wheel is a zip of the sources) and unpacks them under
WORKDIR/src/. `run` lints each package's source folder with this repository's racelint
(the default rule set, then the opt-in CRL107 alone), matches the findings to the labels in
`benchmarks/precision/labels.jsonl` and prints per rule: findings, labelled true / harmless /
false, precision, false rate, labelled true races lost and new unlabelled findings, then the
issue-15 targets and whether each holds. `sample` prints the seeded, stratified sample of
unlabelled findings to label (JSON lines, label and reason empty).

A finding is matched to a label by a fingerprint that survives line shifts: package, file
relative to the linted folder, code, the stripped text of the flagged line, and the
occurrence index of that text among the file's lines (how many earlier lines of the file
read the same): an equal line elsewhere that stops (or starts) being reported does not
shift it. Findings built without their file's text fall back to counting among findings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "precision"
PACKAGES = DATA / "packages.json"
LABELS = DATA / "labels.jsonl"
SEED = 15
LABEL_VALUES = ("true", "harmless", "false")
OPT_IN = ("CRL107", "CRL403")
MAX_FALSE_RATE = 0.10
Fingerprint = tuple[str, str, str, str, int]


@dataclass(frozen=True)
class Finding:
    """One racelint finding, located relative to its package's linted folder."""

    package: str
    file: str
    code: str
    line: int
    text: str
    message: str
    consequence: str
    ruleset: str  # "default" or "opt-in"
    #: the other sites of the same race (`related` in racelint's JSON): (line, stripped text)
    sites: tuple[tuple[int, str], ...] = ()
    #: per line (the finding's, then each site's): earlier lines of the file with the same text
    occurrences: tuple[int, ...] = ()


def fingerprints(findings: Iterable[Finding]) -> dict[Fingerprint, Finding]:
    """Key each finding by (package, file, code, stripped line text, occurrence index).

    The occurrence index counts findings with the same first four values in line order, so
    two identical lines in one file stay distinct and an edit elsewhere does not move them.
    """
    seen: Counter[tuple[str, str, str, str]] = Counter()
    out: dict[Fingerprint, Finding] = {}
    # every site of a race gets a key (labels name sites); all of a race's keys map to its finding
    sites = [
        (f, line, text, f.occurrences[index] if len(f.occurrences) > index else None)
        for f in findings
        for index, (line, text) in enumerate(((f.line, f.text), *f.sites))
    ]
    for f, _, text, occurrence in sorted(sites, key=lambda s: (s[0].package, s[0].file, s[0].code, s[1])):
        base = (f.package, f.file, f.code, text)
        out[(*base, seen[base] if occurrence is None else occurrence)] = f
        seen[base] += 1
    return out


def source_occurrence(lines: list[str], row: int) -> int:
    """How many lines before `row` (1-based) read the same, stripped."""
    if not 0 < row <= len(lines):
        return 0
    text = lines[row - 1].strip()
    return sum(1 for line in lines[: row - 1] if line.strip() == text)


def label_key(label: dict) -> Fingerprint:
    """The fingerprint a label row refers to."""
    return (label["package"], label["file"], label["code"], label["text"], int(label.get("occurrence", 0)))


@dataclass
class RuleStats:
    """Per-rule counts and the derived precision numbers."""

    findings: int = 0
    true: int = 0
    harmless: int = 0
    false: int = 0
    lost_true: int = 0
    unlabelled: int = 0

    @property
    def labelled(self) -> int:
        return self.true + self.harmless + self.false

    @property
    def precision(self) -> float | None:
        """True races among labelled findings (None when nothing is labelled)."""
        return self.true / self.labelled if self.labelled else None

    @property
    def false_rate(self) -> float | None:
        """False findings among labelled findings: the sample's estimate for the rule."""
        return self.false / self.labelled if self.labelled else None


def score(findings: dict[Fingerprint, Finding], labels: list[dict]) -> tuple[dict[str, RuleStats], list[dict], list[Finding]]:
    """Match labels to findings: per-rule stats, labelled true races lost, new unlabelled findings."""
    stats: dict[str, RuleStats] = defaultdict(RuleStats)
    by_key = {label_key(row): row for row in labels}
    races: dict[int, tuple[Finding, list[str]]] = {}  # one entry per finding, with its sites' labels
    for key, f in findings.items():
        entry = races.setdefault(id(f), (f, []))
        if key in by_key:
            entry[1].append(by_key[key]["label"])
    unlabelled = []
    for f, site_labels in races.values():
        stats[f.code].findings += 1
        if not site_labels:
            stats[f.code].unlabelled += 1
            unlabelled.append(f)
            continue
        # a race is as real as its most real site: true if any site is, else harmless, else false
        label = next(value for value in LABEL_VALUES if value in site_labels)
        setattr(stats[f.code], label, getattr(stats[f.code], label) + 1)
    lost = [row for key, row in by_key.items() if key not in findings and row["label"] == "true"]
    for row in lost:
        stats[row["code"]].lost_true += 1
    return dict(stats), lost, unlabelled


def stratified_sample(findings: list[Finding], size: int, seed: int = SEED, small: int = 8) -> list[Finding]:
    """A seeded sample of about `size` findings: all of each rule with at most `small`
    findings, the rest spread over the larger rules in proportion to their counts."""
    rng = random.Random(seed)
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(findings, key=lambda f: (f.code, f.package, f.file, f.line)):
        by_rule[f.code].append(f)
    picked: list[Finding] = []
    big = {code: fs for code, fs in by_rule.items() if len(fs) > small}
    for code, fs in by_rule.items():
        if code not in big:
            picked.extend(fs)
    left = max(size - len(picked), 0)
    total_big = sum(len(fs) for fs in big.values()) or 1
    for code, fs in sorted(big.items()):
        n = min(len(fs), max(small, round(left * len(fs) / total_big)))
        picked.extend(rng.sample(fs, n))
    return picked


# ---------------------------------------------------------------- fetch / lint


def load_packages() -> list[dict]:
    return json.loads(PACKAGES.read_text())["packages"]


def fetch(workdir: Path) -> None:
    """Download each pinned sdist (or wheel) and unpack it under WORKDIR/src/NAME-VERSION/."""
    dl, src = workdir / "dl", workdir / "src"
    dl.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dl)]
    for pkg in load_packages():
        dest = src / f"{pkg['name']}-{pkg['version']}"
        if (dest / pkg["source"]).is_dir():
            continue
        spec = f"{pkg['name']}=={pkg['version']}"
        before = set(dl.iterdir())
        if subprocess.run([*pip, "--no-binary", ":all:", spec], capture_output=True).returncode != 0:
            print(f"{spec}: no usable sdist here, taking the wheel", file=sys.stderr)
            subprocess.run([*pip, "--only-binary", ":all:", spec], check=True)
        new = sorted(set(dl.iterdir()) - before) or _already_downloaded(dl, pkg)
        dest.mkdir(parents=True, exist_ok=True)
        for archive in new:
            if archive.name.endswith((".tar.gz", ".tgz")):
                with tarfile.open(archive) as tar:
                    tar.extractall(dest, filter="data")
            else:
                with zipfile.ZipFile(archive) as zf:
                    zf.extractall(dest)
        if not (dest / pkg["source"]).is_dir():
            raise SystemExit(f"{spec}: unpacked {[a.name for a in new]} but {dest / pkg['source']} is missing")
        print(f"{spec}: {dest / pkg['source']}", file=sys.stderr)


def _already_downloaded(dl: Path, pkg: dict) -> list[Path]:
    stem = pkg["name"].replace("-", "_").lower()
    return [p for p in dl.iterdir() if p.name.lower().replace("-", "_").startswith(f"{stem}_{pkg['version']}")]


def lint(workdir: Path, pkg: dict, select: str | None) -> list[Finding]:
    """Run this repository's racelint on one package's source folder."""
    root = workdir / "src" / f"{pkg['name']}-{pkg['version']}" / pkg["source"]
    if not root.is_dir():
        raise SystemExit(f"{root} is missing: run `precision.py fetch {workdir}` first")
    cmd = [sys.executable, "-m", "cortex_racelint", "check", "--format", "json", "--exit-zero", "--no-cache"]
    if select:
        cmd += ["--select", select]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([*cmd, str(root)], capture_output=True, text=True, env=env, cwd=workdir)
    if out.returncode != 0:
        raise SystemExit(f"racelint failed on {pkg['name']}:\n{out.stderr}")
    findings = []
    lines: dict[Path, list[str]] = {}
    for item in json.loads(out.stdout or "[]"):
        path = Path(item["filename"])
        text = lines.setdefault(path, path.read_text(encoding="utf-8", errors="replace").splitlines())
        row = item["location"]["row"]
        findings.append(Finding(
            package=pkg["name"], file=path.relative_to(root).as_posix(), code=item["code"], line=row,
            text=text[row - 1].strip() if 0 < row <= len(text) else "", message=item["message"],
            consequence=(item.get("consequence") or {}).get("kind", ""),
            ruleset="opt-in" if select else "default",
            sites=tuple((r["row"], text[r["row"] - 1].strip() if 0 < r["row"] <= len(text) else "")
                        for r in item.get("related", [])),
            occurrences=tuple(source_occurrence(text, r) for r in (row, *(r["row"] for r in item.get("related", []))))))
    return findings


def lint_all(workdir: Path) -> list[Finding]:
    findings: list[Finding] = []
    for pkg in load_packages():
        findings += lint(workdir, pkg, None)
        findings += [f for f in lint(workdir, pkg, ",".join(OPT_IN)) if f.code in OPT_IN]
    return findings


# ---------------------------------------------------------------- report


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def report(findings: list[Finding], labels: list[dict]) -> tuple[str, bool]:
    """The Markdown tables and whether every issue-15 target holds."""
    keyed = fingerprints(findings)
    stats, lost, unlabelled = score(keyed, labels)
    out = ["| rule | set | findings | labelled | true | harmless | false | precision | false rate | true lost | unlabelled |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ruleset = {r["code"]: ("opt-in" if r["code"] in OPT_IN else "default") for r in labels}
    ruleset |= {f.code: f.ruleset for f in findings}
    for code in sorted(stats):
        s = stats[code]
        out.append(f"| {code} | {ruleset.get(code, 'default')} | {s.findings} | {s.labelled} | {s.true} | {s.harmless} | "
                   f"{s.false} | {_pct(s.precision)} | {_pct(s.false_rate)} | {s.lost_true} | {s.unlabelled} |")
    default = {c: s for c, s in stats.items() if ruleset.get(c, "default") == "default"}
    fields = ("findings", "true", "harmless", "false", "lost_true", "unlabelled")
    tot = RuleStats(*(sum(getattr(s, k) for s in default.values()) for k in fields))
    out.append(f"| **default set** | | {tot.findings} | {tot.labelled} | {tot.true} | {tot.harmless} | {tot.false} | "
               f"{_pct(tot.precision)} | {_pct(tot.false_rate)} | {tot.lost_true} | {tot.unlabelled} |")
    packages = sorted({r["package"] for r in labels})
    out.append(f"\n{len(findings)} findings in {len({f.package for f in findings})} packages; "
               f"{len(labels)} labels over {len(packages)} packages.")
    bad_rate = [c for c, s in default.items() if s.false_rate is not None and s.false_rate > MAX_FALSE_RATE]
    silent = [f for f in findings if f.ruleset == "default" and not names_consequence(f)]
    targets = [
        (f"false <= {MAX_FALSE_RATE:.0%} of labelled findings for every default rule", not bad_rate,
         ", ".join(f"{c} {_pct(default[c].false_rate)}" for c in sorted(bad_rate))),
        ("no labelled true race lost", not lost, ", ".join(f"{r['package']}:{r['file']} {r['code']}" for r in lost)),
        ("every finding has a consequence (JSON `consequence.kind`)", not silent,
         f"{len(silent)} without" if silent else ""),
    ]
    out += ["\n| target | holds | misses |", "|---|---|---|"]
    out += [f"| {name} | {'yes' if ok else 'NO'} | {miss} |" for name, ok, miss in targets]
    quiet = Counter(f.code for f in findings if f.consequence and not message_says_consequence(f))
    if quiet:
        out.append("\nInfo: findings whose message text does not use a word of its consequence kind "
                   "(the kind is only in JSON/SARIF): " + ", ".join(f"{c} {n}" for c, n in sorted(quiet.items())))
    if lost:
        out.append("\nLabelled true races lost:")
        out += [f"- {r['package']}:{r['file']} {r['code']} `{r['text']}`" for r in lost]
    if unlabelled:
        out.append(f"\nNew unlabelled findings: {len(unlabelled)} (by rule: "
                   + ", ".join(f"{c} {n}" for c, n in sorted(Counter(f.code for f in unlabelled).items())) + ")")
    return "\n".join(out), all(ok for _, ok, _ in targets)


def names_consequence(f: Finding) -> bool:
    """A finding names its consequence when the JSON carries a consequence kind."""
    return bool(f.consequence)


def message_says_consequence(f: Finding) -> bool:
    """Whether the message text itself uses a word of its consequence kind (`lost` also
    matches `lose`): a rough check that a reader of the one-line message learns the effect."""
    generic = {"read", "file", "value", "object", "write"}
    words = {w for w in f.consequence.lower().split() if len(w) >= 4 and w not in generic}
    words |= {"lose" for w in words if w == "lost"}
    text = f.message.lower()
    return any(w in text for w in words)


def read_labels(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if row.get("label") not in LABEL_VALUES:
                raise SystemExit(f"{path}:{n}: label must be one of {LABEL_VALUES}")
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=("fetch", "run", "sample"))
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--size", type=int, default=160, help="sample: about how many default-set findings")
    ap.add_argument("--opt-in-size", type=int, default=20, help="sample: about how many opt-in (CRL107) findings")
    args = ap.parse_args(argv)
    if args.command == "fetch":
        fetch(args.workdir)
        return 0
    findings = lint_all(args.workdir)
    labels = read_labels(args.labels) if args.labels.exists() else []
    if args.command == "sample":
        labelled = {label_key(r) for r in labels}
        keyed = fingerprints(findings)
        todo = {k: f for k, f in keyed.items() if k not in labelled}
        rev = {id(f): k for k, f in todo.items()}
        for part, size in (("default", args.size), ("opt-in", args.opt_in_size)):
            pool = [f for f in todo.values() if f.ruleset == part]
            for f in stratified_sample(pool, size):
                k = rev[id(f)]
                print(json.dumps({"package": k[0], "file": k[1], "code": k[2], "text": k[3], "occurrence": k[4],
                                  "line": f.line, "label": "", "reason": ""}))
        return 0
    text, ok = report(findings, labels)
    print(text)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
