"""Is `<x>.write_text(...)` / `.write_bytes` / `.read_text` / `.read_bytes` pathlib's method?

CRL301/CRL303 take these methods as file operations on the receiver's path. A call that
pathlib would reject is provably something else: more arguments than `Path.write_text(data,
encoding, errors, newline)` takes, a keyword it lacks, or a `**` splat. fsspec's
`self.fs.write_text(path, value, encoding=..., **kwargs)` is a file-system object whose
first argument is the path (the caller's), not a write to a path kept in `self.fs`.

Not decided here: a project class with pathlib's method name called as pathlib would be
(`self.console.write_bytes(data)`, pyserial's miniterm). Telling it apart needs the class
bodies, which the prefilter may have reduced to stubs (see FINDINGS "Session 11").
"""

from __future__ import annotations

import libcst as cst

#: pathlib's parameters per method (Python 3.13: `read_text` gained `newline`)
_PATHLIB_PARAMS: dict[str, tuple[str, ...]] = {
    "write_text": ("data", "encoding", "errors", "newline"),
    "write_bytes": ("data",),
    "read_text": ("encoding", "errors", "newline"),
    "read_bytes": (),
}


def not_pathlib_call(call: cst.Call, method: str) -> bool:
    """True when pathlib's `method` could not accept these arguments."""
    params = _PATHLIB_PARAMS.get(method)
    if params is None:
        return False
    positional = 0
    for arg in call.args:
        if arg.star == "**":
            return True
        if arg.star == "*":
            return False  # unknown length: cannot tell
        if arg.keyword is None:
            positional += 1
        elif arg.keyword.value not in params[positional:]:
            return True
    return positional > len(params)
