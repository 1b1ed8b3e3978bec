"""The hand-over shapes real code uses (issue 18): `functools.partial`, lambdas, callable task
objects, objects in containers, `Thread` subclasses (a row of the entry table). Each positive
case has two threads on one object; each negative one a per-task object or one thread only."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.test_project_handover import _facts

WORKER = """
    from functools import partial


    class Worker:
        def __init__(self, stats):
            self.stats = stats

        def run(self):
            self.stats.record(True)


    class Task:
        def __init__(self, stats):
            self.stats = stats
            self.calls = 0

        def __call__(self):
            self.calls += 1
            self.stats.record(True)


    class Runner(threading.Thread):
        def __init__(self, stats):
            super().__init__()
            self.stats = stats

        def run(self):
            self.stats.record(True)


    def work(stats, item=None):
        stats.record(item)
"""


def _shared(tmp_path: Path, *parts: str) -> dict:
    return _facts(tmp_path, "".join(textwrap.dedent(part) for part in (WORKER, *parts)))


def _attrs(classes: dict, cls: str, method: str) -> list:
    return classes.get(cls, {}).get("methods", {}).get(method, {}).get("attrs", [])


def test_partial_binding_the_object_for_a_pool_is_shared(tmp_path: Path) -> None:
    classes = _shared(tmp_path, """
        def main(items):
            stats = Stats()
            with ThreadPoolExecutor() as pool:
                pool.submit(partial(work, stats))
    """)
    assert _attrs(classes, "Stats", "record") == ["done"]
    assert "thread entry `work`" in classes["Stats"]["methods"]["record"]["paths"][0][0][3]


def test_partial_of_a_bound_method_on_two_threads_is_shared(tmp_path: Path) -> None:
    classes = _shared(tmp_path, """
        def main():
            stats = Stats()
            for _ in range(2):
                threading.Thread(target=partial(stats.record, True)).start()
    """)
    assert _attrs(classes, "Stats", "record") == ["done"]


def test_partial_on_one_thread_alone_is_not_a_race(tmp_path: Path) -> None:
    assert _shared(tmp_path, """
        def main():
            stats = Stats()
            threading.Thread(target=partial(work, stats)).start()
    """) == {}


def test_lambda_calling_the_object_is_shared(tmp_path: Path) -> None:
    classes = _shared(tmp_path, """
        def main(items):
            stats = Stats()
            with ThreadPoolExecutor() as pool:
                pool.submit(lambda: stats.record(True))
                pool.submit(lambda item: work(stats, item), 1)
    """)
    assert _attrs(classes, "Stats", "record") == ["done"]


def test_lambda_parameter_is_not_the_object(tmp_path: Path) -> None:
    """`lambda stats: work(stats)`: the lambda's own parameter, bound per call, names no hand-over."""
    assert _shared(tmp_path, """
        def main(items):
            stats = Stats()
            stats.record(True)
            with ThreadPoolExecutor() as pool:
                pool.map(lambda stats: work(stats), items)
    """) == {}


def test_a_callable_task_object_run_by_a_pool_is_shared(tmp_path: Path) -> None:
    """`submit(task)` twice with one task: its `__call__` runs on two pool threads at once, and the
    stats object it holds is reached through `self.stats`."""
    classes = _shared(tmp_path, """
        def main():
            stats = Stats()
            task = Task(stats)
            with ThreadPoolExecutor() as pool:
                pool.submit(task)
    """)
    assert _attrs(classes, "Task", "__call__") == ["calls"]
    assert _attrs(classes, "Stats", "record") == ["done"]


def test_a_task_object_per_submission_does_not_share_its_own_state(tmp_path: Path) -> None:
    classes = _shared(tmp_path, """
        def main(items):
            stats = Stats()
            with ThreadPoolExecutor() as pool:
                for item in items:
                    task = Task(stats)
                    threading.Thread(target=task).start()
    """)
    assert "Task" not in classes  # one task per thread: its `calls` is never shared
    assert _attrs(classes, "Stats", "record") == ["done"]  # the stats all the tasks hold is


def test_workers_in_a_list_sharing_one_object_each_submitted(tmp_path: Path) -> None:
    classes = _shared(tmp_path, """
        def main(n):
            stats = Stats()
            workers = [Worker(stats) for _ in range(n)]
            with ThreadPoolExecutor() as pool:
                for w in workers:
                    pool.submit(w.run)
    """)
    assert _attrs(classes, "Stats", "record") == ["done"]
    steps = [step[3] for step in classes["Stats"]["methods"]["record"]["paths"][0]]
    assert steps[0] == "thread entry `w.run` started in `app.mod.main`"


def test_workers_appended_and_started_as_threads(tmp_path: Path) -> None:
    classes = _shared(tmp_path, """
        def main(n):
            stats = Stats()
            workers = []
            for _ in range(n):
                workers.append(Worker(stats))
            for w in workers:
                threading.Thread(target=w.run).start()
    """)
    assert _attrs(classes, "Stats", "record") == ["done"]


def test_thread_subclasses_in_a_list_share_the_object(tmp_path: Path) -> None:
    classes = _shared(tmp_path, """
        def main(n):
            stats = Stats()
            runners = [Runner(stats) for _ in range(n)]
            for r in runners:
                r.start()
    """)
    assert _attrs(classes, "Stats", "record") == ["done"]


def test_one_object_per_worker_is_not_shared(tmp_path: Path) -> None:
    assert _shared(tmp_path, """
        def main(items):
            workers = [Worker(Stats()) for _ in items]
            with ThreadPoolExecutor() as pool:
                for w in workers:
                    pool.submit(w.run)
            for item in items:
                stats = Stats()
                w = Worker(stats)
                pool.submit(w.run)
    """) == {}


def test_one_worker_on_one_thread_is_not_a_race(tmp_path: Path) -> None:
    assert _shared(tmp_path, """
        def main():
            stats = Stats()
            w = Worker(stats)
            threading.Thread(target=w.run).start()
    """) == {}


BUS = """
    class Bus:
        def __init__(self):
            self._subscribers = []

        def subscribe(self, callback):
            self._subscribers.append(callback)

        def publish(self, event):
            for callback in list(self._subscribers):
                callback(event)


    class Collector:
        def __init__(self):
            self.events = 0

        def on_event(self, event):
            self.events += 1
"""


def test_a_callback_registry_fired_from_a_thread_pool_runs_the_callback_there(tmp_path: Path) -> None:
    classes = _shared(tmp_path, BUS, """
        def main(events):
            bus = Bus()
            collector = Collector()
            bus.subscribe(collector.on_event)
            with ThreadPoolExecutor() as pool:
                pool.map(bus.publish, events)
    """)
    assert _attrs(classes, "Collector", "on_event") == ["events"]
    steps = [step[3] for step in classes["Collector"]["methods"]["on_event"]["paths"][0]]
    assert steps[1] == "`app.mod.main` registers `collector.on_event` with `Bus.subscribe`"
    assert steps[-1] == "`Bus.publish` calls the registered callbacks"


def test_a_registry_fired_by_its_caller_only_is_not_a_thread(tmp_path: Path) -> None:
    """Nothing fires the registry on a thread: the callback runs on whoever publishes."""
    assert _shared(tmp_path, BUS, """
        def main(events):
            bus = Bus()
            collector = Collector()
            bus.subscribe(collector.on_event)
            for event in events:
                bus.publish(event)
            with ThreadPoolExecutor() as pool:
                pool.map(print, events)
    """) == {}


def test_a_registry_fired_on_one_thread_needs_the_maker_too(tmp_path: Path) -> None:
    one_thread = """
        def main(events):
            bus = Bus()
            collector = Collector()
            bus.subscribe(collector.on_event)
            threading.Thread(target=bus.publish, args=(events,)).start()
    """
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _shared(tmp_path / "a", BUS, one_thread) == {}
    maker_too = one_thread.rstrip() + "\n            collector.on_event(None)\n"
    classes = _shared(tmp_path / "b", BUS, maker_too)
    assert _attrs(classes, "Collector", "on_event") == ["events"]


def test_a_done_callback_of_a_pool_future_is_a_thread(tmp_path: Path) -> None:
    """`add_done_callback` is a row of the entry table: its bound-method target is read like a thread's."""
    classes = _shared(tmp_path, BUS, """
        def main(items):
            collector = Collector()
            with ThreadPoolExecutor() as pool:
                for item in items:
                    future = pool.submit(print, item)
                    future.add_done_callback(partial(collector.on_event))
    """)
    assert _attrs(classes, "Collector", "on_event") == ["events"]


SERVER = """
    class Server:
        def __init__(self):
            self.stats = Stats()

        def serve(self):
            self.stats.record(True)

        def report(self):
            self.stats.record(False)
            return self.stats.total()
"""


def test_an_object_held_by_a_handed_over_object_goes_with_it(tmp_path: Path) -> None:
    """`server.serve` on a thread, `server.report()` on the maker's: `self.stats` is one object of both."""
    classes = _shared(tmp_path, SERVER, """
        def main():
            server = Server()
            threading.Thread(target=server.serve).start()
            server.report()
    """)
    assert _attrs(classes, "Stats", "record") == ["done"]
    assert "`Server.stats`" in classes["Stats"]["shared"]
    held = classes["Stats"]["object"]  # as data for `confirm`: the class that keeps it, and where
    assert (held["how"], held["holder"]) == ("held", "stats")
    assert held["maker"].endswith(".Server")


def test_an_object_held_by_one_server_per_thread_is_not_shared(tmp_path: Path) -> None:
    assert _shared(tmp_path, SERVER, """
        def main(n):
            for _ in range(n):
                server = Server()
                threading.Thread(target=server.serve).start()
            server = Server()
            threading.Thread(target=server.serve).start()
    """) == {}


def test_partial_mapped_over_items_and_a_timer_callback(tmp_path: Path) -> None:
    """`pool.map(partial(work, stats), items)`: every task gets the one `stats`; a `Timer` is a thread too."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    mapped = _shared(tmp_path / "a", """
        def main(items):
            stats = Stats()
            with ThreadPoolExecutor() as pool:
                list(pool.map(partial(work, stats), items))
    """)
    assert _attrs(mapped, "Stats", "record") == ["done"]
    timed = _shared(tmp_path / "b", """
        def main():
            stats = Stats()
            threading.Timer(1.0, partial(stats.record, True)).start()
            stats.record(False)
    """)
    assert _attrs(timed, "Stats", "record") == ["done"]


def test_a_thread_subclass_run_is_an_entry_of_the_join(tmp_path: Path) -> None:
    """The table's `Thread`-subclass row: `Poller.run` reaches the module's instance like a thread target,
    so with one other thread there are two entries on `_stats`."""
    classes = _facts(tmp_path, """
        _stats = Stats()


        class Poller(threading.Thread):
            def run(self):
                _stats.record(True)


        def flush():
            _stats.record(False)


        def main():
            Poller().start()
            threading.Thread(target=flush).start()
    """)
    assert _attrs(classes, "Stats", "record") == ["done"]
    firsts = {path[0][3] for path in classes["Stats"]["methods"]["record"]["paths"]}
    assert "thread (`Thread` subclass) `self.run` started in `app.mod.Poller.run`" in firsts


def test_lazy_attribute_through_a_lambda_target_is_shared(tmp_path: Path) -> None:
    """CRL108's facts come from the same join: `if self._cache is None:` run by a pool's lambdas."""
    classes = _shared(tmp_path, """
        def main(items):
            stats = Stats()
            with ThreadPoolExecutor() as pool:
                for item in items:
                    pool.submit(lambda: stats.cache())
    """)
    assert _attrs(classes, "Stats", "cache") == ["_cache"]
