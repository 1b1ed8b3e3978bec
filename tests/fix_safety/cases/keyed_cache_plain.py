"""A plain keyed lazy cache (CRL105) whose factory does not call back: the fix is right."""

_parsers = {}
_made = []


def _build(kind):
    _made.append(kind)
    return kind.upper()


def parser_for(kind):
    if kind not in _parsers:
        _parsers[kind] = _build(kind)
    return _parsers[kind]


# --- drivers ---
FINDINGS = ("CRL105",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.parser_for("json"), m.parser_for("yaml"), m.parser_for("json"), m._made]


def threaded(m):
    return [lambda: m.parser_for("json"), lambda: m.parser_for("json")]


def invariant(m):
    return m._made == ["json"]
