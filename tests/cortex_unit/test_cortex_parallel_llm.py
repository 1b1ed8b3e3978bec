from __future__ import annotations

import json
import time

import pytest


@pytest.fixture
def llm(load):
    return load("llm_provider")


@pytest.fixture
def pl(load, llm):
    return load("parallel_llm")


def test_offline_provider_is_deterministic(llm):
    provider = llm.OfflineProvider()
    a = provider.ask("Please install Docker")
    assert a.startswith("sudo apt-get update && sudo apt-get install -y docker # ref ")
    assert provider.ask("Please install Docker") == a
    assert provider.ask("uninstall vim").startswith("sudo apt-get remove -y vim")
    assert "No offline answer" in provider.ask("hello")
    resp = provider.complete([{"role": "user", "content": "install git"}], max_tokens=3)
    assert resp.text.split() == ["sudo", "apt-get", "update"]
    assert resp.tokens == 2 + 3 and resp.model == "offline-1"
    with pytest.raises(llm.LLMError):
        llm.OfflineProvider(fail_on={"badpkg"}).ask("install badpkg")


def test_offline_provider_latency(llm):
    provider = llm.OfflineProvider(latency=0.02)
    start = time.monotonic()
    resp = provider.complete([{"role": "user", "content": "install curl"}])
    assert time.monotonic() - start >= 0.02
    assert resp.latency >= 0.02


def test_openai_request_is_built_without_network(llm):
    provider = llm.OpenAICompatibleProvider(base_url="http://localhost:11434/", model="qwen", api_key="k")
    req = provider.build_request([{"role": "user", "content": "hi"}], temperature=0.2, max_tokens=10)
    assert req.full_url == "http://localhost:11434/v1/chat/completions"
    assert req.get_method() == "POST"
    assert req.get_header("Authorization") == "Bearer k"
    assert json.loads(req.data) == {"model": "qwen", "messages": [{"role": "user", "content": "hi"}],
                                    "temperature": 0.2, "max_tokens": 10}
    assert isinstance(llm.get_provider("ollama", model="x"), llm.OpenAICompatibleProvider)
    assert isinstance(llm.get_provider(), llm.OfflineProvider)
    with pytest.raises(ValueError):
        llm.get_provider("nope")


def test_executor_returns_results_in_order(pl, llm):
    packages = ["nginx", "redis", "postgresql", "docker", "git", "curl"]
    executor = pl.ParallelLLMExecutor(llm.OfflineProvider(latency=0.005), max_workers=4)
    results = executor.execute([pl.package_request(p) for p in packages])
    assert [r.request_id for r in results] == packages
    for pkg, result in zip(packages, results):
        assert result.ok
        assert f"install -y {pkg}" in result.text
    assert executor.progress() == (6, 6)
    assert executor.total_tokens == sum(r.tokens for r in results)
    assert executor.stats()["failed"] == 0
    assert executor.execute([]) == []
    assert executor.progress() == (0, 0)


def test_executor_is_faster_than_serial(pl, llm):
    executor = pl.ParallelLLMExecutor(llm.OfflineProvider(latency=0.05), max_workers=8)
    start = time.monotonic()
    executor.execute([pl.package_request(f"pkg{i}") for i in range(8)])
    assert time.monotonic() - start < 0.05 * 8 * 0.75


def test_failures_are_reported_per_request(pl, llm):
    provider = llm.OfflineProvider(fail_on={"broken"})
    results = pl.query_packages(["vim", "broken", "tmux"], provider, max_workers=2)
    assert [r.ok for r in results] == [True, False, True]
    assert "broken" in results[1].error
    executor = pl.ParallelLLMExecutor(provider)
    executor.execute([pl.package_request("broken")])
    assert executor.stats() == {"total": 1, "completed": 1, "failed": 1, "total_tokens": 0}
    with pytest.raises(ValueError):
        pl.ParallelLLMExecutor(provider, max_workers=0)


def test_query_packages_default_provider(pl):
    results = pl.query_packages(["htop"])
    assert results[0].request_id == "htop" and "htop" in results[0].text
