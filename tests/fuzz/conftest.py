"""Hypothesis profiles for the property tests.

- "ci" (default): bounded, runs with the normal test suite.
- "long": `pytest tests/fuzz --hypothesis-profile long` (or `HYPOTHESIS_PROFILE=long`).

The `--hypothesis-profile` option is applied by hypothesis's pytest plugin at
configure time, before this (non-root) conftest is imported unless `tests/fuzz` is
named on the command line; so name the folder, or use the environment variable.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)

settings.register_profile("ci", max_examples=60, derandomize=True, **_COMMON)  # CI: the same examples every run
settings.register_profile("long", max_examples=5000, **_COMMON)
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("medium", max_examples=500, **_COMMON)

_requested = os.environ.get("HYPOTHESIS_PROFILE")
if _requested:
    settings.load_profile(_requested)
elif settings.get_current_profile_name() == "default":
    settings.load_profile("ci")


#: examples run per test in this session (printed at the end, also after an interrupt)
EXAMPLES: dict[str, int] = {}


def count_example(test_name: str) -> None:
    EXAMPLES[test_name] = EXAMPLES.get(test_name, 0) + 1


def pytest_terminal_summary(terminalreporter):  # pragma: no cover - reporting only
    if EXAMPLES:
        terminalreporter.write_sep("-", f"hypothesis profile {settings.get_current_profile_name()!r}: examples run")
        for name, count in EXAMPLES.items():
            terminalreporter.write_line(f"{name}: {count}")
