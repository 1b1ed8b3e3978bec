"""An existing `_config_lock` that callers already hold around the lazy accessor (CRL101):
reusing that plain Lock inside the accessor would deadlock its own callers."""

import threading

_config_lock = threading.Lock()
_config = None


def get_config():
    global _config
    if _config is None:
        _config = {"level": 1}
    return _config


def bump_level():
    with _config_lock:
        config = get_config()
        config["level"] += 1
        return config["level"]


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ()  # the plain `_config_lock` is held around the accessor: reported with the reason, not fixed


def single_threaded(m):
    return [m.bump_level(), m.bump_level(), m.get_config()]


def threaded(m):
    return [m.bump_level, m.bump_level]


def invariant(m):
    return m._config["level"] == 3
