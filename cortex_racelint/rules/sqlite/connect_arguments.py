"""What the arguments of a `sqlite3.connect()` call mean for a pooled connection.

A pool opens its connections with its own settings: CRL201's fix drops the arguments the
pool replaces (`timeout=`), and is blocked by those that would change how the pooled
connection behaves (`isolation_level=`, `uri=True`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

_DROPPED_KEYWORDS = {"timeout", "cached_statements"}
_BLOCKING_KEYWORDS = {
    "detect_types": "`detect_types=` changes how column values are converted, and pooled connections are opened without it",
    "isolation_level": "`isolation_level=` changes transaction handling; pooled connections use the default and commit on exit",
    "autocommit": "`autocommit=` changes transaction handling; pooled connections use the default and commit on exit",
    "check_same_thread": "`check_same_thread=` is set, so the connection is meant to be handled across threads deliberately",
    "factory": "a custom connection `factory=` would be lost in the pool",
}


@dataclass
class ConnectArgs:
    path: Optional[cst.BaseExpression] = None
    dropped: list[str] = field(default_factory=list)
    blocker: Optional[str] = None
    private: bool = False  # ":memory:" / "": a private database per connection


def connect_args(call: cst.Call) -> ConnectArgs:
    result = ConnectArgs()
    positional = []
    for arg in call.args:
        if arg.star:
            result.blocker = "arguments are passed with `*`/`**`, so the fix cannot tell which settings are lost"
            continue
        if arg.keyword is None:
            positional.append(arg.value)
            continue
        key = arg.keyword.value
        if key == "database":
            result.path = arg.value
        elif key in _DROPPED_KEYWORDS:
            result.dropped.append(key)
        elif key == "uri":
            if not (isinstance(arg.value, cst.Name) and arg.value.value == "False"):
                result.blocker = result.blocker or (
                    "`uri=` paths (query parameters such as `mode=ro`) are not understood by the pool"
                )
        elif key == "check_same_thread" and isinstance(arg.value, cst.Name) and arg.value.value == "True":
            continue  # the default: a connection for one thread, as every pooled checkout is
        elif key in _BLOCKING_KEYWORDS:
            result.blocker = result.blocker or _BLOCKING_KEYWORDS[key]
        else:
            result.blocker = result.blocker or f"unknown argument `{key}=`"
    if positional:
        result.path = positional[0]
    if len(positional) >= 2:
        result.dropped.append("timeout")
    if len(positional) >= 3:
        result.blocker = result.blocker or (
            "positional arguments after `timeout` (detect_types, isolation_level, ...) change the connection"
        )
    if result.path is None:
        result.blocker = result.blocker or "the database path is not given"
    elif isinstance(result.path, cst.SimpleString) and result.path.evaluated_value in (":memory:", ""):
        result.private = True
    return result
