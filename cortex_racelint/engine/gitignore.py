"""What git ignores, for the folder walk (`respect-gitignore`, on by default as in Ruff).

Matching is `pathspec`'s `GitIgnoreSpec` (git's own semantics, negations included); this
module only finds the files git reads for a path: the `.gitignore` of every folder from the
path up to the work tree's top (deeper ones win), then `.git/info/exclude`. Outside a git
work tree (no `.git` above) nothing is ignored: a `.gitignore` there means nothing to git.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import pathspec


def _read_spec(path: Path) -> Optional[pathspec.GitIgnoreSpec]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return spec if len(spec) else None


def _git_dir(top: Path) -> Path:
    """The git directory of a work tree: `.git`, or where a `.git` file (`gitdir: ...`, a linked
    worktree or a submodule) points, sharing `info/` with its main repository (`commondir`)."""
    dot_git = top / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return dot_git
    if not text.startswith("gitdir:"):
        return dot_git
    git_dir = (top / text[len("gitdir:") :].strip()).resolve()
    try:
        common = (git_dir / "commondir").read_text(encoding="utf-8").strip()
        return (git_dir / common).resolve()
    except OSError:
        return git_dir


class GitIgnores:
    """`ignored(path, is_dir)` for paths inside git work trees; each ignore file read once."""

    def __init__(self) -> None:
        #: folder -> (work tree top, [(folder, its .gitignore)] deepest first), None outside git
        self._chains: dict[str, Optional[tuple[str, list[tuple[str, pathspec.GitIgnoreSpec]]]]] = {}
        self._excludes: dict[str, Optional[pathspec.GitIgnoreSpec]] = {}

    def _chain(self, folder: str) -> Optional[tuple[str, list[tuple[str, pathspec.GitIgnoreSpec]]]]:
        if folder not in self._chains:
            parent = os.path.dirname(folder)
            if os.path.exists(os.path.join(folder, ".git")):
                top, above = folder, []
            elif parent == folder:
                self._chains[folder] = None
                return None
            else:
                up = self._chain(parent)
                if up is None:
                    self._chains[folder] = None
                    return None
                top, above = up
            spec = _read_spec(Path(folder) / ".gitignore")
            self._chains[folder] = (top, ([(folder, spec)] if spec is not None else []) + above)
        return self._chains[folder]

    def ignored(self, path: str, is_dir: bool, given: Optional[str] = None) -> bool:
        """Whether git ignores `path`. Its parent folders are taken as not ignored: the walk
        does not enter an ignored folder, and git cannot re-include a file inside one.

        `given` is the folder named on the command line that the walk started from. A pattern
        that ignores that folder itself (or a folder above it) does not ignore what is inside:
        naming a folder lints it, as Ruff does, even inside an ignored tree (a pyenv
        interpreter's standard library, a vendored checkout, a virtual environment's packages)."""
        full = os.path.abspath(path)
        root = os.path.abspath(given) if given is not None else None
        if os.path.basename(full) == ".git":
            return True
        found = self._chain(os.path.dirname(full))
        if found is None:
            return False
        top, chain = found
        suffix = "/" if is_dir else ""
        for folder, spec in chain:  # the deepest .gitignore with a matching pattern decides
            decision = _decision(spec, full + suffix, folder, root)
            if decision is not None:
                return decision
        if top not in self._excludes:
            self._excludes[top] = _read_spec(_git_dir(Path(top)) / "info" / "exclude")
        spec = self._excludes[top]
        return spec is not None and bool(_decision(spec, full + suffix, top, root))

    def ignored_with_parents(self, path: str) -> bool:
        """Whether git ignores `path` or a folder above it (a file handed over alone, not walked)."""
        full = os.path.abspath(path)
        found = self._chain(os.path.dirname(full))
        if found is None:
            return False
        top = found[0]
        chain = [full]
        while os.path.dirname(chain[-1]) not in (top, chain[-1]):
            chain.append(os.path.dirname(chain[-1]))
        return any(self.ignored(entry, entry != full) for entry in reversed(chain))


def _decision(
    spec: pathspec.GitIgnoreSpec, path: str, folder: str, given: Optional[str]
) -> Optional[bool]:
    """The decision of `spec` (the ignore file of `folder`) on `path` (a trailing `/` for a
    folder), or None when no pattern matches; a match that only holds because the pattern
    ignores the named folder `given` or a folder above it does not count."""
    result = spec.check_file(_below(path, folder))
    if not result.include or given is None or result.index is None:
        return result.include
    if given == folder or not given.startswith(folder + os.sep):
        return result.include  # the named folder is the ignore file's own, or outside it
    deciding = pathspec.GitIgnoreSpec([spec.patterns[result.index]])
    above = given
    while above != folder:  # the named folder and each folder between it and the ignore file
        if deciding.match_file(_below(above, folder) + "/"):
            return None
        above = os.path.dirname(above)
    return result.include


def _below(path: str, folder: str) -> str:
    """`path` relative to `folder` (which holds it), with `/` separators as gitignore patterns use."""
    return path[len(folder) :].lstrip(os.sep).replace(os.sep, "/")
