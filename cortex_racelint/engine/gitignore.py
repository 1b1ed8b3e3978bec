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
        self._specs: dict[Path, Optional[pathspec.GitIgnoreSpec]] = {}
        self._tops: dict[Path, Optional[Path]] = {}
        self._excludes: dict[Path, Optional[pathspec.GitIgnoreSpec]] = {}

    def _spec(self, file: Path) -> Optional[pathspec.GitIgnoreSpec]:
        if file not in self._specs:
            self._specs[file] = _read_spec(file)
        return self._specs[file]

    def _top(self, folder: Path) -> Optional[Path]:
        """The work tree containing `folder` (the nearest folder with a `.git`), if any."""
        visited = []
        top: Optional[Path] = None
        for candidate in (folder, *folder.parents):
            if candidate in self._tops:
                top = self._tops[candidate]
                break
            visited.append(candidate)
            if os.path.exists(candidate / ".git"):
                top = candidate
                break
        for candidate in visited:
            self._tops[candidate] = top
        return top

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether git ignores `path`. Its parent folders are taken as not ignored: the walk
        does not enter an ignored folder, and git cannot re-include a file inside one."""
        full = Path(os.path.abspath(path))
        top = self._top(full.parent)
        if top is None or full == top or full.name == ".git":
            return full.name == ".git"
        suffix = "/" if is_dir else ""
        for folder in (full.parent, *full.parent.parents):
            spec = self._spec(folder / ".gitignore")
            if spec is not None:
                decision = spec.check_file(full.relative_to(folder).as_posix() + suffix).include
                if decision is not None:
                    return decision
            if folder == top:
                break
        if top not in self._excludes:
            self._excludes[top] = _read_spec(_git_dir(top) / "info" / "exclude")
        spec = self._excludes[top]
        if spec is None:
            return False
        return bool(spec.check_file(full.relative_to(top).as_posix() + suffix).include)

    def ignored_with_parents(self, path: str) -> bool:
        """Whether git ignores `path` or a folder above it (a file handed over alone, not walked)."""
        full = Path(os.path.abspath(path))
        top = self._top(full.parent)
        if top is None:
            return False
        chain = [full] + [folder for folder in full.parents if top in folder.parents]
        return any(self.ignored(str(entry), entry != full) for entry in reversed(chain))
