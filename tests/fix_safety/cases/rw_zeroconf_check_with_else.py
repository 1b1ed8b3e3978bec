"""zeroconf's QuietLogger: `if msg not in cls._seen: cls._seen[msg] = 0; logger = log.warning` with an
`else: logger = log.debug`, then `logger(...)` (CRL105). Double-checked locking that only re-checks leaves
`logger` unbound when another thread records the message between the two checks: the safe fix raised
UnboundLocalError exactly under the race it fixes. The re-check takes the original `else:` branch."""


class QuietLogger:
    _seen = {}
    lines = []

    @classmethod
    def log_warning_once(cls, msg):
        if msg not in cls._seen:
            cls._seen[msg] = 0
            logger = cls.warning
        else:
            logger = cls.debug
        cls._seen[msg] = cls._seen[msg] + 1
        logger(msg)

    @classmethod
    def warning(cls, msg):
        cls.lines.append(("warning", msg))

    @classmethod
    def debug(cls, msg):
        cls.lines.append(("debug", msg))


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    m.QuietLogger._seen.clear()
    m.QuietLogger.lines.clear()
    for msg in ["a", "b", "a", "a"]:
        m.QuietLogger.log_warning_once(msg)
    return [m.QuietLogger.lines, m.QuietLogger._seen]


def threaded(m):
    m.QuietLogger._seen = {}
    m.QuietLogger.lines = []
    return [lambda: m.QuietLogger.log_warning_once("x"), lambda: m.QuietLogger.log_warning_once("x")]


def invariant(m):
    return sorted(kind for kind, _ in m.QuietLogger.lines) == ["debug", "warning"]
