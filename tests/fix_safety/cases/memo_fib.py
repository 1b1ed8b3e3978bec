"""Memoised recursion through a keyed cache: fib fills _memo while computing it (CRL105)."""

_memo = {}


def fib(n):
    if n not in _memo:
        _memo[n] = n if n < 2 else fib(n - 1) + fib(n - 2)
    return _memo[n]


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.fib(10), m.fib(3), sorted(m._memo.items())]


def threaded(m):
    return [lambda: m.fib(4), lambda: m.fib(3)]


def invariant(m):
    return m._memo[4] == 3
