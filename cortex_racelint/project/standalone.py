"""Project facts for a file linted on its own (`lint_source`, `fix_source`, flake8, the editor).

A file linted alone is a project of one module: its own summary is joined, so a shared
object and the thread entries using it in the same module are still seen. A project run
(`api.run_files`) joins every file instead and passes the facts in `Config.project_facts`.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from typing import Optional, Sequence

from ..ftypes import Config
from .entries import entries_for
from .event_loop import EVENT_LOOP_PACKAGES, file_facts as loop_facts
from .join import join
from .summary import build_summary

_LOOP_EVIDENCE = (b"async def", b"asyncio")


def with_facts(config: Config, facts: dict) -> Config:
    """`config` carrying one file's facts (sorted JSON: the same facts give the same cache key)."""
    return dataclasses.replace(config, project_facts=json.dumps(facts, sort_keys=True))


def own_facts(raw: bytes, path: str, config: Config, rules: Sequence[type]) -> Config:
    """`config` with the facts of `raw` joined on its own, when a project rule is enabled and they exist."""
    return own_facts_and_tree(raw, path, config, rules)[0]


def own_facts_and_tree(
    raw: bytes, path: str, config: Config, rules: Sequence[type]
) -> tuple[Config, Optional[ast.Module]]:
    """`own_facts`, and the `ast` tree it parsed (None when it parsed none), so the prefilter
    does not parse the same file a second time."""
    if config.project_facts is not None:
        return config, None
    packages = (*EVENT_LOOP_PACKAGES, *config.event_loop_packages)  # `project/event_loop.py`
    loop_code = any(e in raw for e in (*_LOOP_EVIDENCE, *(p.split(".")[0].encode() for p in packages))) or any(
        p.split(".")[0] in path for p in packages
    )
    evidence = entries_for(config.thread_entries).evidence
    if not loop_code and (not rules or not any(name.encode() in raw for name in evidence)):
        return config, None
    try:
        tree = ast.parse(raw)
        summary = build_summary(tree, config.thread_entries)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return config, None
    facts = dict(join({path: summary}).get(path) or {}) if rules else {}
    if loop_code:
        own = loop_facts({path: summary}, config.event_loop_packages).get(path, {})
        facts.update({key: value for key, value in own.items() if value})  # an empty fact changes nothing
    return (with_facts(config, facts) if facts else config), tree
