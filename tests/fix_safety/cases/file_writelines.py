"""`f.writelines(...)` into a shared file from a module function (CRL301): a module lock."""

HOSTS = "hosts.txt"


def save_hosts(hosts):
    with open(HOSTS, "w") as f:
        f.writelines(f"{host}\n" for host in hosts)


def load_hosts():
    with open(HOSTS) as f:
        return f.read().split()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    m.HOSTS = str(_tmp() / "hosts.txt")
    m.save_hosts(["a.example", "b.example"])
    return m.load_hosts()


def threaded(m):
    m.HOSTS = str(_tmp() / "hosts.txt")
    return [lambda: m.save_hosts(["x"]), lambda: m.save_hosts(["y", "z"])]


def invariant(m):
    return m.load_hosts() in (["x"], ["y", "z"])
