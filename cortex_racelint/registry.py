"""Find the rule classes and decide which are enabled for a file.

Rules are discovered by importing every module under `cortex_racelint.rules` (family packages
included), so adding a rule means adding a module there and nothing else.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from .ftypes import Config
from .rule import Rule

#: Engine-level checks that are not visitor rules (documented like rules).
META_CODES = {"CRL001": "unused-suppression"}


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    from . import rules as rules_package

    for info in pkgutil.walk_packages(rules_package.__path__, f"{rules_package.__name__}."):
        importlib.import_module(info.name)
    found: dict[str, type[Rule]] = {}
    stack = list(Rule.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.CODE:
            if cls.CODE in found and found[cls.CODE] is not cls:
                raise RuntimeError(f"two rules claim {cls.CODE}: {found[cls.CODE].__name__}, {cls.__name__}")
            found[cls.CODE] = cls
    return tuple(found[code] for code in sorted(found))


def rule_by_code(code: str) -> type[Rule] | None:
    for rule in all_rules():
        if rule.CODE == code.upper():
            return rule
    return None


def known_codes() -> list[str]:
    return sorted([rule.CODE for rule in all_rules()] + list(META_CODES))


def is_valid_selector(selector: str) -> bool:
    """A selector is `ALL` or a prefix of at least one known code."""
    selector = selector.strip().upper()
    return selector == "ALL" or any(code.startswith(selector) for code in known_codes())


def opt_in_codes() -> frozenset[str]:
    """Rules a prefix or `ALL` does not enable: only their full code in `select` does (`Rule.OPT_IN`)."""
    return frozenset(rule.CODE for rule in all_rules() if rule.OPT_IN)


def _matches(code: str, selectors: Iterable[str], exact: bool = False) -> int:
    """Length of the longest selector matching `code` (0 if none); longer wins.

    `exact`: only the full code matches (how an opt-in rule is selected)."""
    best = 0
    for selector in selectors:
        selector = selector.upper()
        if exact:
            if selector == code:
                best = max(best, len(selector) + 1)
        elif selector == "ALL":
            best = max(best, 1)
        elif code.startswith(selector):
            best = max(best, len(selector) + 1)
    return best


def is_enabled(code: str, config: Config, relative_path: str = "") -> bool:
    exact = code in opt_in_codes()
    selected = max(_matches(code, config.select, exact), _matches(code, config.extend_select, exact))
    ignored = _matches(code, config.ignore)
    for pattern, codes in config.per_file_ignores:
        if relative_path and _path_matches(relative_path, pattern):
            ignored = max(ignored, _matches(code, codes))
    return selected > 0 and selected > ignored


def _path_matches(path: str, pattern: str) -> bool:
    path = path.replace("\\", "/")
    return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern)


def project_rules(config: Config, relative_path: str = "") -> list[type[Rule]]:
    """The enabled rules that need project facts (`Rule.PROJECT`), facts or not."""
    return [rule for rule in all_rules() if rule.PROJECT and is_enabled(rule.CODE, config, relative_path)]


def enabled_rules(config: Config, relative_path: str = "") -> list[type[Rule]]:
    """The rules to run; a project rule only with project facts (phase 2 of a project run).

    A private module no thread of its project reaches (`project/thread_reach.py`, a fact of a
    project `--fix`) runs none of the rules whose race needs two threads in it."""
    unreached = frozenset()
    if config.project_facts is not None and '"unreached"' in config.project_facts:
        from .project.thread_reach import CODES

        unreached = CODES if json.loads(config.project_facts).get("unreached") else frozenset()
    return [
        rule
        for rule in all_rules()
        if is_enabled(rule.CODE, config, relative_path)
        and (not rule.PROJECT or config.project_facts is not None)
        and rule.CODE not in unreached
    ]


@dataclass(frozen=True)
class RuleSet:
    """The configuration resolved for one file, once: what the engine and the fixer run.

    `select`, `ignore` and `per-file-ignores` are read here and nowhere else; the layers
    below (prefilter, engine, fix loop) take the resolved set.
    """

    rules: tuple[type[Rule], ...]
    #: CRL001: report suppressions that suppressed nothing
    unused_suppressions: bool

    @classmethod
    def for_file(cls, config: Config, relative_path: str = "") -> "RuleSet":
        return cls(tuple(enabled_rules(config, relative_path)), is_enabled("CRL001", config, relative_path))
