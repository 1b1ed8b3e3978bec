"""`json.dump` into a module-level path from a function, read back by another (CRL301)."""

import json
import os

CONFIG_PATH = os.path.join("/tmp", "racelint-case-config.json")


def save_config(config):
    with open(CONFIG_PATH, "w") as f:
        json.dump(config, f, sort_keys=True)


def load_config():
    with open(CONFIG_PATH) as f:
        return json.load(f)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _point_to_tmp(m):
    import os
    import tempfile

    m.CONFIG_PATH = os.path.join(tempfile.mkdtemp(), "config.json")


def single_threaded(m):
    _point_to_tmp(m)
    m.save_config({"b": 1, "a": [1, 2]})
    return [m.load_config(), open(m.CONFIG_PATH).read()]


def threaded(m):
    _point_to_tmp(m)
    return [lambda: m.save_config({"v": 1}), lambda: m.save_config({"v": 2})]


def invariant(m):
    return m.load_config() in ({"v": 1}, {"v": 2})
