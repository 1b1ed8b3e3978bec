"""Which calls may run while a lock is held: cheap builtins and container methods, never I/O.

A fix that puts a statement under a lock must not hold it across a call that blocks (I/O,
sleeps, joins) or may re-enter the object; these tables say which calls are cheap enough.
"""

from __future__ import annotations

import libcst as cst

from .names import dotted_name

CHEAP_BUILTINS = frozenset(
    {
        "len", "str", "int", "float", "bool", "complex", "list", "dict", "tuple", "set", "frozenset", "bytes",
        "bytearray", "min", "max", "abs", "sum", "sorted", "reversed", "any", "all", "isinstance", "issubclass",
        "getattr", "hasattr", "id", "hash", "repr", "round", "enumerate", "range", "zip", "type", "divmod",
        "format", "callable", "chr", "ord", "pow", "slice", "ascii", "bin", "hex", "oct", "super", "object",
    }
)
CHEAP_QUALIFIED_PREFIXES = ("math.", "operator.", "copy.", "dataclasses.replace", "itertools.")
CHEAP_QUALIFIED = frozenset(
    {
        "time.time", "time.monotonic", "time.perf_counter", "time.time_ns", "time.monotonic_ns",
        "time.perf_counter_ns", "time.thread_time", "time.process_time",
    }
)
BLOCKING_PREFIXES = (
    "time.sleep", "subprocess.", "socket.", "os.", "shutil.", "sqlite3.", "urllib.", "http.", "requests.",
    "logging.", "select.", "asyncio.", "threading.", "concurrent.", "multiprocessing.", "queue.", "io.",
    "builtins.open", "builtins.print", "builtins.input",
)
CHEAP_METHODS = frozenset(
    {
        "append", "appendleft", "extend", "extendleft", "insert", "pop", "popleft", "popitem", "remove",
        "discard", "add", "clear", "update", "setdefault", "get", "copy", "items", "keys", "values", "index",
        "count", "sort", "reverse", "format", "strip", "lstrip", "rstrip", "lower", "upper", "split", "rsplit",
        "startswith", "endswith", "replace", "encode", "decode", "partition", "rpartition", "splitlines",
        "isdigit", "isalpha", "isspace", "union", "intersection", "difference", "issubset", "issuperset",
        "most_common", "total", "isoformat", "timestamp", "total_seconds", "bit_length", "to_bytes",
        "is_set", "qsize", "empty", "full", "is_alive", "locked", "_replace", "_asdict",
    }
)
#: the only methods cheap on an Event, Queue, Thread or lock (the rest wait)
SAFE_ON_THREAD_SAFE_OBJECTS = frozenset({"is_set", "qsize", "empty", "full", "is_alive", "locked"})


def is_consumer(call: cst.Call) -> bool:
    """A call that exhausts a generator argument before returning."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "join":
        return True
    return (dotted_name(call.func) or "") in CHEAP_BUILTINS
