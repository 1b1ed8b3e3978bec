"""The plain lazy global (CRL101): `if _config is None: _config = load()`; the fix is right."""

_config = None
_loads = []


def _load():
    _loads.append(1)
    return {"debug": False}


def get_config():
    global _config
    if _config is None:
        _config = _load()
    return _config


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.get_config(), m.get_config() is m.get_config(), len(m._loads)]


def threaded(m):
    return [m.get_config, m.get_config]


def invariant(m):
    return len(m._loads) == 1
