"""File discovery: stable order, default skips (venvs, build output, caches), excludes."""

from __future__ import annotations

import os
import shutil

import pytest

from cortex_racelint.engine.discovery import discover


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = 1\n")


def test_walks_sorted_and_skips_noise(tmp_path):
    for rel in ["b.py", "a.py", "pkg/c.py", "pkg/notes.txt", ".venv/lib/x.py", "build/y.py", "__pycache__/z.py",
                "myenv/pyvenv.cfg", "myenv/lib/site.py", "thing.egg-info/w.py", "stubs/s.pyi"]:
        touch(tmp_path / rel)
    found = list(discover([str(tmp_path)], root=tmp_path))
    rel = [p[len(str(tmp_path)) + 1 :] for p in found]
    assert rel == ["a.py", "b.py", "pkg/c.py", "stubs/s.pyi"]


def test_excludes_and_explicit_files(tmp_path):
    touch(tmp_path / "gen" / "g.py")
    touch(tmp_path / "src" / "s.py")
    found = list(discover([str(tmp_path)], exclude=["gen/**"], root=tmp_path))
    assert [p.rsplit("/", 1)[-1] for p in found] == ["s.py"]
    explicit = str(tmp_path / "gen" / "g.py")
    assert list(discover([explicit], exclude=["gen/**"], root=tmp_path)) == [explicit]
    assert list(discover([explicit], exclude=["gen/**"], root=tmp_path, force_exclude=True)) == []


def test_each_file_once(tmp_path):
    touch(tmp_path / "a.py")
    assert len(list(discover([str(tmp_path), str(tmp_path)], root=tmp_path))) == 1


def test_excludes_apply_relative_to_a_folder_outside_the_project(tmp_path):
    outside = tmp_path / "outside"
    touch(outside / "test" / "t.py")
    touch(outside / "lib" / "l.py")
    project = tmp_path / "project"
    project.mkdir()
    found = list(discover([str(outside)], exclude=["test/**"], root=project))
    assert [p.rsplit("/", 1)[-1] for p in found] == ["l.py"]


def names(found, root) -> list[str]:
    return [os.path.relpath(p, root).replace(os.sep, "/") for p in found]


def git_tree(tmp_path):
    """A git work tree (a `.git` folder is all git needs to call it one) with nested ignore files."""
    root = tmp_path / "repo"
    (root / ".git" / "info").mkdir(parents=True)
    (root / ".git" / "info" / "exclude").write_text("secret.py\n")
    (root / ".gitignore").write_text("*.gen.py\n!keep.gen.py\nout/\n/only_top.py\n")
    (root / "pkg" / ".gitignore").parent.mkdir()
    (root / "pkg" / ".gitignore").write_text("local.py\n!again.gen.py\n")
    for rel in ["a.py", "x.gen.py", "keep.gen.py", "out/o.py", "only_top.py", "secret.py",
                "pkg/only_top.py", "pkg/local.py", "pkg/again.gen.py", "pkg/y.gen.py", "pkg/out/o.py", "other/local.py"]:
        touch(root / rel)
    return root


def test_gitignore_is_respected_with_git_semantics(tmp_path):
    root = git_tree(tmp_path)
    found = names(discover([str(root)], root=root, respect_gitignore=True), root)
    # negations (keep.gen.py; pkg/again.gen.py re-included by the nested file), directory patterns,
    # anchored patterns (/only_top.py only at the top), nested files, .git/info/exclude
    assert found == ["a.py", "keep.gen.py", "other/local.py", "pkg/again.gen.py", "pkg/only_top.py"]
    every = names(discover([str(root)], root=root, respect_gitignore=False), root)
    assert len(every) == 12


def test_gitignore_applies_when_walking_a_subfolder(tmp_path):
    root = git_tree(tmp_path)
    found = names(discover([str(root / "pkg")], root=root, respect_gitignore=True), root)
    assert found == ["pkg/again.gen.py", "pkg/only_top.py"]


def test_gitignore_means_nothing_outside_a_git_work_tree(tmp_path):
    root = git_tree(tmp_path)
    shutil.rmtree(root / ".git")
    assert len(list(discover([str(root)], root=root, respect_gitignore=True))) == 12


def test_a_gitignored_file_named_explicitly_is_linted(tmp_path):
    root = git_tree(tmp_path)
    explicit = str(root / "x.gen.py")
    assert list(discover([explicit], root=root, respect_gitignore=True)) == [explicit]


def test_a_named_folder_inside_an_ignored_folder_is_walked(tmp_path):
    """Naming a folder lints it even when git ignores a folder above it (the standard library of a
    pyenv interpreter under ~/.pyenv/versions, a vendored checkout): the patterns that ignore the
    named folder do not reach inside it, while the other patterns still apply below it."""
    root = git_tree(tmp_path)
    for rel in ["out/deep/d.py", "out/deep/z.gen.py", "out/deep/secret.py", "out/deep/keep.gen.py"]:
        touch(root / rel)
    named = root / "out" / "deep"
    found = names(discover([str(named)], root=root, respect_gitignore=True), root)
    assert found == ["out/deep/d.py", "out/deep/keep.gen.py"]
    from_top = names(discover([str(root)], root=root, respect_gitignore=True), root)
    assert not any(name.startswith("out/") for name in from_top)


def test_a_linked_worktree_reads_info_exclude_from_the_common_git_dir(tmp_path):
    main_git = tmp_path / "main" / ".git"
    (main_git / "info").mkdir(parents=True)
    (main_git / "info" / "exclude").write_text("secret.py\n")
    (main_git / "worktrees" / "wt").mkdir(parents=True)
    (main_git / "worktrees" / "wt" / "commondir").write_text("../..\n")
    tree = tmp_path / "wt"
    tree.mkdir()
    (tree / ".git").write_text(f"gitdir: {main_git / 'worktrees' / 'wt'}\n")
    touch(tree / "secret.py")
    touch(tree / "a.py")
    assert names(discover([str(tree)], root=tree, respect_gitignore=True), tree) == ["a.py"]


@pytest.mark.parametrize("pattern", ["generated", "generated/", "generated/**", "gen*ted"])
def test_force_exclude_matches_the_folders_above_a_named_file(tmp_path, pattern):
    """pre-commit names files: `exclude = ["generated"]` must skip `generated/x.py` (as Ruff)."""
    touch(tmp_path / "generated" / "deep" / "x.py")
    touch(tmp_path / "notgenerated" / "y.py")
    named = [str(tmp_path / "generated" / "deep" / "x.py"), str(tmp_path / "notgenerated" / "y.py")]
    found = names(discover(named, exclude=[pattern], root=tmp_path, force_exclude=True), tmp_path)
    assert found == ["notgenerated/y.py"]
    assert len(list(discover(named, exclude=[pattern], root=tmp_path))) == 2


def test_force_exclude_does_not_look_above_the_project(tmp_path):
    """A folder above the configuration's (here `build`, a default exclude) does not exclude the project."""
    project = tmp_path / "build" / "project"
    touch(project / "a.py")
    assert list(discover([str(project / "a.py")], root=project, force_exclude=True)) == [str(project / "a.py")]


def test_force_exclude_skips_a_file_inside_a_virtual_environment(tmp_path):
    touch(tmp_path / "env" / "pyvenv.cfg")
    touch(tmp_path / "env" / "tools" / "t.py")
    named = str(tmp_path / "env" / "tools" / "t.py")
    assert list(discover([named], root=tmp_path, force_exclude=True)) == []
    assert list(discover([named], root=tmp_path)) == [named]


def test_walk_skips_judges_a_single_file_as_the_walk_does(tmp_path):
    """The flake8 plugin's view: a file handed over alone is skipped iff a walk would skip it."""
    from cortex_racelint.engine.discovery import walk_skips
    from cortex_racelint.engine.gitignore import GitIgnores

    root = git_tree(tmp_path)
    touch(root / "generated" / "g.py")
    excludes = lambda folder: (("generated",), root)  # noqa: E731
    walked = set(names(discover([str(root)], excludes_for=excludes, respect_gitignore=True), root))
    every = {p.relative_to(root).as_posix() for p in root.rglob("*.py")}
    skipped = {rel for rel in every if walk_skips(str(root / rel), excludes, GitIgnores())}
    assert skipped == every - walked
    assert "out/o.py" in skipped and "pkg/out/o.py" in skipped and "generated/g.py" in skipped
