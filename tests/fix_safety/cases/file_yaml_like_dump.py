"""A yaml-like `dump(obj, stream)` imported under another name writes into the opened file
(CRL301): the fix rewrites only the `open`, not the dumper."""


def dump(data, stream, default_flow_style=False):
    for key in sorted(data):
        stream.write(f"{key}: {data[key]}\n")


class Manifest:
    def __init__(self, path):
        self.path = path

    def write(self, data):
        with open(self.path, "w") as stream:
            dump(data, stream, default_flow_style=False)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    manifest = m.Manifest(_tmp() / "manifest.yaml")
    manifest.write({"name": "x", "version": 2})
    return manifest.path.read_text()


def threaded(m):
    m.shared = m.Manifest(_tmp() / "manifest.yaml")
    return [lambda: m.shared.write({"a": 1}), lambda: m.shared.write({"b": 2})]


def invariant(m):
    return m.shared.path.read_text() in ("a: 1\n", "b: 2\n")
