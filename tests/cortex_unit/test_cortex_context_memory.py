from __future__ import annotations

import time

import pytest


@pytest.fixture
def cm(load):
    return load("context_memory")


@pytest.fixture
def memory(cm, tmp_path):
    return cm.ContextMemory(db_path=tmp_path / "memory.db")


def test_remember_and_recall(memory):
    memory.remember("install docker", "sudo apt-get install -y docker.io", category="containers")
    memory.remember("install podman", "sudo apt-get install -y podman")
    memory.remember("install docker compose", "sudo apt-get install -y docker-compose-plugin")
    memory.remember("install docker", "broken command", success=False)
    recalled = memory.recall("docker compose setup")
    assert [m.command for m in recalled] == ["sudo apt-get install -y docker-compose-plugin",
                                             "sudo apt-get install -y docker.io"]
    assert recalled[1].category == "containers"
    assert all(m.success for m in recalled)
    with_failures = memory.recall("docker", successful_only=False, limit=10)
    assert "broken command" in [m.command for m in with_failures]
    assert memory.recall("") == []
    assert len(memory.recall("install", limit=2)) == 2


def test_preferences(memory):
    assert memory.get_preference("runtime") is None
    assert memory.get_preference("runtime", "docker") == "docker"
    memory.set_preference("runtime", "podman")
    memory.set_preference("runtime", "docker")
    assert memory.get_preference("runtime") == "docker"


def test_frequent_commands_and_forget(memory):
    for _ in range(3):
        memory.remember("update", "sudo apt-get update")
    memory.remember("git", "sudo apt-get install -y git")
    assert memory.frequent_commands(1) == [("sudo apt-get update", 3)]
    assert memory.forget_older_than(days=1) == 0
    time.sleep(0.01)
    assert memory.forget_older_than(days=0) == 4
    assert memory.frequent_commands() == []


def test_accessor_returns_same_object(cm, home):
    first = cm.get_context_memory()
    assert cm.get_context_memory() is first
    assert (home / ".cortex" / "context_memory.db").exists()
