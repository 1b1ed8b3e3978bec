"""Dotted module names of files, and the symbol table the join resolves names against.

A file's module name is its stem prefixed by the packages holding it (folders with an
`__init__.py`), the way an import finds it; `resolve` follows imports and re-exports.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Optional


@lru_cache(maxsize=4096)
def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


def module_name(path: str) -> str:
    """`pkg.sub.mod` for `.../pkg/sub/mod.py` (`pkg.sub` for its `__init__.py`)."""
    folder, base = os.path.split(os.path.abspath(path))
    stem = base[:-3] if base.endswith(".py") else base
    parts = [] if stem == "__init__" else [stem]
    while _is_package(folder):
        folder, name = os.path.split(folder)
        parts.append(name)
        if not name:
            break
    return ".".join(reversed(parts)) or stem


def absolute_import(module: str, is_package: bool, level: int, target: str) -> str:
    """The absolute module of `from <level dots><target> import ...` written in `module`."""
    if level == 0:
        return target
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    return ".".join([*parts, target] if target else parts)


class SymbolTable:
    """Every module's summary by module name; resolves a name written in one module to a symbol.

    A symbol is `(module, local)`: `local` is "f", "C", "C.m" or a module global "_x".
    """

    def __init__(self, summaries: dict[str, tuple[str, dict]]) -> None:
        #: module name -> (path, summary)
        self.modules = summaries

    def _defines(self, module: str, name: str) -> bool:
        summary = self.modules[module][1]
        return (
            name in summary["functions"] or name in summary["classes"] or name in summary["globals"]
            or name in summary.get("containers", ())
        )

    def resolve(self, module: str, text: str, scope: str = "", depth: int = 0) -> Optional[tuple[str, str]]:
        """The symbol `text` (dotted, as written in `module`, inside function `scope`) names, or None."""
        if module not in self.modules or depth > 4:
            return None
        path, summary = self.modules[module]
        head, _, rest = text.partition(".")
        parts = scope.split(".") if scope and scope != "<module>" else []
        while parts:  # a nested function or a method of the enclosing class
            candidate = ".".join([*parts, head])
            if candidate in summary["functions"] and not rest:
                return module, candidate
            parts.pop()
        if self._defines(module, head):
            return module, text
        imported = summary["imports"].get(head)
        if imported is None:
            return None
        level, source, name = imported
        base = absolute_import(module, path.endswith("__init__.py"), level, source)
        full = f"{base}.{name}" if name else base  # `import a.b` binds `a`: the rest may name a submodule
        return self.locate(f"{full}.{rest}" if rest else full, depth + 1)

    def locate(self, qualified: str, depth: int = 0) -> Optional[tuple[str, str]]:
        """The symbol of a fully qualified dotted name: the longest module prefix, then its local name."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules:
                return self.resolve(module, ".".join(parts[cut:]), "", depth)
        return None
