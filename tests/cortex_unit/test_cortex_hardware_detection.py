from __future__ import annotations

import json

import pytest

CPUINFO = """processor\t: 0
model name\t: Test CPU 9000
physical id\t: 0
core id\t: 0
flags\t\t: fpu sse4_2 avx avx2

processor\t: 1
model name\t: Test CPU 9000
physical id\t: 0
core id\t: 0

processor\t: 2
model name\t: Test CPU 9000
physical id\t: 0
core id\t: 1

processor\t: 3
model name\t: Test CPU 9000
physical id\t: 0
core id\t: 1
"""

MEMINFO = """MemTotal:       16384000 kB
MemFree:         1024000 kB
MemAvailable:    8192000 kB
SwapTotal:       2048000 kB
"""


@pytest.fixture
def hd(load):
    return load("hardware_detection")


@pytest.fixture
def fake_proc(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "cpuinfo").write_text(CPUINFO)
    (proc / "meminfo").write_text(MEMINFO)
    return proc


def test_detect_from_fake_proc_and_cache(hd, fake_proc, tmp_path):
    cache = tmp_path / "hw.json"
    detector = hd.HardwareDetector(cache_file=cache, proc_root=fake_proc, use_commands=False, disk_path=tmp_path)
    info = detector.detect()
    assert info["cpu"] == {"model": "Test CPU 9000", "cores": 2, "threads": 4, "flags": ["sse4_2", "avx", "avx2"]}
    assert info["memory"] == {"total_mb": 16000, "available_mb": 8000, "swap_mb": 2000}
    assert info["gpu"] == []
    assert info["disk"]["total_gb"] > 0
    assert json.loads(cache.read_text()) == info
    # A second call is served from the cache file.
    (fake_proc / "cpuinfo").write_text("")
    assert detector.detect() == info
    assert detector.detect(use_cache=False)["cpu"]["model"] != "Test CPU 9000"


def test_load_cache_tolerates_missing_corrupt_and_stale(hd, tmp_path, fake_proc):
    cache = tmp_path / "hw.json"
    detector = hd.HardwareDetector(cache_file=cache, proc_root=fake_proc, use_commands=False, cache_ttl=60)
    assert detector._load_cache() is None
    cache.write_text("{not json")
    assert detector._load_cache() is None
    cache.write_text("[1, 2]")
    assert detector._load_cache() is None
    cache.write_text(json.dumps({"cpu": {"model": "stale"}, "detected_at": 0}))
    assert detector.detect()["cpu"]["model"] == "Test CPU 9000"
    detector.clear_cache()
    assert not cache.exists()
    detector.clear_cache()


def test_gpu_detection_parses_tools(hd, tmp_path, monkeypatch):
    detector = hd.HardwareDetector(cache_file=tmp_path / "c.json")
    outputs = {
        "nvidia-smi": "NVIDIA GeForce RTX 4090, 24564\n",
        "lspci": "00:02.0 VGA compatible controller: Intel Corporation UHD Graphics 630\n"
                 "01:00.0 Ethernet controller: Realtek\n",
    }
    monkeypatch.setattr(hd.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(detector, "_run", lambda cmd: outputs[cmd[0]])
    assert detector.detect_gpus() == [{"name": "NVIDIA GeForce RTX 4090", "vendor": "NVIDIA", "memory_mb": 24564}]
    del outputs["nvidia-smi"]
    monkeypatch.setattr(detector, "_run", lambda cmd: outputs.get(cmd[0], ""))
    assert detector.detect_gpus() == [{"name": "Intel Corporation UHD Graphics 630", "vendor": "Intel",
                                       "memory_mb": None}]


def test_tools_absent(hd, tmp_path, monkeypatch):
    monkeypatch.setattr(hd.shutil, "which", lambda name: None)
    detector = hd.HardwareDetector(cache_file=tmp_path / "c.json")
    assert detector.detect_gpus() == []
    assert hd.HardwareDetector._run(["/nonexistent/tool"]) == ""


def test_real_machine_and_accessor(hd, home, monkeypatch):
    monkeypatch.setattr(hd.shutil, "which", lambda name: None)
    detector = hd.get_detector()
    assert hd.get_detector() is detector
    info = hd.detect_hardware()
    assert set(info) >= {"cpu", "memory", "gpu", "disk", "system"}
    assert info["cpu"]["threads"] >= 1
    assert (home / ".cortex" / "hardware_cache.json").exists()
