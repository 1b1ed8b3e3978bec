"""Hardware detection: CPU, memory, GPUs and disk.

Cortex tailors recommendations to the machine (CUDA vs ROCm, how large a
local model fits). Detection reads /proc and /sys, asks ``lspci`` and
``nvidia-smi`` when they are installed, and caches the result in a JSON
file because shelling out is slow.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Optional

from cortex.utils.fileio import atomic_write


def default_cache_file() -> Path:
    return Path.home() / ".cortex" / "hardware_cache.json"


class HardwareDetector:
    """Detects hardware; results are cached for ``cache_ttl`` seconds."""

    def __init__(
        self,
        cache_file: str | Path | None = None,
        cache_ttl: float = 3600.0,
        proc_root: str | Path = "/proc",
        use_commands: bool = True,
        disk_path: str | Path = "/",
    ) -> None:
        self._lock = threading.Lock()
        self.cache_file = Path(cache_file) if cache_file is not None else default_cache_file()
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        self.cache_ttl = cache_ttl
        self.proc_root = Path(proc_root)
        self.use_commands = use_commands
        self.disk_path = str(disk_path)

    # -- public API -------------------------------------------------------
    def detect(self, use_cache: bool = True) -> dict[str, Any]:
        """Return ``{"cpu", "memory", "gpu", "disk", "system", "detected_at"}``."""
        if use_cache:
            cached = self._load_cache()
            if cached is not None and time.time() - cached.get("detected_at", 0) < self.cache_ttl:
                return cached
        data = {
            "cpu": self.detect_cpu(),
            "memory": self.detect_memory(),
            "gpu": self.detect_gpus(),
            "disk": self.detect_disk(),
            "system": {"os": platform.system(), "kernel": platform.release(), "arch": platform.machine()},
            "detected_at": time.time(),
        }
        self._save_cache(data)
        return data

    def detect_cpu(self) -> dict[str, Any]:
        model = ""
        threads = 0
        flags: list[str] = []
        core_ids = set()
        physical = "0"
        for line in self._read(self.proc_root / "cpuinfo").splitlines():
            key, _, value = (part.strip() for part in line.partition(":"))
            if key == "processor":
                threads += 1
            elif key == "model name" and not model:
                model = value
            elif key == "physical id":
                physical = value
            elif key == "core id":
                core_ids.add((physical, value))
            elif key == "flags" and not flags:
                flags = [f for f in value.split() if f in ("sse4_2", "avx", "avx2", "fma", "avx512f")]
        threads = threads or os.cpu_count() or 1
        return {
            "model": model or platform.processor() or "unknown",
            "cores": len(core_ids) or threads,
            "threads": threads,
            "flags": flags,
        }

    def detect_memory(self) -> dict[str, int]:
        fields: dict[str, int] = {}
        for line in self._read(self.proc_root / "meminfo").splitlines():
            name, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                fields[name] = int(parts[0])  # kB
        return {
            "total_mb": fields.get("MemTotal", 0) // 1024,
            "available_mb": fields.get("MemAvailable", fields.get("MemFree", 0)) // 1024,
            "swap_mb": fields.get("SwapTotal", 0) // 1024,
        }

    def detect_gpus(self) -> list[dict[str, Any]]:
        if not self.use_commands:
            return []
        gpus = self._nvidia_gpus()
        if gpus:
            return gpus
        out = self._run(["lspci"]) if shutil.which("lspci") else ""
        for line in out.splitlines():
            if "VGA compatible controller" in line or "3D controller" in line:
                description = line.split(": ", 1)[-1]
                vendor = next((v for v in ("NVIDIA", "AMD", "Intel") if v.lower() in description.lower()), "unknown")
                gpus.append({"name": description, "vendor": vendor, "memory_mb": None})
        return gpus

    def detect_disk(self) -> dict[str, float]:
        try:
            usage = shutil.disk_usage(self.disk_path)
        except OSError:
            return {"total_gb": 0.0, "free_gb": 0.0}
        return {"total_gb": round(usage.total / 1e9, 1), "free_gb": round(usage.free / 1e9, 1)}

    # -- helpers ----------------------------------------------------------
    def _nvidia_gpus(self) -> list[dict[str, Any]]:
        if not shutil.which("nvidia-smi"):
            return []
        out = self._run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"])
        gpus = []
        for line in out.splitlines():
            name, _, memory = line.partition(",")
            if name.strip():
                mem = memory.strip()
                gpus.append({"name": name.strip(), "vendor": "NVIDIA",
                             "memory_mb": int(mem) if mem.isdigit() else None})
        return gpus

    @staticmethod
    def _run(cmd: list[str]) -> str:
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return result.stdout if result.returncode == 0 else ""

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _load_cache(self) -> Optional[dict[str, Any]]:
        try:
            with open(self.cache_file) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _save_cache(self, data: dict[str, Any]) -> None:
        with self._lock:
            with atomic_write(self.cache_file, "w") as f:
                json.dump(data, f, indent=2)

    def clear_cache(self) -> None:
        self.cache_file.unlink(missing_ok=True)


_detector = None
_detector_lock = threading.Lock()


def get_detector() -> HardwareDetector:
    global _detector
    if _detector is not None:
        return _detector
    with _detector_lock:
        if _detector is None:
            _detector = HardwareDetector()
    return _detector


def detect_hardware(use_cache: bool = True) -> dict[str, Any]:
    """Convenience wrapper used by the CLI."""
    return get_detector().detect(use_cache=use_cache)
