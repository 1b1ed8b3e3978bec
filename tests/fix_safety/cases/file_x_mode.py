"""Exclusive creation (`"x"`) of a shared marker file (CRL301): the atomic form must still
refuse an existing file (FileExistsError), exactly like `open(p, "x")`."""


class Marker:
    def __init__(self, path):
        self.path = path

    def claim(self, owner):
        try:
            with open(self.path, "x") as f:
                f.write(owner)
        except FileExistsError:
            return False
        return True


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)  # lock+atomic (the default file-write-fix) is unsafe


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    marker = m.Marker(_tmp() / "owner")
    return [marker.claim("first"), marker.claim("second"), marker.path.read_text()]


def threaded(m):
    m.shared = m.Marker(_tmp() / "owner")
    m.won = []
    return [lambda: m.won.append(m.shared.claim("a")), lambda: m.won.append(m.shared.claim("b"))]


def invariant(m):
    return sorted(m.won) == [False, True] and m.shared.path.read_text() in ("a", "b")
