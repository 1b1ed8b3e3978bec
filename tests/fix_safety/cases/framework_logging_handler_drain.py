"""A logging handler's buffer drained outside the handler lock (CRL401): `handle()` holds
`self.lock` around `emit()`, so the fix takes that same lock in `drain()` and emit's own
state needs none."""

import logging


class Recent(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []
        self.count = 0

    def emit(self, record):
        self.count += 1
        self.lines.append(record.getMessage())

    def drain(self):
        lines = self.lines
        self.lines = []
        return lines


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def m_logging():
    import logging  # the drivers run in their own namespace: import here

    return logging


def _record(text):
    return m_logging().LogRecord("case", 20, "case.py", 1, text, None, None)


def single_threaded(m):
    handler = m.Recent()
    handler.handle(_record("one"))
    first = handler.drain()
    handler.handle(_record("two"))
    return [first, handler.drain(), handler.count]


def threaded(m):
    m.handler = m.Recent()
    m.drained = []
    return [
        lambda: m.handler.handle(_record("a")),
        lambda: m.handler.handle(_record("b")),
        lambda: m.drained.extend(m.handler.drain()),
    ]


def invariant(m):
    return sorted(m.drained + m.handler.lines) == ["a", "b"] and m.handler.count == 2
