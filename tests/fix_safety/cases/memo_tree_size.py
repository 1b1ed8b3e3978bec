"""Recursive tree sizes memoised by node name (CRL105): size() fills the cache while it recurses."""

TREE = {"root": ["a", "b"], "a": ["c"], "b": [], "c": []}
_sizes = {}


def size(node):
    if node not in _sizes:
        _sizes[node] = 1 + sum(size(child) for child in TREE[node])
    return _sizes[node]


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.size("root"), m.size("b"), sorted(m._sizes.items())]


def threaded(m):
    return [lambda: m.size("root"), lambda: m.size("a")]


def invariant(m):
    return m._sizes["root"] == 4
