"""A value factory that reads another key of the same cache through the same accessor (CRL105)."""

_settings = {}


def _make(key):
    if key == "url":
        return "http://" + get_setting("host") + ":" + get_setting("port")
    return {"host": "localhost", "port": "8080"}[key]


def get_setting(key):
    if key not in _settings:
        _settings[key] = _make(key)
    return _settings[key]


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.get_setting("url"), sorted(m._settings)]


def threaded(m):
    return [lambda: m.get_setting("url"), lambda: m.get_setting("host")]


def invariant(m):
    return m._settings["url"] == "http://localhost:8080"
