from __future__ import annotations

import time

import pytest


@pytest.fixture
def gdm(load):
    return load("graceful_degradation")


@pytest.fixture
def manager(gdm, tmp_path):
    return gdm.GracefulDegradation(db_path=tmp_path / "degradation.db", failure_threshold=2)


def _boom(query):
    raise ConnectionError("backend down")


def test_llm_answers_are_cached(gdm, manager):
    result = manager.process_query("install nginx", lambda q: f"answer to {q}")
    assert result == {"response": "answer to install nginx", "source": "llm", "mode": "full"}
    assert manager.cached_response("  Install   NGINX ") == "answer to install nginx"
    assert manager.cached_count() == 1
    assert manager.recent_events()[0]["healthy"] == 1


def test_degrades_to_cache_pattern_and_manual(gdm, manager):
    manager.process_query("what is my gpu", lambda q: "lspci | grep VGA")
    first = manager.process_query("what is my gpu", _boom)
    assert first["source"] == "cache"
    assert manager.mode is gdm.ServiceMode.FULL
    manager.process_query("what is my gpu", _boom)
    assert manager.mode is gdm.ServiceMode.CACHED_ONLY
    assert manager.consecutive_failures == 2
    # past the threshold the LLM is not called any more
    calls = []
    cached = manager.process_query("what is my gpu", lambda q: calls.append(q) or "new")
    assert cached["source"] == "cache" and calls == []
    pattern = manager.process_query("please install htop", _boom)
    assert pattern["response"] == "sudo apt-get install -y htop"
    assert pattern["source"] == "pattern"
    manual = manager.process_query("make me a sandwich", _boom)
    assert manual["source"] == "manual" and manual["mode"] == "manual"
    assert manager.status()["mode"] == "cached_only"
    manager.record_success()
    assert manager.status() == {"mode": "full", "consecutive_failures": 0, "cached_responses": 1}


def test_no_cache_means_pattern_mode(gdm, manager):
    manager.record_failure("timeout")
    manager.record_failure("timeout")
    assert manager.mode is gdm.ServiceMode.PATTERN_MATCHING
    events = manager.recent_events()
    assert [e["error"] for e in events] == ["timeout", "timeout"]


def test_monitor_collects_samples_and_drain_applies_them(gdm, tmp_path):
    results = iter([False, False])

    def check():
        try:
            return next(results)
        except StopIteration:
            raise RuntimeError("probe crashed") from None

    manager = gdm.GracefulDegradation(db_path=tmp_path / "m.db", failure_threshold=2, health_check=check)
    manager.start_monitor(interval=0.002)
    deadline = time.monotonic() + 5
    while len(manager.samples) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    manager.stop_monitor()
    samples = manager.drain_samples()
    assert len(samples) >= 3
    assert [s.healthy for s in samples[:3]] == [False, False, False]
    assert samples[2].error == "probe crashed"
    assert manager.drain_samples() == []
    manager.samples.extend(samples)
    assert manager.apply_samples() is gdm.ServiceMode.PATTERN_MATCHING
    assert manager.samples == []


def test_singleton_accessors(gdm, home):
    inst = gdm.GracefulDegradation.get_instance()
    assert gdm.GracefulDegradation.get_instance() is inst
    assert gdm.get_degradation_manager() is inst
    assert (home / ".cortex" / "degradation.db").exists()
    assert inst.health_check() is False  # no API key, no ollama in the test env
