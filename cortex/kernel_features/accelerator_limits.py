"""Resource-limit profiles for AI workloads.

A profile says how much of the machine a job (training run, inference
server) may use: CPU quota, memory ceiling, which GPUs it sees, and its
OOM priority. Profiles are stored in SQLite and rendered as systemd-run
properties and environment variables when a job is launched.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

PRESETS: dict[str, dict] = {
    "inference": {"cpu_quota_percent": 400, "memory_max_gb": 16.0, "gpu_ids": [0], "oom_score_adj": -100},
    "training": {"cpu_quota_percent": 1600, "memory_max_gb": 64.0, "gpu_ids": [0, 1], "oom_score_adj": -500},
    "batch": {"cpu_quota_percent": 200, "memory_max_gb": 8.0, "gpu_ids": [], "oom_score_adj": 500},
}


@dataclass
class LimitProfile:
    name: str
    cpu_quota_percent: int = 100
    memory_max_gb: float = 4.0
    gpu_ids: list[int] = field(default_factory=list)
    oom_score_adj: int = 0

    def to_systemd_properties(self) -> list[str]:
        props = [
            f"CPUQuota={self.cpu_quota_percent}%",
            f"MemoryMax={int(self.memory_max_gb * 1024)}M",
            f"OOMScoreAdjust={self.oom_score_adj}",
        ]
        return props

    def to_env(self) -> dict[str, str]:
        visible = ",".join(str(i) for i in self.gpu_ids)
        return {"CUDA_VISIBLE_DEVICES": visible, "HIP_VISIBLE_DEVICES": visible}


def default_db_path() -> Path:
    return Path.home() / ".cortex" / "accelerator_limits.db"


class AcceleratorLimitsManager:
    """CRUD for limit profiles over one long-lived connection."""

    def __init__(self, db_path: str | Path | None = None) -> None:
        self._lock = threading.Lock()
        path = Path(db_path) if db_path is not None else default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db_path = str(path)
        # One connection for the manager's lifetime; the CLI and the job
        # launcher thread both use it.
        self._conn = sqlite3.connect(self.db_path, check_same_thread=False)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS profiles ("
            " name TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at REAL NOT NULL)"
        )
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS applied ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT, profile TEXT NOT NULL, pid INTEGER, applied_at REAL NOT NULL)"
        )
        self._conn.commit()

    def save_profile(self, profile: LimitProfile) -> None:
        if profile.cpu_quota_percent <= 0 or profile.memory_max_gb <= 0:
            raise ValueError("limits must be positive")
        data = asdict(profile)
        data.pop("name")
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO profiles (name, data, updated_at) VALUES (?, ?, ?)",
                (profile.name, json.dumps(data), time.time()),
            )
            self._conn.commit()

    def create_from_preset(self, preset: str, name: Optional[str] = None) -> LimitProfile:
        if preset not in PRESETS:
            raise KeyError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
        profile = LimitProfile(name=name or preset, **PRESETS[preset])
        self.save_profile(profile)
        return profile

    def get_profile(self, name: str) -> Optional[LimitProfile]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("SELECT data FROM profiles WHERE name = ?", (name,))
            row = cur.fetchone()
        if row is None:
            return None
        return LimitProfile(name=name, **json.loads(row[0]))

    def list_profiles(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._conn.execute("SELECT name FROM profiles ORDER BY name")]

    def delete_profile(self, name: str) -> bool:
        with self._lock:
            cur = self._conn.execute("DELETE FROM profiles WHERE name = ?", (name,))
            self._conn.commit()
            return cur.rowcount > 0

    def record_applied(self, name: str, pid: Optional[int] = None) -> int:
        """Log that a profile was applied to a process (called by the launcher)."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("INSERT INTO applied (profile, pid, applied_at) VALUES (?, ?, ?)", (name, pid, time.time()))
            self._conn.commit()
            return int(cur.lastrowid)

    def applied_count(self, name: str) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM applied WHERE profile = ?", (name,)).fetchone()[0]

    def launch_command(self, name: str, argv: list[str]) -> list[str]:
        """``systemd-run`` command line that runs ``argv`` under the profile."""
        profile = self.get_profile(name)
        if profile is None:
            raise KeyError(name)
        cmd = ["systemd-run", "--user", "--scope"]
        for prop in profile.to_systemd_properties():
            cmd += ["-p", prop]
        for key, value in profile.to_env().items():
            cmd.append(f"--setenv={key}={value}")
        return cmd + list(argv)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
