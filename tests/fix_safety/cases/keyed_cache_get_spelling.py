"""The `.get()` spelling of a keyed cache: `value = _cache.get(k)`; `if value is None: ...` (CRL105)."""

_templates = {}
_compiled = []


def template(name):
    value = _templates.get(name)
    if value is None:
        _compiled.append(name)
        value = _templates[name] = "<" + name + ">"
    return value


# --- drivers ---
FINDINGS = ("CRL105",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.template("a"), m.template("b"), m.template("a"), m._compiled]


def threaded(m):
    return [lambda: m.template("a"), lambda: m.template("a")]


def invariant(m):
    return m._compiled == ["a"]
