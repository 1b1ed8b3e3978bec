"""Two writers of one object where one calls the other (`save()` calls `save_index()`), both CRL301:
wrapping both in the same plain lock makes save() take it twice."""

import json


class Catalog:
    def __init__(self, folder):
        self.folder = folder
        self.items = {}

    def save_index(self):
        with open(self.folder / "index.json", "w") as f:
            json.dump(sorted(self.items), f)

    def save(self, key, value):
        self.items[key] = value
        with open(self.folder / "items.json", "w") as f:
            json.dump(self.items, f)
        self.save_index()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)  # lock+atomic (the default file-write-fix) is unsafe


def _catalog(m):
    import tempfile
    from pathlib import Path

    return m.Catalog(Path(tempfile.mkdtemp()))


def single_threaded(m):
    catalog = _catalog(m)
    catalog.save("a", 1)
    catalog.save("b", 2)
    return [(catalog.folder / "index.json").read_text(), (catalog.folder / "items.json").read_text()]


def threaded(m):
    m.shared = _catalog(m)
    return [lambda: m.shared.save("a", 1), lambda: m.shared.save("b", 2)]
