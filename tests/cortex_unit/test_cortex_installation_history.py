from __future__ import annotations

import time

import pytest


@pytest.fixture
def ih(load):
    return load("installation_history")


@pytest.fixture
def history(ih, tmp_path):
    return ih.InstallationHistory(db_path=tmp_path / "installs.db")


def test_record_and_get(ih, history):
    rid = history.record_start("install docker", ["docker.io"], ["sudo apt-get install -y docker.io"])
    rec = history.get(rid)
    assert rec.status == ih.STATUS_IN_PROGRESS
    assert rec.packages == ["docker.io"]
    assert rec.duration is None
    assert history.record_finish(rid, ih.STATUS_SUCCESS) is True
    rec = history.get(rid)
    assert rec.status == ih.STATUS_SUCCESS
    assert rec.duration >= 0
    assert history.get(9999) is None
    assert history.record_finish(9999, ih.STATUS_FAILED) is False
    with pytest.raises(ValueError):
        history.record_finish(rid, "exploded")


def test_list_and_stats(ih, history):
    a = history.record_start("a", ["a"], [])
    b = history.record_start("b", ["b"], [])
    c = history.record_start("c", ["c"], [])
    history.record_finish(a, ih.STATUS_SUCCESS)
    history.record_finish(b, ih.STATUS_FAILED, "404")
    assert [r.id for r in history.list_records()] == [c, b, a]
    failed = history.list_records(status=ih.STATUS_FAILED)
    assert [r.error for r in failed] == ["404"]
    stats = history.stats()
    assert stats["total"] == 3
    assert stats["success"] == 1 and stats["failed"] == 1 and stats["in_progress"] == 1
    assert stats["success_rate"] == pytest.approx(0.5)


def test_purge_older_than(history):
    history.record_start("old", ["x"], [])
    assert history.purge_older_than(days=1) == 0
    time.sleep(0.01)
    assert history.purge_older_than(days=0) == 1
    assert history.list_records() == []
    assert history.stats()["success_rate"] == 0.0


def test_accessor_returns_same_object(ih, home):
    first = ih.get_installation_history()
    assert ih.get_installation_history() is first
    assert (home / ".cortex" / "installations.db").exists()
