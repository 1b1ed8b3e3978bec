"""Functions only one-shot code calls, across modules (issue 15's last false CRL301, through issue 18's index).

IPython's `ProfileDir.copy_config_file` is called only from `BaseIPythonApplication.init_config_files`
in another module: start-up code, once per process. The per-file pass could not see it.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Optional

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config
from cortex_racelint.project.summary import build_summary

PROFILES = """
    import os
    import shutil


    class ProfileDir:
        def __init__(self, location):
            self.location = location

        def copy_config_file(self, name, src):
            dst = os.path.join(self.location, name)
            if os.path.exists(dst):
                return False
            shutil.copy(src, dst)
            return True

        def refresh(self, name, src):
            dst = os.path.join(self.location, name)
            shutil.copy(src, dst)
"""

APPLICATION = """
    from traitlets.config import Application

    from .profiles import ProfileDir


    class MyApplication(Application):
        def init_config_files(self):
            self.profile_dir = ProfileDir("/tmp/x")
            self.profile_dir.copy_config_file("a.py", "/src")

        def serve(self):
            self.profile_dir.refresh("a.py", "/src")
"""

COPY_LINE = 14  # `shutil.copy(src, dst)` in copy_config_file
REFRESH_LINE = 19


def _project(root: Path, extra: Optional[dict[str, str]] = None) -> list[str]:
    files = {"app/__init__.py": "", "app/profiles.py": PROFILES, "app/application.py": APPLICATION, **(extra or {})}
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(str(path))
    return paths


def _crl301_lines(root: Path, paths: list[str]) -> list[int]:
    results = run_files(sorted(paths), Config(root=root), fix=False, jobs=1)
    return sorted(f.line for r in results for f in r.findings if f.code == "CRL301")


def test_a_method_only_start_up_code_calls_is_not_reported(tmp_path: Path) -> None:
    assert _crl301_lines(tmp_path, _project(tmp_path)) == [REFRESH_LINE]


def test_the_method_alone_is_still_reported(tmp_path: Path) -> None:
    """Without the application module nothing says who calls it."""
    paths = [p for p in _project(tmp_path) if not p.endswith("application.py")]
    assert _crl301_lines(tmp_path, paths) == [COPY_LINE, REFRESH_LINE]


def test_a_thread_target_elsewhere_keeps_the_finding(tmp_path: Path) -> None:
    worker = """
        import threading

        from .profiles import ProfileDir


        def copy_later(pd: ProfileDir):
            threading.Thread(target=pd.copy_config_file, args=("b.py", "/src")).start()
    """
    assert _crl301_lines(tmp_path, _project(tmp_path, {"app/worker.py": worker})) == [COPY_LINE, REFRESH_LINE]


def test_a_call_from_service_code_keeps_the_finding(tmp_path: Path) -> None:
    handler = """
        def on_request(profile_dir):
            profile_dir.copy_config_file("c.py", "/src")
    """
    assert _crl301_lines(tmp_path, _project(tmp_path, {"app/handler.py": handler})) == [COPY_LINE, REFRESH_LINE]


def test_a_call_in_a_nested_def_of_start_up_code_keeps_the_finding(tmp_path: Path) -> None:
    """A nested def or lambda may run later, on another thread."""
    later = APPLICATION + """
        def init_callbacks(self):
            def later():
                self.profile_dir.copy_config_file("d.py", "/src")
            return later
    """
    paths = _project(tmp_path, {"app/application.py": later})
    assert _crl301_lines(tmp_path, paths) == [COPY_LINE, REFRESH_LINE]


def test_a_file_that_does_not_parse_keeps_the_finding(tmp_path: Path) -> None:
    broken = "def broken(:\n    pd.copy_config_file('e.py', '/src')\n"
    assert _crl301_lines(tmp_path, _project(tmp_path, {"app/broken.py": broken})) == [COPY_LINE, REFRESH_LINE]


def test_tests_calling_it_are_neutral(tmp_path: Path) -> None:
    test = """
        from app.profiles import ProfileDir


        def test_copy(tmp_path):
            assert ProfileDir(str(tmp_path)).copy_config_file("a.py", "/src")
    """
    assert _crl301_lines(tmp_path, _project(tmp_path, {"tests/test_profiles.py": test})) == [REFRESH_LINE]


def test_fix_leaves_the_start_up_method_alone(tmp_path: Path) -> None:
    paths = _project(tmp_path)
    results = run_files(sorted(paths), Config(root=tmp_path), fix=True, jobs=1)
    fixed = {Path(r.path).name: r.new_source.decode() for r in results if r.new_source}
    assert "with self._lock:\n            shutil.copy(src, dst)\n" in fixed["profiles.py"]  # refresh
    assert "            return False\n        shutil.copy(src, dst)\n        return True" in fixed["profiles.py"]


def test_one_shot_calls_of_a_module() -> None:
    source = textwrap.dedent(
        """
        import argparse


        def main():
            args = argparse.ArgumentParser().parse_args()
            setup(args)
            setup(args)
            threading.Thread(target=lambda: serve_forever()).start()


        def helper():
            unrelated()


        class Cmd(BaseCommand):
            def handle(self):
                self.write_settings()


        if __name__ == "__main__":
            bootstrap()
        """
    )
    calls = build_summary(ast.parse(source))["one_shot_calls"]
    assert calls["setup"] == 2 and calls["write_settings"] == 1 and calls["bootstrap"] == 1
    assert "serve_forever" not in calls and "unrelated" not in calls


def test_a_module_trying_its_own_api_out_is_no_evidence(tmp_path: Path) -> None:
    """ftplib's `test()` calls `FTP.getwelcome()`: that says nothing about the library's users."""
    demo = PROFILES + """

    if __name__ == "__main__":
        ProfileDir("/tmp/y").copy_config_file("a.py", "/src")
    """
    paths = _project(tmp_path, {"app/profiles.py": demo, "app/application.py": "\n"})
    assert _crl301_lines(tmp_path, paths) == [COPY_LINE, REFRESH_LINE]


def test_a_caller_defining_the_same_name_may_be_calling_its_own(tmp_path: Path) -> None:
    """poplib's `test()` calls `.getwelcome()`, poplib's own: not evidence about ftplib's."""
    other = """
        import shutil


        class Mirror:
            def copy_config_file(self, name, src):
                shutil.copy(src, "/mirror/" + name)


        def main():
            args = parser.parse_args()
            Mirror().copy_config_file(args.name, args.src)
    """
    paths = _project(tmp_path, {"app/mirror.py": other, "app/application.py": "\n"})
    results = run_files(sorted(paths), Config(root=tmp_path), fix=False, jobs=1)
    assert sorted(f.line for r in results for f in r.findings if f.code == "CRL301" and r.path.endswith("profiles.py")) == [
        COPY_LINE,
        REFRESH_LINE,
    ]


def test_a_cached_run_sees_a_new_caller_in_another_file(tmp_path: Path) -> None:
    """The drop is joined on every run, not cached with the file: profiles.py's cached result keeps its finding."""
    from cortex_racelint.engine.cache import ResultCache

    paths = sorted(_project(tmp_path))

    def lines() -> list[int]:
        results = run_files(paths, Config(root=tmp_path), fix=False, jobs=1, cache=ResultCache(tmp_path))
        return sorted(f.line for r in results for f in r.findings if f.code == "CRL301")

    assert lines() == [REFRESH_LINE]
    assert lines() == [REFRESH_LINE]  # warm
    handler = tmp_path / "app" / "handler.py"
    handler.write_text("def on_request(profile_dir):\n    profile_dir.copy_config_file('c.py', '/src')\n")
    paths.append(str(handler))
    assert lines() == [COPY_LINE, REFRESH_LINE]
