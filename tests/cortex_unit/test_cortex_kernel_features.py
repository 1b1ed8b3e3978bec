from __future__ import annotations

import pytest


@pytest.fixture
def kv(load):
    return load("cortex.kernel_features.kv_cache_manager")


@pytest.fixture
def al(load):
    return load("cortex.kernel_features.accelerator_limits")


def test_kv_pools_and_allocation(kv, tmp_path):
    mgr = kv.KVCacheManager(db_path=tmp_path / "kv.db")
    pool = mgr.create_pool("gpu0", total_blocks=10, block_size_kb=512)
    assert pool.size_mb == 5.0
    assert mgr.get_pool("gpu0") == pool
    assert mgr.get_pool("nope") is None
    mgr.create_pool("cpu", total_blocks=4, policy="fifo")
    assert [p.name for p in mgr.list_pools()] == ["cpu", "gpu0"]
    assert mgr.allocate("gpu0", "seq-1", 6) == 4
    assert mgr.allocate("gpu0", "seq-1", 1) == 3
    with pytest.raises(kv.CacheFullError):
        mgr.allocate("gpu0", "seq-2", 4)
    usage = mgr.usage("gpu0")
    assert usage["used_blocks"] == 7 and usage["free_blocks"] == 3
    assert usage["utilization"] == pytest.approx(0.7)
    assert mgr.free("gpu0", "seq-1") == 7
    assert mgr.free("gpu0", "seq-1") == 0
    assert mgr.used_blocks("gpu0") == 0


def test_kv_validation(kv, tmp_path):
    mgr = kv.KVCacheManager(db_path=tmp_path / "kv.db")
    with pytest.raises(ValueError):
        mgr.create_pool("x", total_blocks=1, policy="random")
    with pytest.raises(ValueError):
        mgr.create_pool("x", total_blocks=0)
    with pytest.raises(KeyError):
        mgr.allocate("missing", "s", 1)
    with pytest.raises(KeyError):
        mgr.usage("missing")


def test_kv_accessor(kv, home):
    first = kv.get_kv_cache_manager()
    assert kv.get_kv_cache_manager() is first
    assert (home / ".cortex" / "kv_cache.db").exists()


def test_accelerator_profiles(al, tmp_path):
    mgr = al.AcceleratorLimitsManager(db_path=tmp_path / "limits.db")
    try:
        prof = mgr.create_from_preset("inference", name="llama")
        assert mgr.get_profile("llama") == prof
        assert mgr.get_profile("missing") is None
        mgr.save_profile(al.LimitProfile("tiny", cpu_quota_percent=50, memory_max_gb=0.5))
        assert mgr.list_profiles() == ["llama", "tiny"]
        assert mgr.delete_profile("tiny") is True
        assert mgr.delete_profile("tiny") is False
        with pytest.raises(ValueError):
            mgr.save_profile(al.LimitProfile("bad", cpu_quota_percent=0))
        with pytest.raises(KeyError):
            mgr.create_from_preset("gaming")
        assert mgr.record_applied("llama", pid=1234) >= 1
        assert mgr.applied_count("llama") == 1
        cmd = mgr.launch_command("llama", ["ollama", "serve"])
        assert cmd[:3] == ["systemd-run", "--user", "--scope"]
        assert "CPUQuota=400%" in cmd and "MemoryMax=16384M" in cmd
        assert "--setenv=CUDA_VISIBLE_DEVICES=0" in cmd
        assert cmd[-2:] == ["ollama", "serve"]
        with pytest.raises(KeyError):
            mgr.launch_command("missing", ["true"])
    finally:
        mgr.close()


def test_accelerator_persists_and_defaults(al, home):
    mgr = al.AcceleratorLimitsManager()
    mgr.create_from_preset("training")
    mgr.close()
    assert (home / ".cortex" / "accelerator_limits.db").exists()
    again = al.AcceleratorLimitsManager()
    try:
        assert again.get_profile("training").to_env() == {"CUDA_VISIBLE_DEVICES": "0,1", "HIP_VISIBLE_DEVICES": "0,1"}
    finally:
        again.close()
