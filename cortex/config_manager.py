"""User preferences stored in ``~/.cortex/config.yaml``.

Keys are dotted paths (``llm.model``, ``install.confirm``). Unknown keys are
kept so newer Cortex versions can add settings without breaking old ones.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any, Optional

import yaml

from cortex.utils.fileio import atomic_write, atomic_write_text

DEFAULT_PREFERENCES: dict[str, Any] = {
    "llm": {
        "provider": "offline",
        "model": "llama3",
        "base_url": "http://localhost:11434",
        "timeout": 60,
    },
    "install": {
        "confirm": True,
        "dry_run": False,
        "package_manager": "apt",
    },
    "cache": {
        "enabled": True,
        "similarity_threshold": 0.85,
    },
    "ui": {
        "spinner": True,
        "color": True,
    },
}


def default_config_path() -> Path:
    return Path.home() / ".cortex" / "config.yaml"


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Recursively merge ``override`` into a copy of ``base``."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class ConfigManager:
    """Process-wide preferences (one instance, created on first use)."""

    _instance = None
    _instance_lock = threading.Lock()

    def __new__(cls, *args, **kwargs):
        if cls._instance is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
        return cls._instance

    def __init__(self, config_path: str | Path | None = None) -> None:
        if getattr(self, "_initialized", False):
            return
        self._lock = threading.Lock()
        self.config_path = Path(config_path) if config_path is not None else default_config_path()
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self._prefs: dict[str, Any] = copy.deepcopy(DEFAULT_PREFERENCES)
        self.load()
        self._initialized = True

    def load(self) -> dict[str, Any]:
        """(Re)read the file; a missing or empty file means defaults."""
        if not self.config_path.exists():
            return self._prefs
        with open(self.config_path, encoding="utf-8") as f:
            loaded = yaml.safe_load(f) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{self.config_path}: expected a mapping, got {type(loaded).__name__}")
        self._prefs = _merge(DEFAULT_PREFERENCES, loaded)
        return self._prefs

    def save(self) -> None:
        with self._lock:
            with atomic_write(self.config_path, "w", encoding="utf-8") as f:
                yaml.safe_dump(self._prefs, f, default_flow_style=False, sort_keys=True)

    def get(self, key: str, default: Any = None) -> Any:
        node: Any = self._prefs
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def set(self, key: str, value: Any, save: bool = True) -> None:
        parts = key.split(".")
        node = self._prefs
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
        if save:
            self.save()

    def unset(self, key: str) -> bool:
        parts = key.split(".")
        node = self._prefs
        for part in parts[:-1]:
            node = node.get(part)
            if not isinstance(node, dict):
                return False
        removed = node.pop(parts[-1], None) is not None
        if removed:
            self.save()
        return removed

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._prefs)

    def reset(self) -> None:
        """Back to defaults, on disk too."""
        self._prefs = copy.deepcopy(DEFAULT_PREFERENCES)
        with self._lock:
            atomic_write_text(self.config_path, yaml.safe_dump(self._prefs, default_flow_style=False), encoding="utf-8")

    def export(self, destination: str | Path) -> Path:
        destination = Path(destination)
        destination.write_text(yaml.safe_dump(self._prefs, default_flow_style=False), encoding="utf-8")
        return destination


def get_config_manager(config_path: Optional[str | Path] = None) -> ConfigManager:
    return ConfigManager(config_path)
