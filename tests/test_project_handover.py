"""Objects handed over to threads (issue 18): made once, given through `args=`, `submit`, a bound
method or a constructor that keeps them; shared only with evidence of two threads."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from cortex_racelint.project.join import join
from cortex_racelint.project.summary import build_summary

STATS = """
    import threading
    from concurrent.futures import ThreadPoolExecutor


    class Stats:
        def __init__(self):
            self.done = 0
            self._cache = None

        def record(self, ok):
            if ok:
                self.done += 1

        def cache(self):
            if self._cache is None:
                self._cache = {}
            return self._cache

        def total(self):
            return self.done
"""


def _facts(tmp_path: Path, code: str) -> dict:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/mod.py").write_text(textwrap.dedent(STATS) + textwrap.dedent(code))
    summaries = {str(p): build_summary(ast.parse(p.read_bytes())) for p in sorted(tmp_path.rglob("*.py"))}
    return join(summaries).get(str(tmp_path / "app/mod.py"), {}).get("classes", {})


def test_an_object_given_to_threads_made_in_a_loop_is_shared(tmp_path: Path) -> None:
    classes = _facts(tmp_path, """
        def work(stats, item):
            stats.record(item)

        def main(items):
            stats = Stats()
            threads = [threading.Thread(target=work, args=(stats, i)) for i in items]
    """)
    record = classes["Stats"]["methods"]["record"]
    assert record["attrs"] == ["done"]
    assert "one instance made in `app.mod.main()`" in classes["Stats"]["shared"]
    assert [step[3] for step in record["paths"][0]] == [
        "thread entry `work` started in `app.mod.main` with `stats`", "`work` calls `Stats.record` on `stats`"
    ]


def test_one_thread_alone_is_not_a_race(tmp_path: Path) -> None:
    assert _facts(tmp_path, """
        def work(stats):
            stats.record(True)

        def main():
            stats = Stats()
            stats.record(False)  # before the thread starts: one thread at a time
            threading.Thread(target=work, args=(stats,)).start()
    """) == {}


def test_the_maker_using_the_object_after_handing_it_over_is_the_second_thread(tmp_path: Path) -> None:
    classes = _facts(tmp_path, """
        def work(stats):
            stats.record(True)

        def main():
            stats = Stats()
            threading.Thread(target=work, args=(stats,)).start()
            stats.record(False)
    """)
    assert classes["Stats"]["methods"]["record"]["attrs"] == ["done"]
    assert "thread entry" in classes["Stats"]["methods"]["record"]["paths"][0][0][3]  # the thread's path first


def test_a_bound_method_mapped_over_a_pool_and_submit_arguments(tmp_path: Path) -> None:
    classes = _facts(tmp_path, """
        def run(items):
            stats = Stats()
            with ThreadPoolExecutor() as pool:
                list(pool.map(stats.record, items))

        def lazy(stats):
            stats.cache()

        def run_lazy(pool):
            stats = Stats()
            for _ in range(3):
                pool.submit(lazy, stats)
    """)
    assert sorted(classes["Stats"]["methods"]) == ["cache", "record"]
    assert classes["Stats"]["methods"]["cache"]["attrs"] == ["_cache"]


def test_an_object_per_iteration_or_per_task_is_not_shared(tmp_path: Path) -> None:
    assert _facts(tmp_path, """
        def run(items):
            for item in items:
                stats = Stats()
                threading.Thread(target=stats.record, args=(item,)).start()

        def task(item):
            stats = Stats()
            stats.record(item)

        def pool_run(pool, items):
            for item in items:
                pool.submit(task, item)
    """) == {}


def test_a_callback_registry_is_not_a_thread(tmp_path: Path) -> None:
    assert _facts(tmp_path, """
        def wire(bus):
            stats = Stats()
            bus.subscribe(stats.record)
            bus.subscribe(stats.record)
            stats.record(True)
    """) == {}


def test_a_constructor_keeping_the_object_and_starting_threads(tmp_path: Path) -> None:
    code = """
        class Worker:
            def __init__(self, name, stats):
                self.name = name
                self.stats = stats

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                self._step()

            def _step(self):
                self.stats.record(True)

        def serve():
            stats = Stats()
            for name in "ab":
                Worker(name, stats).start()
    """
    classes = _facts(tmp_path, code)
    steps = classes["Stats"]["methods"]["record"]["paths"][0]
    assert "thread target `self._run`" in steps[0][3] and "hands `stats` to `Worker`" in steps[1][3]
    assert "`Worker._step` calls `self.stats.record()`" in steps[-1][3]


def test_one_worker_given_the_object_is_one_thread(tmp_path: Path) -> None:
    assert _facts(tmp_path, """
        class Worker:
            def __init__(self, stats):
                self.stats = stats

            def start(self):
                threading.Thread(target=self._run).start()

            def _run(self):
                self.stats.record(True)

        def serve():
            stats = Stats()
            Worker(stats).start()
            return stats.total()  # a read, not an update
    """) == {}


def test_a_fresh_attribute_of_a_class_running_pool_tasks_on_itself(tmp_path: Path) -> None:
    classes = _facts(tmp_path, """
        class Server:
            def __init__(self):
                self.stats = Stats()
                self.pool = ThreadPoolExecutor()

            def handle(self, request):
                self.stats.record(request)

            def serve(self, requests):
                for request in requests:
                    self.pool.submit(self.handle, request)
    """)
    assert classes["Stats"]["methods"]["record"]["attrs"] == ["done"]
    assert "`Server.stats`" in classes["Stats"]["shared"]


def test_the_summary_records_the_hand_overs_as_plain_data(tmp_path: Path) -> None:
    summary = build_summary(ast.parse(textwrap.dedent("""
        import threading

        class Worker:
            def __init__(self, stats):
                self.stats = stats

        def main(make_stats):
            stats = Stats()
            unused = Stats()
            made = make_stats()  # a factory's result: not a class the join could resolve
            threading.Thread(target=go, args=(stats, made)).start()
            stats.flush()
    """)))
    records = summary["functions"]["main"]["h"]
    assert ["new", "stats", "Stats", 9, False] in records
    assert not any(r[1] == "unused" for r in records)  # made but never handed over: not recorded
    assert not any(r[1] == "made" for r in records)
    assert ["give", "stats", "e", "n", "go", 0, 12, 4, False] in records
    assert ["use", "stats", "flush", 13] in records
    assert summary["classes"]["Worker"]["bound"] == {"stats": "stats"}
    assert summary["functions"]["Worker.__init__"]["params"] == ["self", "stats"]


def test_a_fresh_attribute_used_by_the_own_thread_and_by_callers(tmp_path: Path) -> None:
    code = """
        class Reporter:
            def __init__(self):
                self.stats = Stats()

            def start(self):
                threading.Thread(target=self._loop, daemon=True).start()

            def _loop(self):
                self.stats.record(True)

            def %s(self, ok):
                self.stats.record(ok)
    """
    classes = _facts(tmp_path, code % "note")
    paths = classes["Stats"]["methods"]["record"]["paths"]
    assert "thread target `self._loop`" in paths[0][0][3]
    assert any("`Reporter.note()` runs on its caller's thread" in p[0][3] for p in paths)


def test_a_fresh_attribute_only_the_own_thread_uses_is_not_shared(tmp_path: Path) -> None:
    code = """
        class Reporter:
            def __init__(self):
                self.stats = Stats()

            def start(self):
                threading.Thread(target=self._loop, daemon=True).start()

            def _loop(self):
                self.stats.record(True)

            def _private(self, ok):  # private, called by nothing public: no caller's thread
                self.stats.record(ok)
    """
    assert _facts(tmp_path, code) == {}


def test_thread_subclasses_given_the_same_object(tmp_path: Path) -> None:
    classes = _facts(tmp_path, """
        class Downloader(threading.Thread):
            def __init__(self, url, stats):
                super().__init__()
                self.url = url
                self.stats = stats

            def run(self):
                self.stats.record(bool(self.url))

        def download_all(urls):
            stats = Stats()
            workers = [Downloader(url, stats) for url in urls]
            for worker in workers:
                worker.start()
    """)
    steps = classes["Stats"]["methods"]["record"]["paths"][0]
    assert "thread (`Thread` subclass) `self.run`" in steps[0][3] and "hands `stats` to `Downloader`" in steps[1][3]
