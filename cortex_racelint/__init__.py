"""cortex-racelint: find and fix thread-safety races for free-threaded CPython."""

from typing import Any

from .ftypes import Config, FileResult, Finding, FixApplicability
from .engine.lint import lint_source

__version__ = "0.1.0"

__all__ = ["Config", "FileResult", "Finding", "FixApplicability", "fix_source", "lint_source", "__version__"]


def __getattr__(name: str) -> Any:
    """`fix_source` on first use: the fixer pulls in `libcst.codemod` (~0.15 s) that a check never needs."""
    if name == "fix_source":
        from .engine.fixer import fix_source

        return fix_source
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
