"""File discovery: stable order, default skips (venvs, build output, caches), excludes."""

from __future__ import annotations

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
