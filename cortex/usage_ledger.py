"""Token usage of every LLM call, kept for the whole process and flushed to disk for the usage report.

The executor's workers record each call; a flusher thread writes the ledger out while they run.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor


class UsageLedger:
    _lock = threading.Lock()

    def __init__(self):
        self.calls = {}

    def record(self, call_id, tokens):
        with self._lock:
            self.calls[call_id] = tokens

    def total(self):
        return sum(self.calls.values())

    def save(self, path):
        with self._lock:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(self.calls, f)


_ledger = UsageLedger()


def get_usage_ledger():
    return _ledger


def _count(call):
    call_id, tokens = call
    get_usage_ledger().record(call_id, tokens)


def _flush(path):
    get_usage_ledger().save(path)


def account(calls, path):
    """Record `calls` ((id, tokens) pairs) on the executor while the flusher writes the ledger to `path`."""
    flusher = threading.Thread(target=_flush, args=(path,))
    flusher.start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(_count, calls))
    flusher.join()
    return get_usage_ledger().total()
