"""cortex-racelint: find and fix thread-safety races for free-threaded CPython."""

from .ftypes import Config, FileResult, Finding, FixApplicability
from .engine import lint_source
from .fixer import fix_source

__version__ = "0.1.0"

__all__ = ["Config", "FileResult", "Finding", "FixApplicability", "fix_source", "lint_source", "__version__"]
