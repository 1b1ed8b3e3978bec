"""A singleton kept as an attribute of the function, `if not hasattr(get, "_inst"): get._inst = X()`
(CRL101): a module lock named after both guards it."""

built = []


class Scheduler:
    def __init__(self):
        built.append(self)
        self.jobs = []


def get_scheduler():
    if not hasattr(get_scheduler, "_inst"):
        get_scheduler._inst = Scheduler()
    return get_scheduler._inst


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    m.get_scheduler().jobs.append("a")
    return [m.get_scheduler().jobs, len(m.built)]


def threaded(m):
    return [m.get_scheduler, m.get_scheduler]


def invariant(m):
    return len(m.built) == 1
